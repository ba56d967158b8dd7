"""'1 vraagstuk(ken)' and '2 programmadag(en)' were shown: a count takes ngettext with a real
singular and plural, never a bracketed ending. This scans every source string of the app."""

import re
from pathlib import Path

import pytest

import fieldlab

ROOT = Path(fieldlab.__file__).parent
BRACKETED_PLURAL = re.compile(r"[A-Za-zë]\((ken|en|s|n|'s)\)")


def test_no_source_string_has_a_bracketed_plural_ending():
    offenders = []
    for path in [*ROOT.rglob("*.py"), *ROOT.rglob("*.html"), *ROOT.rglob("*.txt")]:
        if "translations" in path.parts or "vendor" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if BRACKETED_PLURAL.search(line) and ("_(" in line or "_l(" in line or "gettext" in line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_a_single_vraagstuk_is_counted_in_the_singular(app, make):
    from datetime import date

    from fieldlab.labs import services
    from fieldlab.problems.models import ProblemStatus
    from tests import factories

    lab = make.make_lab()
    make.make_problem(make.make_user(factories.Role.COMMISSIONER, organisation=make.make_organisation()),
                      lab=lab, status=ProblemStatus.ACCEPTED)
    details = [step.detail for step in services.timeline(lab, today=date(2026, 1, 1))]
    assert "1 vraagstuk gekoppeld" in details


# --- Both catalogues: the Dutch source strings and the English translations -------------------------

ENGLISH_BRACKETED_PLURAL = re.compile(r"[A-Za-z]\((s|es)\)")
COUNT = re.compile(r"%\(num\)s")


def english_catalogue():
    from babel.messages.pofile import read_po

    from fieldlab import i18n

    with i18n.po_path("en").open("rb") as file:
        return read_po(file, locale="en")


def test_every_counted_source_string_has_a_dutch_plural():
    """A `%(num)s` is only filled in by ngettext: the Dutch catalogue (the msgids) has both forms."""
    from fieldlab import i18n

    singular_only = [message.id for message in i18n.extract_template()
                     if isinstance(message.id, str) and COUNT.search(message.id)]
    assert singular_only == []


def test_english_catalogue_has_both_forms_of_every_plural():
    catalogue = english_catalogue()
    assert catalogue.num_plurals == 2
    plurals = [message for message in catalogue if message.id and isinstance(message.id, tuple)]
    assert len(plurals) >= 30
    incomplete = [message.id[0] for message in plurals
                  if not isinstance(message.string, tuple) or len(message.string) != 2 or not all(message.string)]
    assert incomplete == []
    same = [message.id[0] for message in plurals
            if message.id[0] != message.id[1] and message.string[0] == message.string[1]]
    assert same == [], "the English singular and plural differ where the Dutch ones do"


def test_no_english_translation_has_a_bracketed_plural():
    offenders = []
    for message in english_catalogue():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        offenders += [text for text in strings if text and ENGLISH_BRACKETED_PLURAL.search(text)]
    assert offenders == []


@pytest.mark.parametrize("days, dutch, english", [
    ("50", "de vastgelegde terugkomdag van dag 50 opnieuw", "re-plan the confirmed return day of day 50."),
    ("1, 50", "de vastgelegde terugkomdagen van dag 1 en 50 opnieuw",
     "re-plan the confirmed return days of days 1 and 50."),
    ("1, 50, 100", "de vastgelegde terugkomdagen van dag 1, 50 en 100 opnieuw",
     "re-plan the confirmed return days of days 1, 50, and 100."),
])
def test_a_moved_start_names_one_or_more_return_days_in_both_languages(app, days, dutch, english):
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from fieldlab.boards.feed import feed_lines
    from fieldlab.boards.models import BoardEvent, EventKind

    event = BoardEvent(kind=EventKind.RETURN_DAYS_REVIEW, detail={"name": days}, at=datetime(2026, 12, 5, tzinfo=UTC))
    with app.test_request_context():
        with force_locale("nl"):
            [line] = feed_lines([event])
            assert dutch in line.text and "(en)" not in line.text
        with force_locale("en"):
            [line] = feed_lines([event])
            assert line.text.endswith(english) and "(s)" not in line.text


def test_english_pages_count_in_the_singular_and_plural(client, login_as, make):
    from datetime import timedelta

    from fieldlab.timeutil import local, utcnow

    login_as(factories_role("FACILITATOR"), locale="en")
    from fieldlab.problems.models import ProblemStatus
    from tests import factories

    lab = make.make_lab(programme_starts_on=local(utcnow()).date() + timedelta(days=1),
                        programme_ends_on=local(utcnow()).date() + timedelta(days=1))
    make.make_problem(make.make_user(factories.Role.COMMISSIONER, organisation=make.make_organisation()),
                      lab=lab, status=ProblemStatus.ACCEPTED)
    db_commit()
    page = client.get(f"/labs/{lab.id}").get_data(as_text=True)
    page = page[page.index('id="labs-next"'):page.index("</p>", page.index('id="labs-next"'))]
    assert "in 1 day." in page and "in 1 days" not in page and "day(s)" not in page


def db_commit():
    from fieldlab.extensions import db

    db.session.commit()


def factories_role(name):
    from tests import factories

    return getattr(factories.Role, name)

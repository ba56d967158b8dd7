"""'1 vraagstuk(ken)' and '2 programmadag(en)' were shown: a count takes ngettext with a real
singular and plural, never a bracketed ending. This scans every source string of the app."""

import re
from pathlib import Path

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

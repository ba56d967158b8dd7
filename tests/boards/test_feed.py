"""The activity feed's sentences, in Dutch and in English, and its fast moment formatting."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from flask_babel import format_datetime, refresh

from fieldlab.boards import card_changes, services, tracking
from fieldlab.boards.feed import feed_lines
from fieldlab.boards.models import Column, Status
from fieldlab.formats import moment_formatter


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_the_feeds_moment_formatter_writes_what_format_datetime_writes(app, locale):
    """The feed formats its events' moments with `moment_formatter("short")`: the same text as
    `format_datetime(at, "short")`, across both clock changes of a year, in both languages."""
    with app.test_request_context("/"):
        g.locale = locale
        refresh()
        moment = moment_formatter("short")
        start = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
        for step in range(0, 365 * 24, 7):
            at = start + timedelta(hours=step)
            assert moment(at) == format_datetime(at, "short"), at


def test_every_kind_of_event_reads_as_a_sentence_in_both_languages(app, world, now):
    card = card_changes.add_card(world.challenge, title="Bel de corporatie", owner_id=world.member.id, by=world.member,
                             now=now)
    card_changes.edit_card(card, expected_version=1, title="Bel de woningcorporatie", owner_id=world.member.id,
                       by=world.teammate, now=now)
    card_changes.move_card(card, column=Column.DONE, by=world.member, now=now)
    indicator = tracking.add_indicator(world.challenge, name="Panden gecontroleerd", unit="panden", baseline=0,
                                       target=40, by=world.member, now=now)
    tracking.record_indicator_value(indicator, measured_on=now.date(), value=12, by=world.member, now=now)
    tracking.add_progress_update(world.challenge, status=Status.AT_RISK, went_well="", stuck="", help_needed="",
                                 hours_spent=None, by=world.teammate, now=now)
    events = services.load_events_of(world.challenge.id)
    with app.test_request_context("/"):
        g.locale = "nl"
        lines = feed_lines(events)
        dutch = [line.text for line in lines]
        assert [line.moment for line in lines] == [format_datetime(event.at, "short") for event in events]
    with app.test_request_context("/"):
        g.locale = "en"
        refresh()  # the test's app context (and Babel's cached locale) spans both requests
        english = [line.text for line in feed_lines(events)]
    assert "Anna Teamlid voegde ‘Bel de corporatie’ toe." in dutch
    assert "Bram Teamgenoot wijzigde ‘Bel de woningcorporatie’." in dutch
    assert "Anna Teamlid verplaatste ‘Bel de woningcorporatie’ naar Klaar." in dutch
    assert "Anna Teamlid voegde indicator ‘Panden gecontroleerd’ toe." in dutch
    assert any(text.startswith("Anna Teamlid registreerde 12") for text in dutch)
    assert "Bram Teamgenoot schreef een voortgangsupdate (risico)." in dutch
    assert "Anna Teamlid moved ‘Bel de woningcorporatie’ to Done." in english
    assert len(dutch) == len(english) == len(events)

"""Who sees and does what with a signal (the object rules of fieldlab/auth/permissions.py):
a draft is seen by its team, its Lab's facilitators and the named representative; a submitted
signal by facilitators only; nobody else."""

import pytest

from fieldlab.auth.permissions import can
from fieldlab.extensions import db
from fieldlab.signals import services
from tests.signals.helpers import NOW, complete_draft, to_consultation, world

PEOPLE = ["facilitator", "other_facilitator", "anna", "bart", "stranger", "commissioner", "representative"]


def who_may(w, action, obj) -> set[str]:
    return {name for name in PEOPLE if can(getattr(w, name), action, obj)}


@pytest.fixture
def w(app):
    return world(representative_account=True)


def test_a_draft_is_seen_by_its_team_its_labs_facilitators_and_the_representative(w):
    signal = complete_draft(w)
    assert who_may(w, "signal.view", signal) == {"facilitator", "anna", "bart", "representative"}


def test_only_drafters_edit_a_concept(w):
    signal = complete_draft(w)
    assert who_may(w, "signal.edit", signal) == {"facilitator", "anna", "bart"}
    services.ask_loket_advice(signal, by=w.anna, now=NOW)
    assert who_may(w, "signal.edit", signal) == set()


def test_the_loket_steps_of_a_draft_are_recorded_by_the_labs_facilitators(w):
    signal = complete_draft(w)
    assert who_may(w, "signal.advance", signal) == {"facilitator"}


def test_only_the_named_representative_confirms_and_only_when_asked(w):
    signal = complete_draft(w)
    to_consultation(w, signal)
    assert who_may(w, "signal.confirm", signal) == set()
    services.record_consultation(signal, on=NOW.date(), outcome="confirmed", notes="", by=w.facilitator, now=NOW)
    assert who_may(w, "signal.confirm", signal) == {"representative"}


def test_a_submitted_signal_is_seen_and_moved_on_by_facilitators_only(w):
    signal = complete_draft(w)
    to_consultation(w, signal)
    services.record_consultation(signal, on=NOW.date(), outcome="confirmed", notes="", by=w.facilitator, now=NOW)
    services.confirm_submission(signal, by=w.representative, now=NOW)
    db.session.flush()
    assert who_may(w, "signal.view", signal) == {"facilitator", "other_facilitator"}
    assert who_may(w, "signal.advance", signal) == {"facilitator", "other_facilitator"}
    assert who_may(w, "signal.edit", signal) == set()


def test_a_new_signal_for_a_team_by_its_members_and_facilitators(w):
    assert who_may(w, "signal.create_for_team", w.team) == {"facilitator", "anna", "bart"}

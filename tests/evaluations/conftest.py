"""Shared arrangements for the evaluation tests: a Lab with participants and its form."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.evaluations import services
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.timeutil import utcnow

PROGRAMME_END = datetime(2024, 6, 14, 15, 0, tzinfo=UTC)


@dataclass
class Programme:
    lab: object
    facilitator: object
    participants: list
    form: object
    now: datetime  # when the cycle runs (the test's `now`)


@pytest.fixture
def now():
    """Links are checked against the real clock, so the cycle runs "now" (five minutes back, read per
    test); the Lab itself ran in June 2024."""
    return utcnow().replace(microsecond=0) - timedelta(minutes=5)


@pytest.fixture
def programme(app, make, now):
    """A Lab with a facilitator, five participants and a copy of the default form (anonymous)."""
    facilitator = make.make_user(Role.FACILITATOR, name="Fien Facilitator")
    lab = make.make_lab(name="Field Lab Mensenhandel", facilitators=[facilitator],
                        programme_starts_on=date(2024, 6, 10), programme_ends_on=date(2024, 6, 14))
    participants = [make.make_user(Role.PARTICIPANT, name=f"Deelnemer {n}") for n in range(1, 6)]
    for person in participants:
        make.add_participant(lab, person)
    form = services.create_form(lab=lab, by=facilitator, now=now)
    db.session.commit()
    return Programme(lab=lab, facilitator=facilitator, participants=participants, form=form, now=now)


def link_from_outbox(email: str, kind: str = "request") -> str:
    """The answer link as the person reads it in the mail body."""
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email,
                                                            OutboxMessage.idempotency_key.like(f"%:{kind}"))).one()
    return re.search(r"https?://\S+/evaluatie/\S+", message.body_text).group(0)


def path_of(link: str) -> str:
    return urlsplit(link).path


def answers_for(form, overall="8", aspects="7", takeaway="Meer samenwerken met de Belastingdienst."):
    data = {}
    for question in form.active_questions:
        if question.kind == "grade":
            data[question.field_name] = overall if question.is_overall else aspects
        elif question.kind == "choice":
            data[question.field_name] = question.choices[0]
        elif question.kind == "text" and takeaway:
            data[question.field_name] = takeaway
    return data

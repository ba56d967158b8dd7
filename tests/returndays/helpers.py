"""Arrange a team with everyone who gets invited to its return days."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.mail.models import OutboxMessage
from fieldlab.returndays import decisions
from fieldlab.timeutil import LOCAL_ZONE, as_utc
from tests import factories


@dataclass
class Setting:
    facilitator: object
    lab: object
    team: object
    members: list
    manager: object
    commissioner: object


def arrange_team(starts_on: date | None = date(2025, 2, 10), *, members: int = 2, place="Utrecht, LIEC") -> Setting:
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna Facilitator")
    commissioner = factories.make_user(Role.COMMISSIONER, name="Olga Opdrachtgever")
    manager = factories.make_user(Role.MANAGER, name="Lars Leidinggevende")
    lab = factories.make_lab(name="Field Lab Mensenhandel", facilitators=[facilitator], place=place)
    people = [factories.make_user(Role.PARTICIPANT, name=f"Deelnemer {n}") for n in range(1, members + 1)]
    problem = factories.make_problem(commissioner, lab=lab)
    team = factories.make_team(lab, members=people, name="Team Lovitura", problem=problem, starts_on=starts_on)
    for participation in lab.participations:
        participation.manager = manager
    db.session.flush()
    return Setting(facilitator, lab, team, people, manager, commissioner)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Europe/Amsterdam) wall-clock moment as UTC."""
    return as_utc(datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_ZONE))


def details(day: date, start=(10, 0), end=(16, 0), place="Utrecht, LIEC", agenda="Terugblik en vooruitblik"):
    from datetime import time

    return decisions.Details(day=day, start=time(*start), end=time(*end), place=place, agenda=agenda)


def outbox() -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def keys() -> list[str]:
    return [message.idempotency_key for message in outbox()]

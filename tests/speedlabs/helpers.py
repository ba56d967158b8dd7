"""Arrange speedlabs for the tests."""

from datetime import UTC, date, datetime, timedelta

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.speedlabs import preparing, rounds
from fieldlab.speedlabs.models import InvitationRole, InvitationStatus, SpeedlabInvitation
from tests import factories

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 3)


def make_speedlab(facilitator=None, *, seats=8, dots=3, owner=None, problem=None, question="Hoe voorkomen we misbruik van vastgoed?", **fields):
    facilitator = facilitator or factories.make_user(Role.FACILITATOR)
    return preparing.create_session(
        title=fields.pop("title", "Speedlab vastgoed"), question=question, context=fields.pop("context", ""),
        starts_at=NOW + timedelta(days=7), ends_at=NOW + timedelta(days=7, hours=2, minutes=30),
        place="Utrecht", online_url="", seats=seats, dots_per_participant=dots, problem=problem,
        owner_user=owner, owner_name=fields.pop("owner_name", "" if owner or problem else "Olga Eigenaar"),
        owner_email=fields.pop("owner_email", "" if owner or problem else "olga@example.org"),
        by=facilitator, now=NOW, **fields,
    )


def add_participant(speedlab, user=None, *, status=InvitationStatus.ACCEPTED):
    user = user or factories.make_user(Role.PARTICIPANT)
    invitation = SpeedlabInvitation(session=speedlab, user=user, name=user.name, email=user.email,
                                    role=InvitationRole.ALUMNUS, status=status, invited_at=NOW)
    db.session.add(invitation)
    db.session.flush()
    return invitation


def run_to(speedlab, phase, *, now=NOW):
    """Start rounds until `phase` is the open round."""
    facilitator = speedlab.facilitator
    while speedlab.phase != phase:
        rounds.start_next_round(speedlab, minutes=30, by=facilitator, now=now)
    db.session.flush()

"""Build objects for tests through the models, with sensible defaults. Each call flushes."""

import itertools
from datetime import UTC, date, datetime

import pyotp
from argon2 import PasswordHasher

from fieldlab.auth.models import Role, User
from fieldlab.boards.models import Challenge
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabFacilitator, LabKind, Level, ParticipantProfile, Participation
from fieldlab.organisations.models import Organisation
from fieldlab.problems.models import Confidentiality, Problem, ProblemStatus
from fieldlab.teams.models import Membership, Team

PASSWORD = "correct horse battery"
# Facilitators must use two-factor sign-in; test facilitators are enrolled with this secret.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_counter = itertools.count(1)
_password_hash: str | None = None


def password_hash() -> str:
    """argon2 is slow on purpose (about half a second per check here). Test accounts get an argon2id
    hash with the smallest cost parameters: the app verifies with the parameters stored in the
    hash, so every login of a test account is fast while the app's own hashing stays strong."""
    global _password_hash
    if _password_hash is None:
        _password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    return _password_hash


_codes_used: dict[int, int] = {}


def totp_code_for(user: User) -> str:
    """A fresh code for this user: each login in a test takes the next time step, because a code
    is accepted only once and one step ahead is allowed."""
    offset = _codes_used.get(user.id, -1) + 1
    _codes_used[user.id] = offset
    return pyotp.TOTP(user.totp_secret).at(datetime.now(UTC).timestamp() + 30 * min(offset, 1))


def make_organisation(name=None, *, sector="publiek", kind="gemeente", short_name=None) -> Organisation:
    number = next(_counter)
    organisation = Organisation(name=name or f"Gemeente Test {number}", short_name=short_name or f"T{number}",
                                kind=kind, sector=sector)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def make_user(*roles, name=None, email=None, organisation=None, password=True, active=True,
              locale="nl", level=None, expertise=(), two_factor=None) -> User:
    number = next(_counter)
    user = User(name=name or f"Persoon {number}", email=email or f"persoon{number}@example.org",
                organisation=organisation, password_hash=password_hash() if password else None,
                active=active, locale=locale)
    user.set_roles(roles or [Role.PARTICIPANT])
    enrol_two_factor = Role.FACILITATOR in user.roles if two_factor is None else two_factor
    if enrol_two_factor:
        user.totp_secret = TOTP_SECRET
        user.totp_enabled_at = datetime.now(UTC)
    db.session.add(user)
    if level:
        db.session.add(ParticipantProfile(user=user, level=level, expertise=list(expertise)))
    db.session.flush()
    return user


def make_lab(*, name=None, kind=LabKind.TEAMS, facilitators=(), theme="mensenhandel", **fields) -> Lab:
    lab = Lab(name=name or f"Field Lab {next(_counter)}", kind=kind, theme=theme, **fields)
    for facilitator in facilitators:
        lab.facilitator_rows.append(LabFacilitator(user=facilitator))
    db.session.add(lab)
    db.session.flush()
    return lab


def add_participant(lab: Lab, user: User, *, manager: User | None = None) -> Participation:
    participation = Participation(lab=lab, user=user, manager=manager)
    db.session.add(participation)
    db.session.flush()
    return participation


def make_problem(commissioner: User, *, lab=None, title=None, status=ProblemStatus.SUBMITTED,
                 confidentiality=Confidentiality.INTERNAL, **fields) -> Problem:
    problem = Problem(commissioner=commissioner, organisation=commissioner.organisation, lab=lab,
                      title=title or f"Vraagstuk {next(_counter)}", status=status,
                      confidentiality=confidentiality, **fields)
    db.session.add(problem)
    db.session.flush()
    return problem


def make_team(lab: Lab, *, members=(), name=None, problem=None, starts_on: date | None = None) -> Team:
    team = Team(lab=lab, name=name or f"Team {next(_counter)}", problem=problem)
    db.session.add(team)  # before touching lab.participations: autoflush must not meet a loose team
    for member in members:
        team.memberships.append(Membership(user=member))
        if not any(p.user_id == member.id for p in lab.participations):
            lab.participations.append(Participation(user=member))
    if starts_on is not None:
        team.challenge = Challenge(goal="Een concreet doel.", starts_on=starts_on)
    db.session.flush()
    return team


__all__ = ["Level", "Role", "LabKind"]

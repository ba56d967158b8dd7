"""Participants of a Lab: registering them (one by one or a pasted list, checked line by line
before anything is saved), their leidinggevenden, and a participant's own profile (organisation,
level, expertise).

A module of its own because it is about people, not the Lab itself: it creates and reuses
accounts (auth), mails the people it registers and keeps their expertise tags.
Services take the acting user and the time explicitly and flush; the route commits once, so a
pasted list of participants is saved completely or not at all.
"""

from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from fieldlab.audit import services as audit
from fieldlab.auth import services as accounts
from fieldlab.auth.models import Role, User, normalise_email
from fieldlab.expertise import services as expertise_tags
from fieldlab.extensions import db
from fieldlab.labs import hooks
from fieldlab.labs.models import Lab, Level, ParticipantProfile, Participation
from fieldlab.labs.services import LabError
from fieldlab.mail.services import external_url, queue_message
from fieldlab.organisations import services as organisation_list
from fieldlab.organisations.models import Organisation
from fieldlab.timeutil import utcnow

LEVEL_WORDS = {
    **{str(level.lazy_label).lower(): level for level in Level},  # the Dutch words
    **{level.value: level for level in Level},
}


def parse_level(text: str) -> Level | None:
    return LEVEL_WORDS.get((text or "").strip().lower())


def level_choices() -> list[tuple[str, str]]:
    return [(level.value, level.label) for level in Level]


@dataclass
class ParticipantLine:
    """One person to register, with everything wrong with it (empty: fine)."""

    number: int
    name: str = ""
    email: str = ""
    organisation_text: str = ""
    organisation: Organisation | None = None
    kind: Organisation | None = None  # the kind row, when a kind was pasted ("Gemeente")
    level_text: str = ""
    level: Level | None = None
    expertise: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    existing_user: User | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def check_participant(line: ParticipantLine, lab: Lab, *, seen: dict[str, int] | None = None,
                      organisations: dict[str, Organisation] | None = None) -> ParticipantLine:
    """Fill in the organisation, level and existing account, and list every problem in Dutch."""
    lookup = organisations if organisations is not None else organisation_list.name_lookup()
    line.name = " ".join(line.name.split())
    if not line.name:
        line.errors.append(str(_l("naam ontbreekt")))
    elif len(line.name) > 120:
        line.errors.append(str(_l("naam is langer dan 120 tekens")))
    email = normalise_email(line.email)
    line.email = email
    if not email:
        line.errors.append(str(_l("e-mailadres ontbreekt")))
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            line.errors.append(str(_l("ongeldig e-mailadres")))
    if line.organisation_text.strip():
        found = lookup.get(organisation_list.lookup_key(line.organisation_text))
        if found is not None and found.generic:
            # "Gemeente" is a kind: the person belongs to one gemeente, which the page offers to add.
            line.kind = found
            line.errors.append(str(_l("'%(name)s' is een soort organisatie, geen organisatie: %(question)s",
                                      name=line.organisation_text.strip(),
                                      question=organisation_list.question_for(found).in_sentence)))
        elif found is None:
            line.errors.append(str(_l("onbekende organisatie '%(name)s'", name=line.organisation_text.strip())))
        else:
            line.organisation = found
    if line.level_text.strip():
        line.level = parse_level(line.level_text)
        if line.level is None:
            line.errors.append(str(_l("onbekend niveau '%(level)s' (kies uitvoering, beleid, management of expert)",
                                      level=line.level_text.strip())))
    if isinstance(line.expertise, str):
        line.expertise = expertise_tags.parse_tags(line.expertise)
    if email and seen is not None:
        if email in seen:
            line.errors.append(str(_l("dubbel: dit e-mailadres staat ook op regel %(line)s", line=seen[email])))
        else:
            seen[email] = line.number
    if email:
        line.existing_user = User.by_email(email)
        if line.existing_user is not None and any(p.user_id == line.existing_user.id for p in lab.participations):
            line.errors.append(str(_l("al aangemeld voor dit Lab")))
    return line


def _split(raw: str) -> list[str]:
    return [part.strip() for part in (raw.split("\t") if "\t" in raw else raw.split(";"))]


def parse_participant_lines(text: str, lab: Lab) -> list[ParticipantLine]:
    """Pasted lines `naam; e-mail; organisatie; niveau; expertise` (tab or semicolon separated,
    expertise comma separated). A header line and empty lines are skipped. Nothing is saved."""
    lookup = organisation_list.name_lookup()  # kinds included, to say so
    seen: dict[str, int] = {}
    lines = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = _split(raw)
        if not lines and parts[0].lower() in {"naam", "name"}:
            continue
        too_many = any(parts[5:])
        parts = (parts + [""] * 5)[:5]
        line = ParticipantLine(number=number, name=parts[0], email=parts[1], organisation_text=parts[2],
                               level_text=parts[3], expertise=parts[4])
        if too_many:
            line.errors.append(str(_l("te veel velden: verwacht naam; e-mail; organisatie; niveau; expertise")))
        check_participant(line, lab, seen=seen, organisations=lookup)
        lines.append(line)
    return lines


def with_organisation(text: str, line_number: int, name: str) -> str:
    """The pasted text with the organisation of line `line_number` replaced by `name` (after "Welke
    gemeente?" was answered for it), the line's separator and the other lines kept as they were."""
    lines = (text or "").splitlines()
    if not 1 <= line_number <= len(lines):
        return text
    raw = lines[line_number - 1]
    separator = "\t" if "\t" in raw else ";"
    parts = raw.split(separator)
    parts += [""] * (3 - len(parts))
    parts[2] = f" {name}" if separator == ";" and parts[2].startswith(" ") else name
    lines[line_number - 1] = separator.join(parts)
    return "\n".join(lines)


@dataclass
class Registration:
    created: list[User] = field(default_factory=list)
    reused: list[User] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.created) + len(self.reused)


def _complete_profile(user: User, line: ParticipantLine) -> None:
    profile = db.session.get(ParticipantProfile, user.id)
    if profile is None:
        profile = ParticipantProfile(user_id=user.id, expertise=[])
        db.session.add(profile)
    if line.level and not profile.level:
        profile.level = line.level.value
    profile.expertise = expertise_tags.store_tags(list(profile.expertise or []) + list(line.expertise))


def register_participants(lab: Lab, lines: list[ParticipantLine], *, by: User,
                          now: datetime | None = None) -> Registration:
    """Create accounts (invited by e-mail) or reuse existing ones, and register them for the Lab.
    Refuses the whole list when any line has a problem: nothing is half saved."""
    now = now or utcnow()
    if not lines:
        raise LabError(_l("Er staan geen deelnemers in de lijst."))
    if any(line.errors for line in lines):
        raise LabError(_l("Niet alle regels zijn in orde. Verbeter ze en bekijk de lijst opnieuw."))
    result = Registration()
    for line in lines:
        user = line.existing_user
        if user is None:
            user = accounts.invite_user(accounts.Invitee(
                name=line.name, email=line.email,
                organisation_id=line.organisation.id if line.organisation else None, roles=[Role.PARTICIPANT],
            ), by=by, now=now)
            result.created.append(user)
        else:
            if not user.has_role(Role.PARTICIPANT):
                accounts.change_roles(user, [*user.roles, Role.PARTICIPANT], by=by, now=now)
            if user.organisation_id is None and line.organisation is not None:
                user.organisation_id = line.organisation.id
            result.reused.append(user)
            queue_message(
                key=f"lab-registration:lab{lab.id}:user{user.id}", to=user.email, template="lab_registration",
                locale=user.locale, now=now, user=user, lab_name=lab.name,
                link=external_url("labs.detail", lab_id=lab.id),
            )
        _complete_profile(user, line)
        lab.participations.append(Participation(user_id=user.id, registered_at=now))
    db.session.flush()
    audit.record("participants_registered", actor=by, obj=lab, now=now, count=result.count)
    return result


def remove_participant(participation: Participation, *, by: User, now: datetime | None = None) -> None:
    """Off the Lab, and out of its teams (`hooks.participant_leaving`)."""
    lab = participation.lab
    audit.record("participant_removed", actor=by, obj=lab, subject_user=participation.user, now=now)
    hooks.participant_leaving.send(participation)
    lab.participations.remove(participation)
    db.session.flush()


def set_manager(participation: Participation, manager: User | None, *, by: User,
                now: datetime | None = None) -> None:
    """The leidinggevende who follows this participant (invited to day 1/50/100, reads the board)."""
    if manager is not None and manager.id == participation.user_id:
        raise LabError(_l("Iemand kan niet zijn of haar eigen leidinggevende zijn."))
    if manager is not None and not manager.has_role(Role.MANAGER):
        accounts.change_roles(manager, [*manager.roles, Role.MANAGER], by=by, now=now)
    participation.manager = manager
    db.session.flush()


def invite_manager(participation: Participation, *, name: str, email: str, by: User,
                   now: datetime | None = None) -> User:
    """Reuse the account with this e-mail address, or invite a new one with the manager role."""
    manager = User.by_email(email)
    if manager is None:
        manager = accounts.invite_user(accounts.Invitee(
            name=name, email=email, organisation_id=participation.user.organisation_id, roles=[Role.MANAGER],
        ), by=by, now=now)
    set_manager(participation, manager, by=by, now=now)
    return manager


def participants_of(lab: Lab) -> list[Participation]:
    return list(db.session.scalars(
        select(Participation).join(User, Participation.user_id == User.id)
        .where(Participation.lab_id == lab.id, User.erased_at.is_(None))
        .options(selectinload(Participation.user).selectinload(User.organisation),
                 selectinload(Participation.manager))
        .order_by(func.lower(User.name))
    ))


def participant_count(lab: Lab) -> int:
    """The Lab's current participants: erased people still count in reports, not here."""
    return db.session.scalar(select(func.count()).select_from(Participation).join(User, Participation.user_id == User.id)
                             .where(Participation.lab_id == lab.id, User.erased_at.is_(None)))


def manager_candidates() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(func.lower(User.name))))


# --- Profiles ---------------------------------------------------------------------------------------

def profile_for(user: User) -> ParticipantProfile:
    profile = db.session.get(ParticipantProfile, user.id)
    return profile or ParticipantProfile(user_id=user.id, expertise=[])


def update_profile(user: User, *, organisation_id: int | None, level: str | None, expertise: list[str],
                   by: User, now: datetime | None = None) -> ParticipantProfile:
    profile = db.session.get(ParticipantProfile, user.id)
    if profile is None:
        profile = ParticipantProfile(user_id=user.id)
        db.session.add(profile)
    user.organisation_id = organisation_id
    profile.level = Level(level).value if level else None
    profile.expertise = expertise_tags.store_tags(expertise, now=now)
    db.session.flush()
    return profile


"""Write and read audit events. Services call `record`; nothing updates or deletes a row."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import User
from fieldlab.extensions import db
from fieldlab.paging import Page, paginate
from fieldlab.timeutil import LOCAL_ZONE, utcnow

# Dutch descriptions of the actions, shown on the audit page.

ACTION_LABELS = {
    "login": _l("ingelogd"),
    "login_failed": _l("inloggen mislukt"),
    "login_throttled": _l("inloggen geblokkeerd (te veel pogingen)"),
    "logout": _l("uitgelogd"),
    "password_changed": _l("wachtwoord gewijzigd"),
    "password_reset_requested": _l("wachtwoordherstel aangevraagd"),
    "password_reset": _l("wachtwoord hersteld via link"),
    "user_invited": _l("account uitgenodigd"),
    "invitation_accepted": _l("uitnodiging geaccepteerd"),
    "roles_changed": _l("rollen gewijzigd"),
    "user_deactivated": _l("account gedeactiveerd"),
    "user_reactivated": _l("account weer geactiveerd"),
    "organisation_added": _l("organisatie toegevoegd"),
    "two_factor_enabled": _l("tweestapsverificatie aangezet"),
    "two_factor_disabled": _l("tweestapsverificatie uitgezet"),
    "recovery_codes_regenerated": _l("nieuwe herstelcodes gemaakt"),
    "recovery_code_used": _l("ingelogd met een herstelcode"),
    "evaluation_sent": _l("evaluatie verstuurd"),
    "evaluation_closed": _l("evaluatie gesloten"),
    "evaluation_exported": _l("evaluatieresultaten geëxporteerd"),
    # Vraagstukken and Labs
    "problem_accepted": _l("vraagstuk geaccepteerd"),
    "problem_rejected": _l("vraagstuk afgewezen"),
    "lab_created": _l("Lab aangemaakt"),
    "lab_changed": _l("Lab gewijzigd"),
    "participants_registered": _l("deelnemers aangemeld"),
    "participant_removed": _l("deelnemer afgemeld"),
    "team_created": _l("team aangemaakt"),
    "teams_formed": _l("teams samengesteld"),
    "expertise_merged": _l("expertise samengevoegd"),
}


def record(action: str, *, actor=None, subject_user=None, obj=None, now: datetime | None = None,
           **detail) -> AuditEvent:
    event = AuditEvent(
        at=now or utcnow(),
        action=action,
        actor_id=getattr(actor, "id", None),
        subject_user_id=getattr(subject_user, "id", None),
        object_type=type(obj).__name__.lower() if obj is not None else None,
        object_id=getattr(obj, "id", None),
        detail={key: value for key, value in detail.items() if value is not None},
    )
    db.session.add(event)
    return event


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@dataclass
class AuditFilter:
    action: str | None = None
    person_id: int | None = None  # as actor or as the person acted upon
    person_text: str | None = None  # part of a name or e-mail address, as actor or acted upon
    date_from: date | None = None  # local dates, inclusive
    date_to: date | None = None


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE)


def events_page(audit_filter: AuditFilter, *, page: int) -> Page:
    """One page of the log, newest first, with who acted and on whom (three statements)."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).options(
        joinedload(AuditEvent.actor).lazyload(User.role_rows),
        joinedload(AuditEvent.subject_user).lazyload(User.role_rows))
    if audit_filter.action:
        query = query.where(AuditEvent.action == audit_filter.action)
    if audit_filter.person_id:
        query = query.where(or_(AuditEvent.actor_id == audit_filter.person_id,
                                AuditEvent.subject_user_id == audit_filter.person_id))
    if audit_filter.person_text:
        pattern = f"%{audit_filter.person_text.lower()}%"
        people = select(User.id).where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
        query = query.where(or_(AuditEvent.actor_id.in_(people), AuditEvent.subject_user_id.in_(people)))
    if audit_filter.date_from:
        query = query.where(AuditEvent.at >= _local_midnight_utc(audit_filter.date_from))
    if audit_filter.date_to:
        query = query.where(AuditEvent.at < _local_midnight_utc(audit_filter.date_to + timedelta(days=1)))
    return paginate(query, page=page)

"""Write and read audit events. Services call `record`; nothing updates or deletes a row."""

from datetime import datetime

from flask import current_app
from sqlalchemy import select

from fieldlab.audit.models import AuditEvent
from fieldlab.extensions import db
from fieldlab.timeutil import utcnow

# Dutch descriptions of the actions, shown on the audit page.
from flask_babel import lazy_gettext as _l

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
    "team_created": _l("team aangemaakt"),
    "teams_formed": _l("teams samengesteld"),
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


def events_page(*, action: str | None, page: int):
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    return db.paginate(query, page=page, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)

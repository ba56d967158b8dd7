"""Write and read audit events. Services call `record`; nothing updates or deletes a row.

An event stores ids (actor, subject, object) and a few codes. What it is about is named when it
is read: `describe_events` resolves the names of every object on a page in one UNION ALL query
(by table name, so this low-level package imports no feature's models). Chosen over storing a
readable subject at write time because rows written before this existed read just as well, a
renamed organisation or Lab is shown by its current name, and an erased person is never frozen
into an audit row: the log only ever holds ids, as its model promises.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, literal, null, or_, select, union_all
from sqlalchemy.orm import joinedload

from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role, User, person_matches
from fieldlab.extensions import db
from fieldlab.paging import Page, paginate
from fieldlab.timeutil import LOCAL_ZONE, local, utcnow

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
    "login_refused_deactivated": _l("inloggen geweigerd (account gedeactiveerd)"),
    "audit_exported": _l("logboek geëxporteerd (CSV)"),
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


def _filtered(audit_filter: AuditFilter):
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).options(
        joinedload(AuditEvent.actor).lazyload(User.role_rows),
        joinedload(AuditEvent.subject_user).lazyload(User.role_rows))
    if audit_filter.action:
        query = query.where(AuditEvent.action == audit_filter.action)
    if audit_filter.person_id:
        query = query.where(or_(AuditEvent.actor_id == audit_filter.person_id,
                                AuditEvent.subject_user_id == audit_filter.person_id))
    if audit_filter.person_text:
        people = select(User.id).where(person_matches(audit_filter.person_text))
        query = query.where(or_(AuditEvent.actor_id.in_(people), AuditEvent.subject_user_id.in_(people)))
    if audit_filter.date_from:
        query = query.where(AuditEvent.at >= _local_midnight_utc(audit_filter.date_from))
    if audit_filter.date_to:
        query = query.where(AuditEvent.at < _local_midnight_utc(audit_filter.date_to + timedelta(days=1)))
    return query


def events_page(audit_filter: AuditFilter, *, page: int) -> Page:
    """One page of the log, newest first, with who acted and on whom (three statements)."""
    return paginate(_filtered(audit_filter), page=page)


# --- What an event is about, in words -------------------------------------------------------

# object_type (the class name, lower case) → (word, table, label column, [joins]) where each
# join adds the name of a related row: (column on the object's table, table, its label column).
OBJECT_KINDS = {
    "organisation": (_l("Organisatie"), "organisation", "name", []),
    "lab": (_l("Lab"), "lab", "name", []),
    "team": (_l("Team"), "team", "name", [("lab_id", "lab", "name")]),
    "problem": (_l("Vraagstuk"), "problem", "title", []),
    "signal": (_l("Signaal"), "signal", None, [("lab_id", "lab", "name"), ("team_id", "team", "name")]),
    "returnday": (_l("Terugkomdag"), "return_day", "day_number",
                  [("lab_id", "lab", "name"), ("team_id", "team", "name")]),
    "evaluationform": (_l("Evaluatie"), "evaluation_form", "title", []),
    "teamresult": (_l("Resultaat"), "team_result", None, [("team_id", "team", "name")]),
    "followupstep": (_l("Vervolgstap"), None, None, []),
    "speedlabsession": (_l("Speedlab"), "speedlab_session", "title", []),
    "boardcard": (_l("Kaart"), "board_card", "title", []),
    "expertisetag": (_l("Expertise"), "expertise_tag", "label", []),
}


def _names_statement(wanted: dict[str, set[int]]):
    """One UNION ALL over the object kinds on a page: (kind, id, label, first join, second join)."""
    tables = db.Model.metadata.tables
    parts = []
    for kind, ids in wanted.items():
        _word, table_name, label, joins = OBJECT_KINDS.get(kind, (None, None, None, []))
        if table_name is None or table_name not in tables:
            continue
        table = tables[table_name]
        columns = [literal(kind).label("kind"), table.c.id.label("id"),
                   cast(table.c[label], String).label("label") if label else cast(null(), String).label("label")]
        source = table
        for number, (column, other_name, other_label) in enumerate(joins[:2]):
            other = tables[other_name].alias(f"{kind}_join{number}")
            source = source.outerjoin(other, table.c[column] == other.c.id)
            columns.append(cast(other.c[other_label], String).label(f"extra{number}"))
        columns += [cast(null(), String).label(f"extra{number}") for number in range(len(joins[:2]), 2)]
        parts.append(select(*columns).select_from(source).where(table.c.id.in_(sorted(ids))))
    if not parts:
        return None
    return union_all(*parts) if len(parts) > 1 else parts[0]


def _object_text(kind: str, object_id: int, row) -> str:
    word = OBJECT_KINDS[kind][0] if kind in OBJECT_KINDS else kind
    if row is None:
        return _("%(kind)s (verwijderd)", kind=word) if kind in OBJECT_KINDS and OBJECT_KINDS[kind][1] else str(word)
    label, first, second = row.label, row.extra0, row.extra1
    if kind == "returnday":
        where = ", ".join(part for part in (first, second) if part)
        return _("Terugkomdag dag %(day)s (%(where)s)", day=label, where=where)
    if kind == "signal":
        return _("Signaal uit %(lab)s", lab=first) + (f" ({second})" if second else "")
    if kind == "teamresult":
        return _("Resultaat van %(team)s", team=first or "—")
    extra = f" ({first})" if first else ""
    return f"{word}: {label}{extra}"


def _role_words(values) -> str:
    words = []
    for value in values or []:
        try:
            words.append(str(Role(value).label))
        except ValueError:
            words.append(str(value))
    return ", ".join(words) or _("geen")


REASONS = {
    "unknown_account": _l("onbekend account"),
    "wrong_password": _l("verkeerd wachtwoord"),
    "wrong_code": _l("verkeerde code"),
    "used_code": _l("code al gebruikt"),
    "codes_per_account": _l("te veel codes voor dit account"),
    "codes_per_attempt": _l("te veel codes in één poging"),
}


# A detail's value → its words, per detail key, registered by the features that record them (the
# speedlabs say which round started: `phase`).
DETAIL_WORDS: dict[str, dict[str, object]] = {}


def _detail_text(event: AuditEvent) -> str:
    """The few facts an event keeps, in words: the roles before and after, why a login failed."""
    detail = event.detail or {}
    for key, words in DETAIL_WORDS.items():
        if key in detail:
            return str(words.get(detail[key], detail[key]))
    if event.action == "roles_changed" and "after" in detail:
        return _("van %(before)s naar %(after)s", before=_role_words(detail.get("before")),
                 after=_role_words(detail.get("after")))
    if event.action == "user_invited" and "roles" in detail:
        return _("rollen: %(roles)s", roles=_role_words(detail["roles"]))
    if "reason" in detail:
        return str(REASONS.get(detail["reason"], detail["reason"]))
    if "count" in detail:
        return _("aantal: %(count)s", count=detail["count"])
    return ""


@dataclass
class Described:
    event: AuditEvent
    actor: str
    subject: str
    detail: str


def describe_events(events) -> list[Described]:
    """The events with who acted, what they are about and the details in words: one statement
    for all the objects' names, however many events and kinds."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_type and event.object_id is not None:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    statement = _names_statement(wanted)
    rows = {(row.kind, row.id): row for row in db.session.execute(statement)} if statement is not None else {}
    described = []
    for event in events:
        parts = []
        if event.subject_user is not None:
            parts.append(event.subject_user.name)
        if event.object_type:
            parts.append(_object_text(event.object_type, event.object_id,
                                      rows.get((event.object_type, event.object_id))))
        described.append(Described(event=event, actor=event.actor.name if event.actor else "",
                                   subject=" · ".join(parts), detail=_detail_text(event)))
    return described


# --- CSV for auditors ---------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text, never runs: one that starts like a formula gets a
    leading apostrophe (OWASP's advice against CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_header() -> list[str]:
    return [_("Wanneer"), _("Handeling"), _("Code"), _("Door"), _("Betreft"), _("Details")]


def export_csv(audit_filter: AuditFilter, *, batch: int = 500):
    """The filtered log as CSV text, yielded a batch at a time (a year of logins does not sit in
    memory): the header, then the rows, newest first, with names resolved per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_header())
    query = _filtered(audit_filter)
    offset = 0
    while True:
        events = db.session.scalars(query.limit(batch).offset(offset)).unique().all()
        for item in describe_events(events):
            writer.writerow([csv_safe(cell) for cell in (
                local(item.event.at).strftime("%Y-%m-%d %H:%M:%S"), action_label(item.event.action),
                item.event.action, item.actor, item.subject, item.detail)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(events) < batch:
            return
        offset += batch

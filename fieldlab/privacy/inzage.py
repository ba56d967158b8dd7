"""Inzage (AVG art. 15): everything Fieldlab holds about one person, twice.

`export_data` is the machine-readable JSON (stable keys, ISO times in UTC). `document` is the same
content for a person to read: a part per area of the app, each saying what it is, why it is kept
and how long; dates in Dutch local time, statuses and kinds in the app's own words. Both are
built here, in the language of the person concerned (the route sets it), so the page, the PDF and
the JSON never disagree about what is held.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from fieldlab.audit import services as audit
from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import User
from fieldlab.boards.feed import feed_lines
from fieldlab.boards.models import BoardCard, BoardEvent, Column, ProgressUpdate, Status
from fieldlab.evaluations.models import EvaluationAnswer, EvaluationRequest, EvaluationResponse
from fieldlab.extensions import db
from fieldlab.labs.models import ParticipantProfile, Participation
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.problems.models import Problem, ProblemStatus
from fieldlab.returndays.models import Invitation, InviteeRole, Response, ReturnDay
from fieldlab.speedlabs.models import Idea, InvitationStatus, SpeedlabInvitation
from fieldlab.teams.models import Membership, Team, TeamRole
from fieldlab.timeutil import utcnow


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _label(enum, value) -> str:
    return str(enum(value).label) if value in {member.value for member in enum} else (value or "")


def _when(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return format_datetime(value, "long")
    return format_date(value, "long")


@dataclass
class Part:
    """One heading of the inzage: what it is, why it is kept, how long, and the rows themselves."""

    key: str
    title: str
    meaning: str
    why: str
    kept: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Document:
    person: User
    made_at: datetime
    anonymised_on: date | None
    parts: list[Part]


# What each row shows of its neighbours, loaded with it: a fixed number of statements however many
# Labs, teams or forms a person has (tests/security/test_query_growth.py).
EAGER = {
    (Participation, "user_id"): (joinedload(Participation.lab), joinedload(Participation.manager)),
    (Participation, "manager_id"): (joinedload(Participation.lab), joinedload(Participation.user)),
    (Membership, "user_id"): (joinedload(Membership.team).joinedload(Team.lab),),
    (EvaluationRequest, "user_id"): (joinedload(EvaluationRequest.form),),
    (EvaluationResponse, "user_id"): (joinedload(EvaluationResponse.form),
                                      selectinload(EvaluationResponse.answers).joinedload(EvaluationAnswer.question)),
}


def _mine(model, column, user):
    options = EAGER.get((model, column.key), ())
    return list(db.session.scalars(select(model).where(column == user.id).options(*options)))


def _invitations(user: User) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where((Invitation.user_id == user.id)
                                                            | (Invitation.email == user.email))
                                   .options(joinedload(Invitation.return_day).joinedload(ReturnDay.lab))))


def _speedlab_invitations(user: User) -> list[SpeedlabInvitation]:
    return list(db.session.scalars(select(SpeedlabInvitation).where((SpeedlabInvitation.user_id == user.id)
                                                                    | (SpeedlabInvitation.email == user.email))
                                   .options(joinedload(SpeedlabInvitation.session))))


def _ideas_by_invitation(invitations) -> dict[int, list[str]]:
    ideas: dict[int, list[str]] = {}
    ids = [invitation.id for invitation in invitations]
    if ids:
        for author_id, title in db.session.execute(select(Idea.author_id, Idea.title).where(Idea.author_id.in_(ids))
                                                   .order_by(Idea.id)):
            ideas.setdefault(author_id, []).append(title)
    return ideas


def _messages(user: User) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email)
                                   .order_by(OutboxMessage.created_at)))


def _audit_events(user: User) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where((AuditEvent.actor_id == user.id)
                                                            | (AuditEvent.subject_user_id == user.id))
                                   .order_by(AuditEvent.at)))


def export_data(user: User, *, now: datetime) -> dict:
    """Everything the app holds about one person, as plain data for a JSON file."""
    profile = db.session.get(ParticipantProfile, user.id)
    return {
        "exported_at": _iso(now),
        "account": {
            "name": user.name, "email": user.email, "locale": user.locale, "active": user.active,
            "roles": sorted(role.value for role in user.roles),
            "organisation": user.organisation.name if user.organisation else None,
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
            "two_factor": user.has_two_factor,
        },
        "profile": {"level": profile.level, "expertise": list(profile.expertise or []), "note": profile.note}
        if profile else None,
        "labs": [{"lab": p.lab.name, "registered_at": _iso(p.registered_at),
                  "manager": p.manager.name if p.manager else None}
                 for p in _mine(Participation, Participation.user_id, user)],
        "managed_participants": [p.user.name for p in _mine(Participation, Participation.manager_id, user)],
        "teams": [{"team": m.team.name, "lab": m.team.lab.name, "role": m.role}
                  for m in _mine(Membership, Membership.user_id, user)],
        "problems_submitted": [{"title": p.title, "status": p.status, "created_at": _iso(p.created_at)}
                               for p in _mine(Problem, Problem.commissioner_id, user)],
        "board_cards_owned": [{"title": c.title, "column": c.column_key}
                              for c in _mine(BoardCard, BoardCard.owner_id, user)],
        "board_activity": [{"kind": e.kind, "at": _iso(e.at)} for e in _mine(BoardEvent, BoardEvent.actor_id, user)],
        "progress_updates": [{"at": _iso(u.created_at), "status": u.status, "went_well": u.went_well,
                              "stuck": u.stuck, "help_needed": u.help_needed, "hours_spent": u.hours_spent}
                             for u in _mine(ProgressUpdate, ProgressUpdate.author_id, user)],
        "return_day_invitations": [{"lab": i.return_day.lab.name, "day": i.return_day.day_number,
                                    "starts_at": _iso(i.return_day.starts_at), "role": i.role,
                                    "response": i.response, "remark": i.remark,
                                    "responded_at": _iso(i.responded_at)} for i in _invitations(user)],
        "evaluation_requests": [{"form": r.form.title, "answered": r.used, "requested_at": _iso(r.requested_at)}
                                for r in _mine(EvaluationRequest, EvaluationRequest.user_id, user)],
        "named_evaluation_answers": [
            {"form": response.form.title, "submitted_at": _iso(response.submitted_at),
             "answers": [{"question": a.question.text, "grade": a.grade, "choice": a.choice, "text": a.text}
                         for a in response.answers]}
            for response in _mine(EvaluationResponse, EvaluationResponse.user_id, user)
        ],
        "speedlabs": [{"session": i.session.title, "status": i.status} for i in _speedlab_invitations(user)],
        "speedlab_ideas": [{"title": idea.title, "explanation": idea.explanation} for idea in db.session.scalars(
            select(Idea).join(SpeedlabInvitation, Idea.author_id == SpeedlabInvitation.id)
            .where(SpeedlabInvitation.user_id == user.id))],
        "messages": [{"subject": m.subject, "status": m.status, "created_at": _iso(m.created_at)}
                     for m in _messages(user)],
        "audit_events": [{"action": e.action, "at": _iso(e.at), "as": "actor" if e.actor_id == user.id else "subject"}
                         for e in _audit_events(user)],
    }


def _kept_until(anonymised_on: date | None, months: int) -> str:
    if anonymised_on is None:
        return _("Tot %(months)s maanden na dag 100 van het laatste Lab waaraan u meedoet; die datum is nog niet "
                 "bekend. Daarna worden uw naam, e-mailadres en inlog gewist.", months=months)
    return _("Tot %(date)s (%(months)s maanden na dag 100 van uw laatste Lab). Dan worden uw naam, e-mailadres en "
             "inlog gewist.", date=_when(anonymised_on), months=months)


def _account_part(user: User, kept: str) -> Part:
    yes, no = _("ja"), _("nee")
    return Part(
        "account", _("Uw account"), _("Waarmee u inlogt en waarmee wij u bereiken."),
        _("Om u te laten inloggen en u berichten over uw Lab te sturen."), kept,
        facts=[(_("Naam"), user.name), (_("E-mailadres"), user.email),
               (_("Organisatie"), user.organisation.name if user.organisation else _("geen")),
               (_("Rollen"), ", ".join(sorted(str(role.label) for role in user.roles)) or _("geen")),
               (_("Taal"), "English" if user.locale == "en" else "Nederlands"),
               (_("Account actief"), yes if user.active else no),
               (_("Aangemaakt op"), _when(user.created_at)), (_("Laatst ingelogd"), _when(user.last_login_at)),
               (_("Inloggen in twee stappen"), yes if user.has_two_factor else no)])


def _participation_parts(user: User, kept: str) -> list[Part]:
    profile = db.session.get(ParticipantProfile, user.id)
    role_words = {TeamRole.LEADER: _("teamleider"), TeamRole.MEMBER: _("teamlid")}
    return [
        Part("profiel", _("Uw profiel"), _("Uw niveau en expertise, zoals u of de facilitator die invulde."),
             _("Om teams samen te stellen waarin niveaus en expertise elkaar aanvullen."), kept,
             facts=[(_("Niveau"), profile.level_label if profile and profile.level else "—"),
                    (_("Expertise"), ", ".join(profile.expertise or []) if profile else "—"),
                    (_("Toelichting"), (profile.note if profile else "") or "—")]),
        Part("labs", _("Labs"), _("De Labs waaraan u deelneemt of deelnam, en wie u daarin volgt."),
             _("Om u toegang te geven tot uw Lab en de Hub te laten tellen hoeveel mensen meededen."), kept,
             headers=[_("Lab"), _("Aangemeld op"), _("Leidinggevende")],
             rows=[[p.lab.name, _when(p.registered_at), p.manager.name if p.manager else "—"]
                   for p in _mine(Participation, Participation.user_id, user)]
             + [[p.lab.name, "—", _("u volgt %(name)s", name=p.user.name)]
                for p in _mine(Participation, Participation.manager_id, user)]),
        Part("teams", _("Teams"), _("De teams waarin u zit."),
             _("Om samen aan een vraagstuk te werken."), kept,
             headers=[_("Team"), _("Lab"), _("Rol")],
             rows=[[m.team.name, m.team.lab.name, role_words.get(m.role, m.role)]
                   for m in _mine(Membership, Membership.user_id, user)]),
        Part("vraagstukken", _("Vraagstukken"), _("De vraagstukken die u als opdrachtgever indiende."),
             _("Om het vraagstuk te beoordelen en aan een team te geven."),
             _("Zolang het vraagstuk bestaat; uw naam gaat mee met de opschoning van uw gegevens."),
             headers=[_("Titel"), _("Status"), _("Ingediend op")],
             rows=[[p.title, _label(ProblemStatus, p.status), _when(p.created_at)]
                   for p in _mine(Problem, Problem.commissioner_id, user)]),
    ]


def _work_parts(user: User, kept: str) -> list[Part]:
    team_history = _("Het werk blijft bij het team, na de opschoning onder een pseudoniem in plaats van uw naam.")
    events = list(db.session.scalars(select(BoardEvent).where(BoardEvent.actor_id == user.id)
                                     .options(joinedload(BoardEvent.actor)).order_by(BoardEvent.at)))
    seats = _speedlab_invitations(user)
    ideas = _ideas_by_invitation(seats)
    return [
        Part("bord", _("Teambord"), _("Kaarten waarvan u eigenaar bent en wat u op het bord deed."),
             _("Het bord is het geheugen van het team: wie wat deed, en wanneer."), team_history,
             headers=[_("Wat"), _("Wanneer")],
             rows=[[_("Kaart ‘%(title)s’ (%(column)s)", title=c.title, column=_label(Column, c.column_key)), "—"]
                   for c in _mine(BoardCard, BoardCard.owner_id, user)]
             + [[line.text, line.moment] for line in feed_lines(events)]),
        Part("voortgang", _("Voortgangsupdates"), _("Wat u per week over de voortgang van uw team schreef."),
             _("Om de facilitator en het team te laten zien hoe het gaat."), team_history,
             headers=[_("Datum"), _("Stand"), _("Ging goed"), _("Loopt vast"), _("Hulp nodig")],
             rows=[[_when(u.created_at), _label(Status, u.status), u.went_well or "—", u.stuck or "—",
                    u.help_needed or "—"] for u in _mine(ProgressUpdate, ProgressUpdate.author_id, user)]),
        Part("terugkomdagen", _("Terugkomdagen"), _("De terugkomdagen waarvoor u bent uitgenodigd en uw antwoord."),
             _("Om de terugkomdag te organiseren: wie komt er."), kept,
             headers=[_("Terugkomdag"), _("Als"), _("Uw antwoord"), _("Opmerking")],
             rows=[[_("Dag %(day)s van %(lab)s, %(when)s", day=i.return_day.day_number, lab=i.return_day.lab.name,
                      when=_when(i.return_day.starts_at)),
                    _label(InviteeRole, i.role), _label(Response, i.response) or _("nog niet"), i.remark or "—"]
                   for i in _invitations(user)]),
        Part("evaluaties", _("Evaluaties"), _("De evaluaties die u is gevraagd in te vullen, en uw antwoorden met "
                                              "naam. Anonieme antwoorden zijn niet aan u te koppelen en staan hier "
                                              "dus niet."),
             _("Om het programma te verbeteren."),
             _("Antwoorden met naam worden bij de opschoning anonieme antwoorden: de cijfers blijven meetellen."),
             headers=[_("Evaluatie"), _("Gevraagd op"), _("Ingevuld"), _("Uw antwoorden")],
             rows=[[r.form.title, _when(r.requested_at), _("ja") if r.used else _("nee"), "—"]
                   for r in _mine(EvaluationRequest, EvaluationRequest.user_id, user)]
             + [[response.form.title, _when(response.submitted_at), _("ja"),
                 "; ".join(f"{a.question.text}: {a.grade if a.grade is not None else (a.choice or a.text or '—')}"
                           for a in response.answers)]
                for response in _mine(EvaluationResponse, EvaluationResponse.user_id, user)]),
        Part("speedlabs", _("Speedlabs"), _("De speedlabs waarvoor u bent uitgenodigd, en uw ideeën."),
             _("Om plaatsen te verdelen en ideeën te verzamelen."), kept,
             headers=[_("Speedlab"), _("Status"), _("Ideeën")],
             rows=[[i.session.title, _label(InvitationStatus, i.status), ", ".join(ideas.get(i.id, [])) or "—"]
                   for i in seats]),
    ]


def _record_parts(user: User, kept: str) -> list[Part]:
    return [
        Part("berichten", _("Berichten"), _("E-mails die Fieldlab u stuurde of nog gaat sturen (onderwerp en status)."),
             _("Om te kunnen nagaan wat u is gestuurd."), kept,
             headers=[_("Onderwerp"), _("Status"), _("Aangemaakt op")],
             rows=[[m.subject, _label(MessageStatus, m.status), _when(m.created_at)] for m in _messages(user)]),
        Part("logboek", _("Logboek"), _("Wat u in Fieldlab deed, of wat anderen met uw gegevens deden."),
             _("De Hub moet kunnen laten zien wie wat wanneer deed (verantwoording)."),
             _("Het logboek blijft; na de opschoning staat er een pseudoniem in plaats van uw naam."),
             headers=[_("Wat"), _("Wanneer"), _("Door u of over u")],
             rows=[[audit.action_label(e.action), _when(e.at), _("door u") if e.actor_id == user.id else _("over u")]
                   for e in _audit_events(user)]),
    ]


def document(user: User, *, anonymised_on: date | None, months: int, now: datetime | None = None) -> Document:
    """The readable inzage, in the current language (the route sets the person's own)."""
    kept = _kept_until(anonymised_on, months)
    parts = [_account_part(user, kept), *_participation_parts(user, kept), *_work_parts(user, kept),
             *_record_parts(user, kept)]
    return Document(person=user, made_at=now or utcnow(), anonymised_on=anonymised_on, parts=parts)


def record_export(user: User, *, by: User, fmt: str, now: datetime | None = None) -> None:
    """Every inzage (page, PDF, JSON) is in the audit log: who looked at whose data, how."""
    audit.record("person_exported", actor=by, subject_user=user, now=now or utcnow(), format=fmt)

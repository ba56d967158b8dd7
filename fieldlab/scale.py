"""Many Labs at once, for the scale benchmark (bench/scale.py) and the query-count walk
(tests/security/test_query_growth.py): what the Hub holds after some years, written in bulk
through the app's own models (one INSERT per table per call, not an object per row), so 99 Labs
take seconds instead of minutes.

Per Lab: 30 participants with a profile, one opdrachtgever, two accepted vraagstukken, five teams
of six on a 100-day challenge with 40 cards and two progress updates each, the three return days of
every team with an invitation per member and one stakeholder, an anonymous evaluation with 50
responses, 200 audit rows and 100 outbox messages. 99 Labs give the issue's 100x database: 2,970
participants, 495 teams, 19,800 cards, 198 vraagstukken, 4,950 responses, 19,800 audit rows and
9,900 outbox messages. Nothing here runs in the app itself.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from fieldlab import reference_cache
from fieldlab.audit.models import AuditEvent
from fieldlab.auth.models import Role, User, UserRole
from fieldlab.boards.models import BoardCard, Challenge, Column, ProgressUpdate, Status
from fieldlab.evaluations.models import EvaluationForm, EvaluationRequest, EvaluationResponse
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabFacilitator, LabKind, Level, ParticipantProfile, Participation
from fieldlab.mail.models import MessageStatus, OutboxMessage
from fieldlab.organisations.models import Organisation
from fieldlab.problems.models import Confidentiality, Problem, ProblemStatus
from fieldlab.returndays.models import Invitation, InviteeRole, ReturnDay, ReturnDayStatus
from fieldlab.teams.models import Membership, Team

PARTICIPANTS_PER_LAB = 30
TEAMS_PER_LAB = 5
CARDS_PER_TEAM = 40
PROBLEMS_PER_LAB = 2
RESPONSES_PER_LAB = 50
AUDIT_ROWS_PER_LAB = 200
OUTBOX_ROWS_PER_LAB = 100
THEMES = ["Vastgoed", "Mensenhandel", "Drugs", "Zorgfraude", "Witwassen", "Arbeidsuitbuiting"]
EXPERTISE = ["financieel onderzoek", "vastgoed", "data-analyse", "strafrecht", "bestuursrecht", "zorg"]
LEVELS = list(Level)
COLUMNS = list(Column)
STATUSES = list(Status)
AUDIT_ACTIONS = ["login", "logout", "login_failed", "password_changed", "roles_changed"]


@dataclass
class Added:
    labs: int = 0
    users: int = 0
    teams: int = 0
    cards: int = 0
    problems: int = 0
    responses: int = 0
    audit_rows: int = 0
    outbox_rows: int = 0


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert rows in one statement and return their ids in the order of `rows`."""
    if not rows:
        return []
    return list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def _insert_only(model, rows: list[dict]) -> None:
    if rows:
        db.session.execute(insert(model), rows)


def _organisation_ids() -> list[int]:
    ids = list(db.session.scalars(select(Organisation.id).where(Organisation.generic.is_(False))
                                  .order_by(Organisation.id).limit(20)))
    if not ids:
        ids = _insert(Organisation, [dict(name=f"Gemeente Schaal {n}", short_name=f"GS{n}", kind="gemeente",
                                          sector="publiek" if n % 3 else "privaat") for n in range(6)])
    return ids


def add_labs(count: int, *, today: date, facilitator: User | None = None, password_hash: str | None = None) -> Added:
    """Add `count` Labs with everything in them (see the module docstring); flushes, never commits.

    Programmes are spread over the past years so some Labs are finished (alumni, purges ahead) and
    some run now. `password_hash` lets people log in (tests); without it they are invited only."""
    added = Added()
    if count <= 0:
        return added
    now = datetime.combine(today, time(12), tzinfo=UTC)
    first = (db.session.scalar(select(func.max(Lab.id))) or 0) + 1
    organisations = _organisation_ids()
    stamp = secrets.token_hex(3)  # e-mail addresses and keys stay unique when called twice

    lab_rows = []
    for n in range(count):
        starts = today - timedelta(days=30 + 40 * n)
        lab_rows.append(dict(name=f"Schaal-Lab {first + n}", kind=LabKind.TEAMS.value, theme=THEMES[n % len(THEMES)],
                             programme_starts_on=starts, programme_ends_on=starts + timedelta(days=2),
                             place="Utrecht", description="Een Lab van de schaaltest.", created_at=now))
    lab_ids = _insert(Lab, lab_rows)
    added.labs = len(lab_ids)
    if facilitator is not None:
        _insert_only(LabFacilitator, [dict(lab_id=lab_id, user_id=facilitator.id) for lab_id in lab_ids])

    # People: per Lab its participants, then one opdrachtgever.
    user_rows = []
    for n, lab_id in enumerate(lab_ids):
        for k in range(PARTICIPANTS_PER_LAB):
            user_rows.append(dict(name=f"Deelnemer {lab_id}-{k:02d}", email=f"d{lab_id}-{k}-{stamp}@schaal.example",
                                  organisation_id=organisations[(n + k) % len(organisations)],
                                  password_hash=password_hash, locale="nl", active=True,
                                  session_token=secrets.token_hex(16), created_at=now))
        user_rows.append(dict(name=f"Opdrachtgever {lab_id}", email=f"o{lab_id}-{stamp}@schaal.example",
                              organisation_id=organisations[n % len(organisations)], password_hash=password_hash,
                              locale="nl", active=True, session_token=secrets.token_hex(16), created_at=now))
    user_ids = _insert(User, user_rows)
    added.users = len(user_ids)
    per_lab = PARTICIPANTS_PER_LAB + 1
    participants = {lab_id: user_ids[i * per_lab:i * per_lab + PARTICIPANTS_PER_LAB] for i, lab_id in enumerate(lab_ids)}
    commissioners = {lab_id: user_ids[i * per_lab + PARTICIPANTS_PER_LAB] for i, lab_id in enumerate(lab_ids)}
    _insert_only(UserRole, [dict(user_id=user_id, role=Role.PARTICIPANT.value)
                            for people in participants.values() for user_id in people]
                 + [dict(user_id=user_id, role=Role.COMMISSIONER.value) for user_id in commissioners.values()])
    _insert_only(ParticipantProfile, [
        dict(user_id=user_id, level=LEVELS[k % len(LEVELS)].value,
             expertise=[EXPERTISE[k % len(EXPERTISE)], EXPERTISE[(k + 2) % len(EXPERTISE)]], note="")
        for people in participants.values() for k, user_id in enumerate(people)])
    _insert_only(Participation, [dict(lab_id=lab_id, user_id=user_id, registered_at=now)
                                 for lab_id, people in participants.items() for user_id in people])

    problem_ids = _insert(Problem, [
        dict(commissioner_id=commissioners[lab_id], organisation_id=organisations[k % len(organisations)],
             lab_id=lab_id, title=f"Vraagstuk {lab_id}-{k}", description="Omschrijving.", facts="Feiten.",
             concerns="Zorgen.", theme=THEMES[lab_id % len(THEMES)], confidentiality=Confidentiality.INTERNAL.value,
             status=ProblemStatus.ACCEPTED.value, staff_offered=3, expertise_needed=EXPERTISE[:2],
             staff_names="", suitability={}, submitted_at=now - timedelta(days=60), decided_at=now - timedelta(days=50),
             decision_reason="", created_at=now, updated_at=now, version=1)
        for lab_id in lab_ids for k in range(PROBLEMS_PER_LAB)])
    added.problems = len(problem_ids)

    team_rows, team_people = [], []
    for i, lab_id in enumerate(lab_ids):
        size = PARTICIPANTS_PER_LAB // TEAMS_PER_LAB
        for t in range(TEAMS_PER_LAB):
            team_rows.append(dict(lab_id=lab_id, name=f"Team {lab_id}-{t + 1}",
                                  problem_id=problem_ids[i * PROBLEMS_PER_LAB + t % PROBLEMS_PER_LAB]))
            team_people.append((lab_id, participants[lab_id][t * size:(t + 1) * size]))
    team_ids = _insert(Team, team_rows)
    added.teams = len(team_ids)
    _insert_only(Membership, [dict(team_id=team_id, user_id=user_id, role="member")
                              for team_id, (_, people) in zip(team_ids, team_people, strict=True) for user_id in people])
    lab_starts = dict(zip(lab_ids, (row["programme_starts_on"] for row in lab_rows), strict=True))
    challenge_ids = _insert(Challenge, [
        dict(team_id=team_id, goal="Een concreet, meetbaar doel.", starts_on=lab_starts[lab_id] + timedelta(days=7),
             intervention_plan="", team_agreement="", board_version=1, board_changed_at=now, updated_at=now)
        for team_id, (lab_id, _) in zip(team_ids, team_people, strict=True)])
    card_rows, update_rows = [], []
    for challenge_id, (_, people) in zip(challenge_ids, team_people, strict=True):
        for c in range(CARDS_PER_TEAM):
            card_rows.append(dict(challenge_id=challenge_id, title=f"Actie {c + 1}", description="",
                                  owner_id=people[c % len(people)], column_key=COLUMNS[c % 4].value, position=c // 4,
                                  due_day=c * 2 + 1, labels=[], quick_win=c < 3, version=1, created_at=now,
                                  updated_at=now, done_at=now if COLUMNS[c % 4] == Column.DONE else None))
        for u in range(2):
            update_rows.append(dict(challenge_id=challenge_id, author_id=people[0], status=STATUSES[u % 3].value,
                                    created_at=now - timedelta(days=7 * (2 - u)), went_well="Goed overleg.",
                                    stuck="Wachten op gegevens.", help_needed="Toegang tot het systeem."))
    _insert_only(BoardCard, card_rows)
    _insert_only(ProgressUpdate, update_rows)
    added.cards = len(card_rows)

    day_rows, day_people = [], []
    for team_id, (lab_id, people), challenge_start in zip(
            team_ids, team_people, (lab_starts[lab_id] + timedelta(days=7) for lab_id, _ in team_people), strict=True):
        for number in (1, 50, 100):
            starts = datetime.combine(challenge_start + timedelta(days=number - 1), time(9), tzinfo=UTC)
            day_rows.append(dict(lab_id=lab_id, team_id=team_id, day_number=number,
                                 status=ReturnDayStatus.CONFIRMED.value, starts_at=starts,
                                 ends_at=starts + timedelta(hours=6), place="Utrecht", agenda="Terugblik.",
                                 sequence=0, created_at=now, updated_at=now))
            day_people.append(people)
    day_ids = _insert(ReturnDay, day_rows)
    emails = dict(zip(user_ids, (row["email"] for row in user_rows), strict=True))
    names = dict(zip(user_ids, (row["name"] for row in user_rows), strict=True))
    invitation_rows = []
    for day_id, people in zip(day_ids, day_people, strict=True):
        for user_id in people:
            invitation_rows.append(dict(return_day_id=day_id, user_id=user_id, email=emails[user_id],
                                        name=names[user_id], role=InviteeRole.MEMBER.value, remark="",
                                        response="yes", created_at=now))
        invitation_rows.append(dict(return_day_id=day_id, user_id=None, email=f"s{day_id}-{stamp}@partner.example",
                                    name="Stakeholder", role=InviteeRole.STAKEHOLDER.value, remark="", response=None,
                                    created_at=now))
    _insert_only(Invitation, invitation_rows)

    form_ids = _insert(EvaluationForm, [
        dict(lab_id=lab_id, title=f"Evaluatie Schaal-Lab {lab_id}", intro="", anonymous=True, deadline_days=14,
             version=1, opened_at=now - timedelta(days=20), deadline_at=now - timedelta(days=6),
             closed_at=now - timedelta(days=6), created_at=now - timedelta(days=21),
             created_by_id=facilitator.id if facilitator is not None else None)
        for lab_id in lab_ids])
    _insert_only(EvaluationRequest, [
        dict(form_id=form_id, user_id=user_id, nonce=secrets.token_hex(8), used=True, requested_at=now)
        for form_id, lab_id in zip(form_ids, lab_ids, strict=True) for user_id in participants[lab_id]])
    response_rows = [dict(id=secrets.token_hex(16), form_id=form_id, form_version=1, anonymous=True)
                     for form_id in form_ids for _ in range(RESPONSES_PER_LAB)]
    _insert_only(EvaluationResponse, response_rows)
    added.responses = len(response_rows)

    audit_rows, outbox_rows = [], []
    for lab_id in lab_ids:
        people = participants[lab_id]
        for a in range(AUDIT_ROWS_PER_LAB):
            audit_rows.append(dict(at=now - timedelta(minutes=lab_id * AUDIT_ROWS_PER_LAB + a),
                                   action=AUDIT_ACTIONS[a % len(AUDIT_ACTIONS)], actor_id=people[a % len(people)],
                                   subject_user_id=people[(a + 1) % len(people)] if a % 5 == 4 else None, detail={}))
        for m in range(OUTBOX_ROWS_PER_LAB):
            recipient = people[m % len(people)]
            outbox_rows.append(dict(idempotency_key=f"scale:{stamp}:{lab_id}:{m}", recipient=emails[recipient],
                                    subject=f"Uitnodiging terugkomdag Schaal-Lab {lab_id}",
                                    body_text="Tekst.", body_html="<p>Tekst.</p>", attachments=[],
                                    status=MessageStatus.SENT.value if m % 10 else MessageStatus.FAILED.value,
                                    attempts=1, next_attempt_at=now,
                                    last_error="" if m % 10 else "550 mailbox niet gevonden",
                                    created_at=now - timedelta(minutes=lab_id * OUTBOX_ROWS_PER_LAB + m),
                                    sent_at=now if m % 10 else None))
    _insert_only(AuditEvent, audit_rows)
    _insert_only(OutboxMessage, outbox_rows)
    added.audit_rows, added.outbox_rows = len(audit_rows), len(outbox_rows)
    # Labs, vraagstukken and organisations are in kept lists, and no flush saw these Core inserts:
    # one raise for the whole build, in its transaction.
    reference_cache.raise_version(db.session)
    db.session.flush()
    return added

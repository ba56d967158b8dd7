"""A seeded Lab whose numbers the report tests assert.

Field Lab Ondermijning 2025 (programme 13–15 January 2025), facilitator Fien:
- two vraagstukken of opdrachtgever Olga (Gemeente Tilburg): "Vastgoed in de binnenstad" (intern,
  team Baken) and "Witwassen via flitsbezorgers" (vertrouwelijk, team Kompas; its description and
  Kompas's goal and updates carry the marker SECRET);
- six participants: Baken = Anna (Gemeente Tilburg, beleid, leader), Bart (Politie, uitvoering),
  Bea (Rabobank, expert); Kompas = Kees (Gemeente Tilburg, management), Koen and Kim (Politie,
  uitvoering). Leidinggevende Marco follows Bart;
- Baken: day 1 on 20 January 2025, 4 cards of which 2 done (on day 3 and day 10), updates on
  track / at risk / on track, indicator "Panden gecontroleerd" 0 → 40 measured 12 and 25;
- return day 1 of Baken (confirmed): 6 invited, 3 yes, 1 no, 1 maybe, 1 no answer;
- day-100 results: Baken reached its goal (final value 42, opdrachtgever's grade 8, still in use
  after six months), Kompas partly (its explanation carries SECRET);
- the programme evaluation: 6 asked, 4 answered with overall grades 9, 8, 8 and 7 (average 8.0);
  the return-day evaluation of day 1: 6 asked, 2 answered (below the threshold of 3).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from fieldlab.auth.models import Role
from fieldlab.boards.models import BoardCard, Indicator, IndicatorValue, ProgressUpdate
from fieldlab.evaluations import answering, sending
from fieldlab.evaluations import services as evaluations
from fieldlab.extensions import db
from fieldlab.labs.models import Level
from fieldlab.outcomes.models import ResultIndicator, SustainabilityAnswer, TeamResult
from fieldlab.problems.models import Confidentiality, ProblemStatus
from fieldlab.returndays.models import Invitation, ReturnDay
from fieldlab.teams.models import TeamRole
from fieldlab.timeutil import utcnow
from tests.evaluations.conftest import answers_for

SECRET = "SECRET-flitsbezorger-route-Z7"
TODAY = date(2025, 6, 1)


@dataclass
class Seeded:
    lab: object
    facilitator: object
    commissioner: object
    manager: object
    participant: object
    outsider_commissioner: object
    baken: object
    kompas: object
    internal: object
    confidential: object
    programme_form: object
    return_day_form: object


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _answer(form, people, grades, *, now: datetime):
    sending.create_requests(form, [person.id for person in people], now=now)
    for person, grade in zip(people, grades, strict=False):
        request = sending.request_for_user(form, person)
        answering.submit_response(request, answers_for(form, overall=grade, aspects="7"), now=now)


@pytest.fixture
def seeded(app, make):
    return seed_lab(make)


def seed_lab(make, suffix: str = "") -> Seeded:
    """The Lab described above, committed. `suffix` keeps organisation names unique in a database
    that other tests share (the browser journeys' live server)."""
    tilburg = make.make_organisation(f"Gemeente Tilburg{suffix}", sector="publiek")
    politie = make.make_organisation(f"Politie Zeeland-West-Brabant{suffix}", sector="publiek", kind="politie")
    bank = make.make_organisation(f"Rabobank{suffix}", sector="privaat", kind="bank")
    facilitator = make.make_user(Role.FACILITATOR, name="Fien Facilitator")
    olga = make.make_user(Role.COMMISSIONER, name="Olga Opdrachtgever", organisation=tilburg)
    petra = make.make_user(Role.COMMISSIONER, name="Petra Elders",
                           organisation=make.make_organisation(f"Gemeente Breda{suffix}"))
    marco = make.make_user(Role.MANAGER, name="Marco Manager", organisation=politie)
    lab = make.make_lab(name="Field Lab Ondermijning 2025", facilitators=[facilitator], theme="ondermijning",
                        programme_starts_on=date(2025, 1, 13), programme_ends_on=date(2025, 1, 15))
    internal = make.make_problem(olga, lab=lab, title="Vastgoed in de binnenstad", status=ProblemStatus.ACCEPTED,
                                 description="Panden wisselen vaak van eigenaar.", theme="vastgoed")
    confidential = make.make_problem(olga, lab=lab, title="Witwassen via flitsbezorgers",
                                     status=ProblemStatus.ACCEPTED, confidentiality=Confidentiality.CONFIDENTIAL,
                                     description=f"Route via {SECRET}.", theme="witwassen")
    people = {
        "Anna": (tilburg, Level.POLICY), "Bart": (politie, Level.EXECUTION), "Bea": (bank, Level.EXPERT),
        "Kees": (tilburg, Level.MANAGEMENT), "Koen": (politie, Level.EXECUTION), "Kim": (politie, Level.EXECUTION),
    }
    users = {name: make.make_user(Role.PARTICIPANT, name=name, organisation=organisation, level=level)
             for name, (organisation, level) in people.items()}
    baken = make.make_team(lab, name="Baken", problem=internal, members=[users["Anna"], users["Bart"], users["Bea"]],
                           starts_on=date(2025, 1, 20))
    kompas = make.make_team(lab, name="Kompas", problem=confidential,
                            members=[users["Kees"], users["Koen"], users["Kim"]], starts_on=date(2025, 1, 20))
    kompas.challenge.goal = f"Doel met {SECRET}"
    baken.challenge.goal = "Binnen 100 dagen 40 panden gecontroleerd."
    next(m for m in baken.memberships if m.user_id == users["Anna"].id).role = TeamRole.LEADER
    next(p for p in lab.participations if p.user_id == users["Bart"].id).manager = marco
    db.session.flush()

    start = baken.challenge.starts_on
    for number, done_day in enumerate([3, 10, None, None], start=1):
        db.session.add(BoardCard(challenge_id=baken.challenge.id, title=f"Actie {number}", owner_id=users["Anna"].id,
                                 column_key="done" if done_day else "planned", position=number,
                                 done_at=_at(start + timedelta(days=done_day - 1)) if done_day else None))
    db.session.add(BoardCard(challenge_id=kompas.challenge.id, title="Kompaskaart", owner_id=users["Kees"].id,
                             column_key="done", position=0, done_at=_at(start + timedelta(days=4))))
    for week, status in enumerate(["on_track", "at_risk", "on_track"]):
        db.session.add(ProgressUpdate(challenge_id=baken.challenge.id, author_id=users["Anna"].id,
                                      created_at=_at(start + timedelta(days=7 * (week + 1))), status=status,
                                      went_well=f"Week {week + 1} goed", stuck="", help_needed=""))
    db.session.add(ProgressUpdate(challenge_id=kompas.challenge.id, author_id=users["Kees"].id,
                                  created_at=_at(start + timedelta(days=7)), status="behind",
                                  went_well=f"Update over {SECRET}"))
    indicator = Indicator(challenge_id=baken.challenge.id, name="Panden gecontroleerd", unit="panden",
                          baseline=Decimal("0"), target=Decimal("40"))
    indicator.values = [IndicatorValue(measured_on=start + timedelta(days=29), value=Decimal("12")),
                        IndicatorValue(measured_on=start + timedelta(days=59), value=Decimal("25"))]
    kompas_indicator = Indicator(challenge_id=kompas.challenge.id, name=f"Indicator {SECRET}", baseline=Decimal("1"),
                                 target=Decimal("2"))
    db.session.add_all([indicator, kompas_indicator])

    return_day = ReturnDay(lab_id=lab.id, team_id=baken.id, day_number=1, status="confirmed",
                           starts_at=_at(start, 8), ends_at=_at(start, 15), place="Tilburg")
    db.session.add(return_day)
    answers = ["yes", "yes", "yes", "no", "maybe", None]
    invitees = [users["Anna"], users["Bart"], users["Bea"], marco, olga, facilitator]
    for person, answer in zip(invitees, answers, strict=True):
        return_day.invitations.append(Invitation(user_id=person.id, email=person.email, role="member",
                                                 response=answer))
    db.session.flush()

    baken_result = TeamResult(team_id=baken.id, status="submitted", goal_reached="yes",
                              goal_explanation="42 panden gecontroleerd.", changes="Vaste controleroute.",
                              continuation="De gemeente neemt de route over.", owner_name="Anna",
                              commissioner_grade=8, submitted_at=_at(date(2025, 4, 29)))
    baken_result.indicators = [ResultIndicator(indicator=indicator, final_value=Decimal("42"))]
    baken_result.sustainability = SustainabilityAnswer(asked_at=_at(date(2025, 10, 29)), answered_at=_at(date(2025, 11, 2)),
                                                       still_in_use="yes", led_to="Twee panden gesloten.")
    kompas_result = TeamResult(team_id=kompas.id, status="submitted", goal_reached="partly",
                               goal_explanation=f"Deels, via {SECRET}", submitted_at=_at(date(2025, 4, 29)))
    db.session.add_all([baken_result, kompas_result])
    db.session.flush()

    participants = list(users.values())
    now = utcnow().replace(microsecond=0) - timedelta(minutes=5)  # the evaluations ran just now, per seeding
    programme_form = evaluations.create_form(lab=lab, by=facilitator, now=now)
    _answer(programme_form, participants, ["9", "8", "8", "7"], now=now)
    return_day_form = sending.return_day_form(return_day, now=now)
    _answer(return_day_form, participants, ["3", "4"], now=now)
    db.session.commit()
    return Seeded(lab=lab, facilitator=facilitator, commissioner=olga, manager=marco, participant=users["Anna"],
                  outsider_commissioner=petra, baken=baken, kompas=kompas, internal=internal,
                  confidential=confidential, programme_form=programme_form, return_day_form=return_day_form)

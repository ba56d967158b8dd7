"""How long the reports take with 100 Labs: the page and the PDF of one Lab, and the Hub's annual
report over all of them (page, PDF, CSV and XLSX).

    .venv/bin/python bench/reports.py [--labs 100] [--teams 6] [--repeat 5] [--database-url postgresql+psycopg://...]

Builds a database (SQLite in a temporary folder unless --database-url is given; that database is
emptied) with `--labs` Labs of one year, each with `--teams` teams of 5 participants from 8 organisations,
per team a 100-day board of 30 cards, 14 progress updates, 2 indicators with 6 values and a
submitted day-100 result with its six-month answer, one confirmed return day per team with 12
invitations, and a programme evaluation with 10 anonymous responses. Then it logs in as a
facilitator (with the two-factor step) through the app's own forms and times each report through
the Flask test client, in this process: what a request costs the server, without the network.
Prints the median and the slowest of `--repeat` runs of each, against the goals (page of 100 Labs
< 2 s, PDF of one Lab < 10 s).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyotp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-123"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
YEAR = 2025
GOALS = {"hub page": 2.0, "lab page": 2.0, "lab pdf": 10.0}


def build(app, labs: int, teams: int) -> tuple[int, list[int]]:
    from fieldlab.auth.models import Role, User
    from fieldlab.auth.services import hash_password
    from fieldlab.boards.models import BoardCard, Challenge, Indicator, IndicatorValue, ProgressUpdate
    from fieldlab.evaluations import services as evaluations
    from fieldlab.evaluations.models import EvaluationAnswer, EvaluationRequest, EvaluationResponse
    from fieldlab.extensions import db
    from fieldlab.labs.models import Lab, LabFacilitator, Level, ParticipantProfile, Participation
    from fieldlab.organisations.models import Organisation
    from fieldlab.outcomes.models import ResultIndicator, SustainabilityAnswer, TeamResult
    from fieldlab.problems.models import Problem
    from fieldlab.returndays.models import Invitation, ReturnDay
    from fieldlab.teams.models import Membership, Team

    with app.app_context():
        db.drop_all()
        db.create_all()
        password = hash_password(PASSWORD)
        organisations = [Organisation(name=f"Organisatie {n}", short_name=f"O{n}", kind="gemeente",
                                      sector="privaat" if n % 4 == 0 else "publiek") for n in range(8)]
        db.session.add_all(organisations)
        facilitator = User(email="facilitator@bench.example", name="Facilitator", password_hash=password,
                           totp_secret=TOTP_SECRET, totp_enabled_at=datetime.now(UTC))
        facilitator.set_roles([Role.FACILITATOR])
        commissioner = User(email="opdrachtgever@bench.example", name="Opdrachtgever", password_hash=password,
                            organisation=organisations[0])
        commissioner.set_roles([Role.COMMISSIONER])
        db.session.add_all([facilitator, commissioner])
        db.session.flush()
        levels = list(Level)
        lab_ids = []
        for number in range(labs):
            starts = date(YEAR, 1, 6) + timedelta(days=3 * (number % 100))
            lab = Lab(name=f"Field Lab {number:03d}", kind="teams", theme=["ondermijning", "vastgoed", "havens"][number % 3],
                      programme_starts_on=starts, programme_ends_on=starts + timedelta(days=2))
            lab.facilitator_rows.append(LabFacilitator(user=facilitator))
            db.session.add(lab)
            people = []
            for person in range(5 * teams):
                user = User(email=f"p{number}-{person}@bench.example", name=f"Deelnemer {number}-{person}",
                            organisation=organisations[(number + person) % 8], password_hash=None)
                user.set_roles([Role.PARTICIPANT])
                db.session.add(user)
                db.session.add(ParticipantProfile(user=user, level=levels[person % 4], expertise=[]))
                lab.participations.append(Participation(user=user))
                people.append(user)
            for team_number in range(teams):
                problem = Problem(commissioner=commissioner, organisation=organisations[0], lab=lab, status="accepted",
                                  title=f"Vraagstuk {number}-{team_number}", description="Omschrijving " * 20,
                                  confidentiality="vertrouwelijk" if team_number % 2 else "intern")
                team = Team(lab=lab, name=f"Team {team_number + 1}", problem=problem)
                members = people[team_number * 5:(team_number + 1) * 5]
                team.memberships = [Membership(user=member) for member in members]
                start = starts + timedelta(days=14)
                team.challenge = Challenge(goal="Een concreet doel.", starts_on=start)
                db.session.add_all([problem, team])
                db.session.flush()
                challenge = team.challenge
                for card in range(30):
                    done = card < 18
                    db.session.add(BoardCard(
                        challenge_id=challenge.id, title=f"Actie {card}", owner_id=members[card % 5].id,
                        column_key="done" if done else "planned", position=card,
                        done_at=datetime.combine(start + timedelta(days=card * 5), datetime.min.time(), UTC)
                        if done else None))
                for week in range(14):
                    db.session.add(ProgressUpdate(
                        challenge_id=challenge.id, author_id=members[0].id, status=["on_track", "at_risk"][week % 2],
                        created_at=datetime.combine(start + timedelta(days=7 * week + 6), datetime.min.time(), UTC),
                        went_well="Het ging goed met de gesprekken.", stuck="", help_needed="", hours_spent=4))
                indicators = []
                for name in ("Controles", "Meldingen"):
                    indicator = Indicator(challenge_id=challenge.id, name=name, baseline=Decimal(0), target=Decimal(40))
                    indicator.values = [IndicatorValue(measured_on=start + timedelta(days=15 * step),
                                                       value=Decimal(6 * step)) for step in range(6)]
                    indicators.append(indicator)
                db.session.add_all(indicators)
                result = TeamResult(team_id=team.id, status="submitted", goal_reached=["yes", "partly"][team_number % 2],
                                    goal_explanation="Toelichting.", changes="Verandering.", commissioner_grade=8)
                result.indicators = [ResultIndicator(indicator=indicator, final_value=Decimal(36)) for indicator in indicators]
                result.sustainability = SustainabilityAnswer(answered_at=datetime.now(UTC), still_in_use="yes")
                db.session.add(result)
                return_day = ReturnDay(lab_id=lab.id, team_id=team.id, day_number=1, status="confirmed",
                                       starts_at=datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=8),
                                       ends_at=datetime.combine(start, datetime.min.time(), UTC) + timedelta(hours=15))
                return_day.invitations = [Invitation(email=f"i{number}-{team_number}-{n}@bench.example", role="member",
                                                     response=[None, "yes", "yes", "no"][n % 4]) for n in range(12)]
                db.session.add(return_day)
            db.session.flush()
            form = evaluations.create_form(lab=lab, by=facilitator)
            form.opened_at = datetime.now(UTC)
            grades = {question.id: question for question in form.questions if question.kind == "grade"}
            for person in people:
                db.session.add(EvaluationRequest(form_id=form.id, user_id=person.id, used=True))
                response = EvaluationResponse(form_id=form.id, anonymous=True)
                response.answers = [EvaluationAnswer(question_id=question_id, grade=7 + (person.id + question_id) % 3)
                                    for question_id in grades]
                db.session.add(response)
            lab_ids.append(lab.id)
            db.session.commit()
        return facilitator.id, lab_ids


def login(client) -> None:
    response = client.post("/inloggen", data={"email": "facilitator@bench.example", "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    response = client.post("/inloggen/code", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.status_code == 303, response.status_code


def timed(client, path: str, repeat: int) -> tuple[float, float, float, int]:
    """Wall-clock median and maximum, and the median CPU time of this process (on a shared machine
    the wall clock also counts the time other processes had the cores)."""
    times, cpu, size = [], [], 0
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        assert response.status_code == 200, (path, response.status_code)
        size = len(response.data)
    return statistics.median(times), max(times), statistics.median(cpu), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=100)
    parser.add_argument("--teams", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    arguments = parser.parse_args()

    from fieldlab import create_app

    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{folder}/bench.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret", "INSTANCE_PATH": folder,
                          "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "SMTP_HOST": "",
                          "SESSION_COOKIE_SECURE": False})
        began = time.perf_counter()
        _facilitator, lab_ids = build(app, arguments.labs, arguments.teams)
        print(f"built {arguments.labs} Labs of {arguments.teams} teams in {time.perf_counter() - began:.1f} s "
              f"({url.split(':')[0]})")
        client = app.test_client()
        with app.app_context():
            login(client)
        lab_id = lab_ids[len(lab_ids) // 2]
        cases = [
            ("hub page", f"/rapportages/hub/{YEAR}"),
            ("hub pdf", f"/rapportages/hub/{YEAR}.pdf"),
            ("hub csv", f"/rapportages/hub/{YEAR}.csv"),
            ("hub xlsx", f"/rapportages/hub/{YEAR}.xlsx"),
            ("lab page", f"/labs/{lab_id}/rapportage"),
            ("lab pdf", f"/labs/{lab_id}/rapportage.pdf"),
            ("reports index", "/rapportages/"),
        ]
        print(f"load average at start: {' '.join(f'{value:.1f}' for value in os.getloadavg())}")
        print(f"{'report':<14} {'median s':>9} {'max s':>7} {'cpu s':>7} {'KB':>7}  goal (on the maximum)")
        for name, path in cases:
            with app.app_context():
                client.get(path)  # warm: templates compiled, fonts loaded
            median, slowest, cpu, size = timed(client, path, arguments.repeat)
            goal = GOALS.get(name)
            verdict = "" if goal is None else f"< {goal:g} s — {'met' if slowest < goal else 'NOT met'}"
            print(f"{name:<14} {median:>9.3f} {slowest:>7.3f} {cpu:>7.3f} {size / 1024:>7.1f}  {verdict}")


if __name__ == "__main__":
    main()

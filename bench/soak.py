"""Soak test: the scale-out deployment under a steady mixed load, then a check of the database.

    .venv/bin/pip install -e '.[bench,test]'
    .venv/bin/python bench/soak.py [--seconds 60] [--rate 40]

Creates the PostgreSQL database `fieldlab_soak_bench` (createdb/dropdb on 127.0.0.1 as postgres),
migrates it with `fieldlab prepare`, and fills it in this process through the app's models and
services: one Lab, 10 teams of 4 participants, two facilitators with two-factor sign-in, for each
team a confirmed terugkomdag on day 1 (its scheduled steps are put inside the run window) and a
confirmed day 50 whose invitations went out (the facilitators move it during the run), and a Lab
evaluation with a signed link per participant. Then it starts gunicorn (4 workers,
`fieldlab:create_app()`) and one `fieldlab scheduler` process (Redis for rate limits, an aiosmtpd
server in this process for mail), and drives for --seconds, at most --rate requests/s in all, on
loopback only: participants add, edit and move board cards (htmx posts with the page's CSRF token),
facilitators move their return days, participants answer the evaluation by link.

Afterwards: every acknowledged (2xx/3xx) card title and column is in the database, every outbox
key is there once and was received by the SMTP server at most once (the `X-Fieldlab-Key`
header), the scheduled steps each ran once, and no answer was a 5xx. Prints requests/s, p50/p99
per action, errors, lost updates and duplicate messages; exits 1 when any of those is not zero.
The servers are stopped and the database dropped at the end, also on error.
"""

import argparse
import collections
import concurrent.futures
import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "fieldlab_soak_bench"
PG = ["-h", "127.0.0.1", "-U", "postgres"]
TEAMS = 10
MEMBERS_PER_TEAM = 4
BOARD_USERS_PER_TEAM = 2
SECRET_KEY = "soak-bench-secret-key-not-for-production"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HTMX = {"HX-Request": "true"}
COLUMNS = ("planned", "doing", "blocked", "done")


# --- Mail ----------------------------------------------------------------------------------------

class SmtpSink:
    """Counts what arrives, per idempotency key."""

    def __init__(self):
        self.keys = collections.Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=email_policy.default)
        with self.lock:
            self.keys[message["X-Fieldlab-Key"] or "(no key)"] += 1
        return "250 OK"


# --- Processes -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], environment: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=ROOT)


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("server stopped:\n" + log.read_text()[-3000:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start:\n" + log.read_text()[-3000:])


# --- The data ------------------------------------------------------------------------------------

def prepare_data(app) -> dict:
    """Lab, teams, members, return days, evaluation: through the models and services."""
    import pyotp
    from sqlalchemy import select

    from fieldlab.auth.models import Role
    from fieldlab.evaluations import sending
    from fieldlab.evaluations import services as evaluations
    from fieldlab.extensions import db
    from fieldlab.returndays import decisions as returnday_decisions
    from fieldlab.returndays import invitations as returnday_invitations
    from fieldlab.returndays import services as returndays
    from fieldlab.returndays.models import ReturnDay
    from fieldlab.timeutil import local, utcnow
    from tests import factories

    now = utcnow()
    today = local(now).date()
    with app.app_context():
        facilitators = []
        for number in range(2):
            user = factories.make_user(Role.FACILITATOR, name=f"Facilitator {number}",
                                       email=f"facilitator{number}@soak.example")
            user.totp_secret = pyotp.random_base32()
            facilitators.append(user)
        lab = factories.make_lab(name="Field Lab Soak", facilitators=facilitators, place="Utrecht")
        returndays.update_settings(lab, invitation_days_before=7, shared=False, by=facilitators[0], now=now)
        teams = []
        for number in range(TEAMS):
            members = [factories.make_user(Role.PARTICIPANT, name=f"Lid {number}-{index}",
                                           email=f"lid{number}-{index}@soak.example")
                       for index in range(MEMBERS_PER_TEAM)]
            team = factories.make_team(lab, members=members, name=f"Team {number:02d}",
                                       starts_on=today - timedelta(days=10))
            teams.append((team, members))
        db.session.commit()
        people = {"teams": [], "facilitators": [], "answers": []}
        for number, (team, members) in enumerate(teams):
            facilitator = facilitators[number % 2]
            soon = returnday_decisions.save_return_day(
                lab=lab, team=team, day_number=1,
                details=returnday_decisions.Details(day=today + timedelta(days=10), start=clock(13), end=clock(17),
                                                    place="Utrecht"), by=facilitator, now=now)
            later = returnday_decisions.save_return_day(
                lab=lab, team=team, day_number=50,
                details=returnday_decisions.Details(day=today + timedelta(days=40), start=clock(13), end=clock(17),
                                                    place="Utrecht"), by=facilitator, now=now)
            returnday_invitations.send_invitations(later, now=now)
            people["teams"].append({"team_id": team.id, "soon_id": soon.id, "later_id": later.id,
                                    "facilitator": number % 2,
                                    "members": [(m.id, m.email) for m in members[:BOARD_USERS_PER_TEAM]]})
        form = evaluations.create_form(lab=lab, anonymous=True, by=facilitators[0], now=now)
        member_ids = [member.id for _team, members in teams for member in members]
        requests = sending.create_requests(form, member_ids, by=facilitators[0], now=now)
        db.session.commit()
        with app.test_request_context():
            people["answers"] = [sending.make_link_token(request) for request in requests]
        people["questions"] = [(question.field_name, question.kind) for question in form.active_questions]
        people["facilitators"] = [(user.email, user.totp_secret) for user in facilitators]
        people["soon_ids"] = db.session.scalars(select(ReturnDay.id).where(ReturnDay.day_number == 1)).all()
        db.session.remove()
    return people


def put_steps_in_window(app, soon_ids: list[int], started: float, seconds: int) -> None:
    """The day-1 steps (invitation, reminder, evaluation request) at moments inside the run, as if
    the clock had reached them: the scheduler process picks the new moments up at its next poll."""
    from fieldlab.extensions import db
    from fieldlab.returndays.models import JobKind, ReturnDayJob

    base = datetime.now(UTC) - timedelta(seconds=time.monotonic() - started)
    moments = {JobKind.INVITE: (0.10, 0.35), JobKind.REMINDER: (0.45, 0.6), JobKind.EVALUATION: (0.7, 0.85)}
    with app.app_context():
        for index, return_day_id in enumerate(soon_ids):
            for job in db.session.query(ReturnDayJob).filter_by(return_day_id=return_day_id):
                if job.kind in moments:
                    first, last = moments[JobKind(job.kind)]
                    fraction = first + (last - first) * index / max(1, len(soon_ids) - 1)
                    job.run_at = base + timedelta(seconds=seconds * fraction)
        db.session.commit()
        db.session.remove()


# --- HTTP ----------------------------------------------------------------------------------------

class Session:
    """One simulated person: a keep-alive connection and a cookie jar of one cookie."""

    def __init__(self, port: int, stats: "Stats"):
        self.port, self.stats = port, stats
        self.connection = None
        self.cookie = ""
        self.csrf = ""

    def request(self, action: str | None, method: str, path: str, data: dict | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if data is not None:
            body = urlencode(data)
            headers.update(FORM)
            if self.csrf:
                headers["X-CSRFToken"] = self.csrf
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            page = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection = None
            self.stats.record(action, (time.perf_counter() - started) * 1000, None, repr(error))
            return None, {}, b""
        self.stats.record(action, (time.perf_counter() - started) * 1000, response.status, None)
        for value in response.headers.get_all("Set-Cookie") or ():
            if value.startswith("fieldlab_session="):
                self.cookie = value.split(";")[0]
        if response.headers.get("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        token = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page)
        if token:
            self.csrf = token.group(1).decode()
        return response.status, response.headers, page

    def log_in(self, email: str, password: str, totp_secret: str | None = None) -> None:
        self.request("login", "GET", "/inloggen")
        status, headers, _ = self.request("login", "POST", "/inloggen", {"csrf_token": self.csrf, "email": email,
                                                                          "password": password})
        assert status == 303, f"login {email}: {status}"
        if headers["Location"].endswith("/inloggen/code"):
            import pyotp

            self.request("login", "GET", "/inloggen/code")
            status, headers, _ = self.request("login", "POST", "/inloggen/code",
                                              {"code": pyotp.TOTP(totp_secret).now()})
            assert status == 303, f"second step {email}: {status}"
        self.request("login", "GET", "/")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = collections.defaultdict(list)
        self.statuses = collections.Counter()
        self.by_action = collections.defaultdict(collections.Counter)
        self.errors: list[str] = []

    def record(self, action, milliseconds, status, error):
        with self.lock:
            if action:
                self.latencies[action].append(milliseconds)
                self.by_action[action][status] += 1
            self.statuses[status] += 1
            if error or status is None or status >= 500:
                self.errors.append(f"{action}: {status} {error or ''}")


class Pacer:
    """Every person waits for their turn: at most `rate` requests/s in all."""

    def __init__(self, rate: float, deadline: float):
        self.interval, self.deadline = 1 / rate, deadline
        self.lock = threading.Lock()
        self.next = time.monotonic()

    def turn(self) -> bool:
        with self.lock:
            moment = max(self.next, time.monotonic())
            self.next = moment + self.interval
        if moment >= self.deadline:
            return False
        time.sleep(max(0.0, moment - time.monotonic()))
        return True


# --- The simulated people ------------------------------------------------------------------------

def board_user(session: Session, team_id: int, user_id: int, pacer: Pacer, cards: dict, lock) -> None:
    """Add a card, then edit and move own cards; remember what the app acknowledged."""
    rng = random.Random(user_id)
    mine: list[int] = []
    counter = 0
    session.request("board", "GET", f"/teams/{team_id}/bord")
    while pacer.turn():
        counter += 1
        choice = rng.random()
        if not mine or choice < 0.25:
            title = f"Kaart {user_id}-{counter}"
            status, headers, _ = session.request("card add", "POST", f"/teams/{team_id}/bord/kaarten",
                                                 {"new-card-title": title, "new-card-owner": user_id,
                                                  "new-card-description": "", "new-card-due_day": "",
                                                  "new-card-labels": "", "new-card-version": ""})
            if status == 303:
                card_id = int(re.search(r"board-card-(\d+)", headers["Location"]).group(1))
                mine.append(card_id)
                with lock:
                    cards[card_id] = {"title": title, "column": "planned", "version": 1, "team_id": team_id}
            continue
        card_id = rng.choice(mine)
        card = cards[card_id]
        if choice < 0.6:
            title = f"Kaart {user_id}-{counter} (bewerkt)"
            status, _, _ = session.request(
                "card edit", "POST", f"/teams/{team_id}/bord/kaarten/{card_id}",
                {f"card-{card_id}-{name}": value for name, value in (
                    ("title", title), ("owner", user_id), ("description", "bijgewerkt"), ("due_day", "20"),
                    ("labels", "soak"), ("version", card["version"]))}, headers={**HTMX, "HX-Target": f"board-card-{card_id}"})
            if status is not None and status < 400:
                card["title"], card["version"] = title, card["version"] + 1
            elif status is None:
                card["uncertain"] = True
        else:
            column = rng.choice(COLUMNS)
            status, _, _ = session.request(
                "card move", "POST", f"/teams/{team_id}/bord/kaarten/{card_id}/verplaatsen",
                {"column": column, "position": rng.randint(1, 4)}, headers=HTMX)
            if status is not None and status < 400:
                card["column"] = column
            elif status is None:
                card["uncertain"] = True


def facilitator(session: Session, return_day_ids: list[int], pacer: Pacer, moved: dict, today) -> None:
    """Move return days (date and start time) through the update form."""
    rng = random.Random(sum(return_day_ids))
    while pacer.turn():
        return_day_id = rng.choice(return_day_ids)
        day = today + timedelta(days=rng.randint(30, 45))
        start_hour = rng.randint(9, 14)
        session.request("returnday page", "GET", f"/terugkomdagen/{return_day_id}")
        if not pacer.turn():
            break
        status, _, _ = session.request(
            "returnday move", "POST", f"/terugkomdagen/{return_day_id}/wijzigen",
            {"day": day.isoformat(), "start": f"{start_hour:02d}:00", "end": f"{start_hour + 3:02d}:00",
             "place": "Utrecht", "online_link": "", "agenda": "Voortgang en volgende stappen"})
        if status is not None and status < 400:
            moved[return_day_id] = (day, start_hour)
        elif status is None:
            moved[return_day_id] = None


def answerer(port: int, stats: Stats, tokens: list[str], questions, pacer: Pacer, answered: list) -> None:
    rng = random.Random(len(tokens))
    for token in tokens:
        if not pacer.turn():
            return
        session = Session(port, stats)
        session.request("evaluation page", "GET", f"/evaluatie/{token}")
        data = {"csrf_token": session.csrf}
        for name, kind in questions:
            data[name] = str(rng.randint(6, 10)) if kind == "grade" else "Goed programma."
        status, _, _ = session.request("evaluation answer", "POST", f"/evaluatie/{token}", data)
        if status is not None and status < 400:
            answered.append(token)


# --- Checks --------------------------------------------------------------------------------------

def wait_until_settled(app, soon_ids, timeout: float) -> float:
    """Until the day-1 steps ran and the outbox is empty (or the timeout)."""
    from sqlalchemy import func, select

    from fieldlab.extensions import db
    from fieldlab.mail.models import OutboxMessage
    from fieldlab.returndays.models import JobKind, ReturnDayJob

    started = time.monotonic()
    with app.app_context():
        while time.monotonic() - started < timeout:
            pending = sum(job.pending for job in db.session.scalars(select(ReturnDayJob).where(
                ReturnDayJob.return_day_id.in_(soon_ids),
                ReturnDayJob.kind.in_([JobKind.INVITE, JobKind.REMINDER, JobKind.EVALUATION]))))
            queued = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                       .where(OutboxMessage.status == "queued"))
            db.session.rollback()
            if not pending and not queued:
                break
            time.sleep(0.5)
        db.session.remove()
    return time.monotonic() - started


def verify(app, cards: dict, moved: dict, answered: list, soon_ids, sink: SmtpSink) -> dict:
    from sqlalchemy import func, select

    from fieldlab.boards.models import BoardCard, BoardEvent
    from fieldlab.evaluations.models import EvaluationRequest, EvaluationResponse
    from fieldlab.extensions import db
    from fieldlab.mail.models import OutboxMessage
    from fieldlab.returndays.models import JobKind, ReturnDay, ReturnDayJob
    from fieldlab.timeutil import local

    result = {}
    with app.app_context():
        stored = {card.id: card for card in db.session.scalars(select(BoardCard))}
        lost = []
        for card_id, expected in cards.items():
            card = stored.get(card_id)
            if card is None:
                lost.append((card_id, "missing"))
            elif not expected.get("uncertain") and (card.title, card.column_key) != (expected["title"],
                                                                                      expected["column"]):
                lost.append((card_id, expected["title"], expected["column"], card.title, card.column_key))
        result["cards"] = len(cards)
        result["lost card updates"] = lost
        added_events = set(db.session.scalars(select(BoardEvent.card_id).where(BoardEvent.kind == "card_added")))
        result["cards without their 'added' event"] = [card_id for card_id in stored if card_id not in added_events]
        positions = collections.defaultdict(list)
        for card in stored.values():
            positions[(card.challenge_id, card.column_key)].append(card.position)
        result["columns with duplicate positions"] = [
            (column, sorted(position for position, count in collections.Counter(values).items() if count > 1))
            for (_challenge, column), values in positions.items() if len(set(values)) != len(values)]
        lost_moves = []
        for return_day_id, expected in moved.items():
            return_day = db.session.get(ReturnDay, return_day_id)
            starts = local(return_day.starts_at)
            if expected is not None and (starts.date(), starts.hour) != expected:
                lost_moves.append((return_day_id, expected, starts))
        result["return-day moves"] = len(moved)
        result["lost return-day moves"] = lost_moves
        result["evaluation answers acknowledged"] = len(answered)
        used = db.session.scalar(select(func.count()).select_from(EvaluationRequest).where(EvaluationRequest.used))
        responses = db.session.scalar(select(func.count()).select_from(EvaluationResponse)
                                      .where(EvaluationResponse.form_id.in_(
                                          select(EvaluationRequest.form_id).distinct())))
        result["lost evaluation answers"] = max(0, len(answered) - min(used, responses))
        messages = db.session.scalars(select(OutboxMessage)).all()
        keys = collections.Counter(message.idempotency_key for message in messages)
        result["outbox messages"] = len(messages)
        result["outbox keys twice"] = [key for key, count in keys.items() if count > 1]
        status = collections.Counter(message.status for message in messages)
        result["outbox status"] = dict(status)
        result["received by SMTP"] = sum(sink.keys.values())
        result["received twice"] = [key for key, count in sink.keys.items() if count > 1]
        sent = {message.idempotency_key for message in messages if message.status == "sent"}
        result["sent but not received"] = sorted(sent - set(sink.keys))[:5]
        steps = db.session.scalars(select(ReturnDayJob).where(
            ReturnDayJob.return_day_id.in_(soon_ids),
            ReturnDayJob.kind.in_([JobKind.INVITE, JobKind.REMINDER, JobKind.EVALUATION]))).all()
        result["scheduled steps"] = len(steps)
        result["steps not run once"] = [(step.job_id, step.run_count) for step in steps
                                         if step.run_count != 1 or step.pending]
        expected_keys = 0
        missing = []
        for return_day_id in soon_ids:
            return_day = db.session.get(ReturnDay, return_day_id)
            invitations = return_day.active_invitations
            for prefix in ("invite", "reminder"):
                found = sum(key.startswith(f"{prefix}:returnday{return_day_id}:") for key in keys)
                expected_keys += len(invitations)
                if found != len(invitations):
                    missing.append((return_day_id, prefix, found, len(invitations)))
        result["scheduled messages expected"] = expected_keys
        result["scheduled messages wrong count"] = missing
        result["return-day evaluation requests"] = sum(key.startswith("evaluation:") and key.endswith(":request")
                                                       for key in keys)
        db.session.remove()
    return result


# --- Main ----------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="length of the load (default 60)")
    parser.add_argument("--rate", type=float, default=40, help="requests per second in all, at most (default 40)")
    options = parser.parse_args()

    from aiosmtpd.controller import Controller

    directory = Path(tempfile.mkdtemp(prefix="fieldlab-soak-"))
    instance = directory / "instance"
    instance.mkdir()
    port, smtp_port = free_port(), free_port()
    (instance / "config.py").write_text(
        "from datetime import timedelta\n"
        f"SECRET_KEY = {SECRET_KEY!r}\n"
        "MAIL_DRAIN_INTERVAL = timedelta(seconds=1)\n"
        "RETURNDAY_POLL_INTERVAL = timedelta(seconds=1)\n"
        "RATELIMIT_KEY_PREFIX = 'fieldlab-soak-bench'\n"
        f"BASE_URL = 'http://127.0.0.1:{port}'\n"
        "SESSION_COOKIE_SECURE = False\n"
        "REMEMBER_COOKIE_SECURE = False\n"
        "WTF_CSRF_SSL_STRICT = False\n"
    )
    database_url = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
    environment = {**os.environ, "DATABASE_URL": database_url, "FIELDLAB_INSTANCE_PATH": str(instance),
                   "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379", "SMTP_HOST": "127.0.0.1",
                   "SMTP_PORT": str(smtp_port)}
    os.environ.update({key: environment[key] for key in ("DATABASE_URL", "FIELDLAB_INSTANCE_PATH",
                                                         "RATELIMIT_STORAGE_URI", "SMTP_HOST", "SMTP_PORT")})
    binaries = Path(sys.executable).parent
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    web = scheduler = None
    subprocess.run(["dropdb", *PG, "--if-exists", DATABASE], check=True)
    subprocess.run(["createdb", *PG, DATABASE], check=True)
    try:
        controller.start()
        subprocess.run([str(binaries / "fieldlab"), "prepare"], env=environment, check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        from fieldlab import create_app
        from fieldlab.timeutil import local, utcnow
        from tests.factories import PASSWORD

        app = create_app()
        people = prepare_data(app)
        web_log, scheduler_log = directory / "gunicorn.log", directory / "scheduler.log"
        web = start([str(binaries / "gunicorn"), "--workers", "4", "--bind", f"127.0.0.1:{port}",
                     "--log-level", "warning", "fieldlab:create_app()"], environment, web_log)
        scheduler = start([str(binaries / "fieldlab"), "scheduler"], environment, scheduler_log)
        wait_for_port(port, web, web_log)

        stats = Stats()
        board_sessions = []
        for team in people["teams"]:
            for user_id, email in team["members"]:
                session = Session(port, stats)
                session.log_in(email, PASSWORD)
                board_sessions.append((session, team["team_id"], user_id))
        facilitator_sessions = []
        for number, (email, secret) in enumerate(people["facilitators"]):
            session = Session(port, stats)
            session.log_in(email, PASSWORD, secret)
            days = [team["later_id"] for team in people["teams"] if team["facilitator"] == number]
            facilitator_sessions.append((session, days))
        stats.latencies.clear()
        stats.statuses.clear()
        stats.by_action.clear()

        started = time.monotonic()
        put_steps_in_window(app, people["soon_ids"], started, options.seconds)
        deadline = started + options.seconds
        pacer = Pacer(options.rate, deadline)
        cards, moved, answered = {}, {}, []
        lock = threading.Lock()
        today = local(utcnow()).date()
        answer_pacer = Pacer(len(people["answers"]) / options.seconds * 1.2, deadline)
        with concurrent.futures.ThreadPoolExecutor(len(board_sessions) + len(facilitator_sessions) + 1) as pool:
            futures = [pool.submit(board_user, session, team_id, user_id, pacer, cards, lock)
                       for session, team_id, user_id in board_sessions]
            futures += [pool.submit(facilitator, session, days, pacer, moved, today)
                        for session, days in facilitator_sessions]
            futures.append(pool.submit(answerer, port, stats, people["answers"], people["questions"],
                                       answer_pacer, answered))
            for future in futures:
                future.result()
        elapsed = time.monotonic() - started
        settle = wait_until_settled(app, people["soon_ids"], timeout=60)
        stop(scheduler)
        stop(web)
        for log in (web_log, scheduler_log):
            lines = log.read_text().splitlines()
            causes = collections.Counter(
                line for line, following in zip(lines, [*lines[1:], ""][:len(lines)], strict=True)
                if "Exception on " in line or (line[:1].isalpha() and ("Error" in line or "Exception" in line)
                                               and not following.startswith(" ")))
            for line, count in causes.most_common(10):
                print(f"{log.name}: {count} × {line[:300]}")
        result = verify(app, cards, moved, answered, people["soon_ids"], sink)
    finally:
        stop(scheduler)
        stop(web)
        controller.stop()
        try:
            from fieldlab.extensions import db

            with app.app_context():
                db.engine.dispose()
        except Exception:  # noqa: BLE001 - cleaning up after an earlier error
            pass
        subprocess.run(["dropdb", *PG, "--if-exists", DATABASE], check=False)
        shutil.rmtree(directory, ignore_errors=True)

    total = sum(len(values) for values in stats.latencies.values())
    print(f"\nsoak: {options.seconds} s, at most {options.rate:.0f} req/s, gunicorn 4 workers + 1 scheduler, "
          f"PostgreSQL, Redis rate limits, {len(board_sessions)} board users, {len(facilitator_sessions)} "
          f"facilitators, {len(people['answers'])} evaluation links")
    print(f"requests: {total} in {elapsed:.1f} s = {total / elapsed:.1f} req/s; statuses "
          f"{dict(sorted(stats.statuses.items(), key=lambda item: str(item[0])))}")
    print(f"{'action':<20} {'count':>6} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for action, values in sorted(stats.latencies.items()):
        values.sort()
        print(f"{action:<20} {len(values):>6} {values[len(values) // 2]:>8.1f} "
              f"{values[min(len(values) - 1, int(len(values) * 0.99))]:>8.1f}  {dict(stats.by_action[action])}")
    print(f"errors (5xx or no answer): {len(stats.errors)} {stats.errors[:5]}")
    print(f"settled (steps ran, outbox empty) {settle:.1f} s after the load")
    for key, value in result.items():
        shown = len(value) if isinstance(value, list) else value
        print(f"  {key}: {shown}" + (f"  e.g. {value[:3]}" if isinstance(value, list) and value else ""))
    failed = (stats.errors or result["lost card updates"] or result["lost return-day moves"]
              or result["outbox keys twice"] or result["received twice"] or result["steps not run once"]
              or result["scheduled messages wrong count"] or result["cards without their 'added' event"]
              or result["lost evaluation answers"])
    print("verdict:", "FAIL" if failed else "ok (zero errors, zero lost updates, zero duplicate messages)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

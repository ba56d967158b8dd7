"""Load benchmark of the 100-day boards: what the refresh of many open boards costs.

    .venv/bin/pip install -e '.[bench]'     # gunicorn
    apt-get install -y wrk                   # optional: without it a Python thread pool drives the load
    .venv/bin/python bench/board_load.py [--database-url postgresql+psycopg://...] [--duration 5]

Builds a realistic database (50 teams × 40 cards × 100 days of events), starts the app under
gunicorn (2 workers) on 127.0.0.1, logs in one member of each of 10 teams, and drives, from
concurrent simulated users on loopback, each of: the full board page, the unchanged refresh (204),
a card move (POST), and a minimal "hello" endpoint on the same app and server. Prints requests/s,
p50 and p99 for each and its ratio to hello, then the gzipped size of the board's HTML and of a
first visit with all its assets. Everything is bounded in time and count, and stays on loopback.

"board" is the page of a board that did not change since someone last opened it (its columns and
feed come from the fragment store, fieldlab/fragments.py); "board-cold" is the same page with the
store off, what the first view after every change costs. The goal applies to "board"; the cold
figure is printed next to it so the store's share is plain.
"""

import argparse
import concurrent.futures
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEAMS = 50
CARDS_PER_TEAM = 40
DAYS = 100
EVENTS_PER_DAY = 4
MEMBERS_PER_TEAM = 5
USERS = 10  # simulated people, each a member of a different team
PASSWORD = "bench-password-123"
SECRET_KEY = "bench-secret-key-not-for-production"
GOALS = {"board": 0.10, "refresh": 0.50, "move": 0.15}
UNCACHED_PREFIX = "/zonder-fragmentopslag"  # as in board_load_wsgi.py: the app without the fragment store
HTML_GZIP_LIMIT = 15 * 1024
FIRST_VISIT_GZIP_LIMIT = 100 * 1024


# --- The database -----------------------------------------------------------------------------

def build_database(database_url: str, instance: Path) -> list[dict]:
    """Schema from the models and bulk-inserted rows; returns per team the member to log in as."""
    from sqlalchemy import insert, select

    from fieldlab import create_app
    from fieldlab.auth.models import Role, User, UserRole
    from fieldlab.auth.services import hash_password
    from fieldlab.boards.models import BoardCard, BoardEvent, Challenge, Column, EventKind
    from fieldlab.extensions import db
    from fieldlab.labs.models import Lab, Participation
    from fieldlab.teams.models import Membership, Team

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY,
                      "INSTANCE_PATH": str(instance)})
    now = datetime.now(UTC)
    start = (now - timedelta(days=DAYS - 1)).date()
    columns = list(Column)
    with app.app_context():
        db.drop_all()
        db.create_all()
        password = hash_password(PASSWORD)
        lab = Lab(name="Field Lab Benchmark", kind="teams", theme="ondermijning")
        db.session.add(lab)
        db.session.flush()
        users = [{"email": f"lid{number}@bench.example", "name": f"Teamlid {number}", "password_hash": password,
                  "locale": "nl", "active": True, "session_token": f"token{number}", "created_at": now,
                  "password_version": 0} for number in range(TEAMS * MEMBERS_PER_TEAM)]
        db.session.execute(insert(User), users)
        user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
        db.session.execute(insert(UserRole), [{"user_id": uid, "role": Role.PARTICIPANT} for uid in user_ids])
        db.session.execute(insert(Participation), [{"lab_id": lab.id, "user_id": uid} for uid in user_ids])
        db.session.execute(insert(Team), [{"lab_id": lab.id, "name": f"Team {number:02d}"} for number in range(TEAMS)])
        team_ids = db.session.scalars(select(Team.id).order_by(Team.id)).all()
        memberships, challenges = [], []
        for index, team_id in enumerate(team_ids):
            for offset in range(MEMBERS_PER_TEAM):
                memberships.append({"team_id": team_id, "user_id": user_ids[index * MEMBERS_PER_TEAM + offset],
                                    "role": "leader" if offset == 0 else "member"})
            challenges.append({"team_id": team_id, "goal": "Op dag 100 zijn 40 panden gecontroleerd.",
                               "starts_on": start, "intervention_plan": "", "team_agreement": "",
                               "board_version": 1, "board_changed_at": now, "updated_at": now})
        db.session.execute(insert(Membership), memberships)
        db.session.execute(insert(Challenge), challenges)
        challenge_ids = dict(db.session.execute(select(Challenge.team_id, Challenge.id)).all())
        cards, events = [], []
        for index, team_id in enumerate(team_ids):
            challenge_id = challenge_ids[team_id]
            for number in range(CARDS_PER_TEAM):
                column = columns[number % 4]
                cards.append({
                    "challenge_id": challenge_id, "title": f"Actie {number + 1}: overleg met de partners",
                    "description": "Afspraken maken over wie wat doet en wanneer." if number % 3 == 0 else "",
                    "owner_id": user_ids[index * MEMBERS_PER_TEAM + number % MEMBERS_PER_TEAM],
                    "column_key": column, "position": number // 4, "due_day": number * 2 + 1,
                    "labels": ["gemeente", "politie"][: number % 3], "quick_win": number == 1,
                    "version": 1, "created_at": now, "updated_at": now,
                    "done_at": now - timedelta(days=DAYS - number * 2) if column == Column.DONE else None})
            for day in range(DAYS):
                for event_number in range(EVENTS_PER_DAY):
                    events.append({
                        "challenge_id": challenge_id,
                        "actor_id": user_ids[index * MEMBERS_PER_TEAM + event_number % MEMBERS_PER_TEAM],
                        "at": now - timedelta(days=DAYS - day, minutes=event_number), "kind": EventKind.CARD_MOVED,
                        "detail": {"title": f"Actie {event_number + 1}", "source": "planned", "target": "doing"}})
        db.session.execute(insert(BoardCard), cards)
        for chunk in range(0, len(events), 5000):
            db.session.execute(insert(BoardEvent), events[chunk:chunk + 5000])
        db.session.commit()
        people = []
        for index in range(USERS):
            team_id = team_ids[index * (TEAMS // USERS)]
            card_id = db.session.scalar(select(BoardCard.id).where(
                BoardCard.challenge_id == challenge_ids[team_id]).order_by(BoardCard.id).limit(1))
            people.append({"email": f"lid{index * (TEAMS // USERS) * MEMBERS_PER_TEAM}@bench.example",
                           "team_id": team_id, "card_id": card_id})
        db.engine.dispose()
    print(f"database: {TEAMS} teams × {CARDS_PER_TEAM} cards, {len(events)} events ({DAYS} days)")
    return people


# --- The server -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, instance: Path, port: int) -> subprocess.Popen:
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
                   "FIELDLAB_INSTANCE_PATH": str(instance), "SESSION_COOKIE_SECURE": "0",
                   "PYTHONPATH": str(ROOT / "bench")}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "--chdir", str(ROOT), "board_load_wsgi:application"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _, _ = request(port, "GET", "/bench/hello")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def request(port: int, method: str, path: str, headers=None, body: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, response.headers, data


def log_in(port: int, email: str, team_id: int) -> dict:
    """Log in through the form like a browser, open the board once (as a browser would, keeping
    the cookie it sets), and return the cookie and the CSRF header htmx sends."""
    _, headers, page = request(port, "GET", "/inloggen")
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    body = urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    status, headers, _ = request(port, "POST", "/inloggen", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, f"login failed for {email}: {status}"
    cookie = headers["Set-Cookie"].split(";")[0]
    status, headers, page = request(port, "GET", f"/teams/{team_id}/bord", headers={"Cookie": cookie})
    assert status == 200, f"board of team {team_id}: {status}"
    if headers.get("Set-Cookie"):
        cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    return {"Cookie": cookie, "X-CSRFToken": token}


# --- The load -----------------------------------------------------------------------------------

class Scenario:
    def __init__(self, name: str, requests: list[tuple[str, str, dict, str | None]], expect: int):
        self.name, self.requests, self.expect = name, requests, expect


def lua_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(port: int, scenario: Scenario, *, duration: int, connections: int, directory: Path) -> dict:
    entries = []
    for method, path, headers, body in scenario.requests:
        header_table = "{" + ", ".join(f"[{lua_quote(k)}] = {lua_quote(v)}" for k, v in headers.items()) + "}"
        entries.append(f"  {{{lua_quote(method)}, {lua_quote(path)}, {header_table}, "
                       f"{lua_quote(body) if body else 'nil'}}}")
    script = directory / f"{scenario.name}.lua"
    script.write_text(
        "local requests = {\n" + ",\n".join(entries) + "\n}\n"
        "local counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  local r = requests[(counter % #requests) + 1]\n"
        "  return wrk.format(r[1], r[2], r[3], r[4])\n"
        "end\n"
    )
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = parse_latency(re.search(r"50%\s+([\d.]+\w+)", output).group(1))
    p99 = parse_latency(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        print(f"  {scenario.name}: socket errors {socket_errors.group(1)}")
    return {"rate": rate, "p50": p50, "p99": p99, "errors": int(non_2xx.group(1)) if non_2xx else 0}


def parse_latency(text: str) -> float:
    """wrk prints 1.23ms, 456.00us or 1.02s: milliseconds."""
    value, unit = float(re.match(r"[\d.]+", text).group()), re.search(r"[a-z]+$", text).group()
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_threads(port: int, scenario: Scenario, *, duration: int, connections: int, **_) -> dict:
    """Without wrk: a pool of threads with keep-alive connections, bounded by time and count."""
    deadline = time.monotonic() + duration
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker(offset: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        count = offset
        while time.monotonic() < deadline and count < offset + 100_000:
            method, path, headers, body = scenario.requests[count % len(scenario.requests)]
            count += 1
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += response.status != scenario.expect

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        list(pool.map(worker, range(connections)))
    elapsed = time.monotonic() - started
    latencies.sort()
    return {"rate": len(latencies) / elapsed, "p50": statistics.median(latencies),
            "p99": latencies[int(len(latencies) * 0.99) - 1], "errors": errors}


# --- Sizes --------------------------------------------------------------------------------------

def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def page_sizes(port: int, person: dict) -> tuple[int, int, int, list[tuple[str, int]]]:
    _, _, html = request(port, "GET", f"/teams/{person['team_id']}/bord", headers=person["headers"])
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)
    sizes = [(asset.decode(), gzipped(request(port, "GET", asset.decode())[2])) for asset in dict.fromkeys(assets)]
    return len(html), gzipped(html), gzipped(html) + sum(size for _, size in sizes), sizes


# --- Main ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--duration", type=int, default=5, help="seconds per scenario (default 5)")
    parser.add_argument("--connections", type=int, default=10, help="concurrent connections (default 10)")
    parser.add_argument("--threads", action="store_true", help="use the Python thread pool even if wrk exists")
    options = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="fieldlab-bench-"))
    instance = directory / "instance"
    instance.mkdir()
    database_url = options.database_url or f"sqlite:///{directory / 'bench.sqlite'}"
    people = build_database(database_url, instance)
    port = free_port()
    server = start_gunicorn(database_url, instance, port)
    try:
        for person in people:
            person["headers"] = log_in(port, person["email"], person["team_id"])
        versions = {}
        for person in people:
            _, _, html = request(port, "GET", f"/teams/{person['team_id']}/bord", headers=person["headers"])
            versions[person["team_id"]] = re.search(rb'id="board-version" name="versie" value="(\d+)"', html).group(1)

        def headers_of(person, **extra):
            return {**person["headers"], **extra}

        hx = {"HX-Request": "true"}
        scenarios = [
            Scenario("hello", [("GET", "/bench/hello", {}, None)], 200),
            Scenario("board", [("GET", f"/teams/{p['team_id']}/bord", headers_of(p), None) for p in people], 200),
            Scenario("board-cold", [("GET", f"{UNCACHED_PREFIX}/teams/{p['team_id']}/bord", headers_of(p), None)
                                    for p in people], 200),
            Scenario("refresh", [("GET", f"/teams/{p['team_id']}/bord/ververs?versie="
                                  f"{versions[p['team_id']].decode()}", headers_of(p, **hx), None)
                                 for p in people], 204),
            Scenario("move", [("POST", f"/teams/{p['team_id']}/bord/kaarten/{p['card_id']}/verplaatsen",
                               headers_of(p, **hx, **{"Content-Type": "application/x-www-form-urlencoded"}),
                               "column=doing&position=1") for p in people], 200),
        ]
        runner = run_threads if options.threads or not shutil.which("wrk") else run_wrk
        print(f"load: {runner.__name__.removeprefix('run_')}, {options.connections} connections, "
              f"{options.duration} s per scenario, gunicorn 2 workers on 127.0.0.1, "
              f"{'SQLite' if database_url.startswith('sqlite') else 'PostgreSQL'}")
        results = {}
        for scenario in scenarios:
            results[scenario.name] = runner(port, scenario, duration=options.duration,
                                            connections=options.connections, directory=directory)
        hello = results["hello"]["rate"]
        print(f"\n{'scenario':<10} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'p99/p50':>8} {'× hello':>8} "
              f"{'goal':>6} {'errors':>7}")
        for name, result in results.items():
            ratio = result["rate"] / hello
            goal = GOALS.get(name)
            verdict = "" if goal is None else ("ok" if ratio >= goal and result["p99"] <= 3 * result["p50"]
                                               else "MISS")
            print(f"{name:<10} {result['rate']:>9.0f} {result['p50']:>9.2f} {result['p99']:>9.2f} "
                  f"{result['p99'] / result['p50']:>8.1f} {ratio:>8.2f} "
                  f"{('≥' + format(goal, '.2f')) if goal else '':>6} {result['errors']:>7} {verdict}")
        raw, html_gzip, first_visit, assets = page_sizes(port, people[0])
        print(f"\nboard HTML: {raw / 1024:.1f} KB, {html_gzip / 1024:.1f} KB gzipped "
              f"(goal ≤ {HTML_GZIP_LIMIT // 1024} KB: {'ok' if html_gzip <= HTML_GZIP_LIMIT else 'MISS'})")
        print(f"first visit with assets: {first_visit / 1024:.1f} KB gzipped "
              f"(goal ≤ {FIRST_VISIT_GZIP_LIMIT // 1024} KB: {'ok' if first_visit <= FIRST_VISIT_GZIP_LIMIT else 'MISS'})")
        for asset, size in assets:
            print(f"  {asset:<60} {size / 1024:>6.1f} KB")
    finally:
        stop(server)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()

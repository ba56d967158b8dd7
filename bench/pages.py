"""Page speed against a bare Flask "hello" app, side by side in one run.

    .venv/bin/pip install -e '.[bench]'     # gunicorn
    apt-get install -y wrk
    .venv/bin/python bench/pages.py [--database-url postgresql+psycopg://...] [--duration 5] [--rounds 2]

Fills a fresh database with the demo data (`fieldlab seed-demo`), starts Fieldlab and a bare Flask
hello app (bench/hello_app.py) each under its own gunicorn with 2 workers on 127.0.0.1, logs in
the demo deelnemer and the demo opdrachtgever through the login form, and drives each page with wrk
(8 connections) in rounds of hello, page, hello, page (A B A B), so both see the same load on the
machine. The ratio is the page's requests/s over hello's in the same round, averaged over the
rounds; p50 and p99 are the page's worst round. Nothing leaves loopback.

The second yardstick, the floor (bench/floor_app.py), is the least a logged-in page costs on
Fieldlab's fixed choices: session cookie, Flask-Login loading one user through the ORM, a CSRF
token and a board-sized static template. Its ratio to hello is the ceiling of every page's ratio on
the machine; "× floor" is a page's ratio over the floor's, so what the page itself adds shows apart
from what the stack costs (1.0 would be a page that costs no more than the floor).

Pages: the deelnemer's team board (unchanged since it was last opened), its unchanged refresh
(204), a card move (POST, htmx), the deelnemer's home page, the Nieuw vraagstuk form and the
opdrachtgever's vraagstukken list.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import floor_app  # noqa: E402
from board_load import Scenario, free_port, request, run_threads, run_wrk, stop  # noqa: E402

SECRET_KEY = "bench-secret-key-not-for-production"
CONNECTIONS = 8
# Goals as ratios of hello's requests/s on SQLite; on PostgreSQL half of each.
GOALS = {"board": 0.20, "refresh": 0.60, "move": 0.15, "home": 0.12, "problem-form": 0.12, "problems": 0.12}
LABELS = {
    "floor": "floor: the fixed stack (no goal)",
    "board": "a team's board (unchanged)",
    "refresh": "unchanged refresh (204)",
    "move": "card move (POST)",
    "home": "home, deelnemer",
    "problem-form": "Nieuw vraagstuk form",
    "problems": "vraagstukken list, opdrachtgever",
}


def build_database(database_url: str, instance: Path) -> dict:
    """The demo data, as `fieldlab seed-demo` writes it; returns the board's team, card and the logins."""
    from sqlalchemy import select

    from fieldlab import create_app
    from fieldlab.boards.models import BoardCard, Challenge
    from fieldlab.demo import DEMO_PASSWORD, seed_demo
    from fieldlab.extensions import db
    from fieldlab.teams.models import Team
    from fieldlab.timeutil import local, utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY,
                      "INSTANCE_PATH": str(instance)})
    with app.app_context():
        db.drop_all()
        db.create_all()
        logins = {login.role: login.email for login in seed_demo(today=local(utcnow()).date())}
        db.session.commit()
        team_id = db.session.scalar(select(Team.id).where(Team.name == "Team Kompas"))
        card_id = db.session.scalar(select(BoardCard.id).join(Challenge).where(Challenge.team_id == team_id)
                                    .order_by(BoardCard.id).limit(1))
        db.engine.dispose()
    return {"team_id": team_id, "card_id": card_id, "password": DEMO_PASSWORD, **logins}


def start_gunicorn(target: str, port: int, environment: dict) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "--chdir", str(ROOT), target],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/")[0] in (200, 302):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn {target} did not start: " + process.stderr.read().decode()[-2000:])


def worker_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time (user + system) used so far by a gunicorn master's workers, from /proc: what the
    server spent on its requests, whatever else runs on the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def timed_run(runner, server, port, scenario, **options) -> dict:
    """One wrk run, with the server workers' CPU milliseconds per request added."""
    before = worker_cpu_seconds(server)
    result = runner(port, scenario, **options)
    requests = max(1, round(result["rate"] * options["duration"]))
    result["cpu_ms"] = 1000 * (worker_cpu_seconds(server) - before) / requests
    return result


def log_in(port: int, email: str, password: str) -> dict:
    """Log in through the form like a browser; return the cookie and the CSRF header htmx sends."""
    _, headers, page = request(port, "GET", "/inloggen")
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    body = urlencode({"csrf_token": token, "email": email, "password": password})
    status, headers, _ = request(port, "POST", "/inloggen", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, f"login failed for {email}: {status}"
    cookie = headers["Set-Cookie"].split(";")[0]
    status, headers, page = request(port, "GET", "/", headers={"Cookie": cookie})
    assert status == 200, f"home of {email}: {status}"
    if headers.get("Set-Cookie"):
        cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    return {"Cookie": cookie, "X-CSRFToken": token}


def in_process(database_url: str, instance: Path, demo: dict, *, rounds: int, count: int = 200) -> None:
    """The same pages without servers or sockets: each app's WSGI callable through Flask's test
    client, one hello and one page in turn. The median time per request is steadier than
    requests/s when other processes share the cores; the ratio is hello's median over the page's."""
    from hello_app import app as hello_app

    from fieldlab import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET_KEY,
                      "INSTANCE_PATH": str(instance), "SESSION_COOKIE_SECURE": False})

    def client_for(email):
        client = app.test_client()
        token = re.search(rb'name="csrf-token" content="([^"]+)"', client.get("/inloggen").data).group(1).decode()
        response = client.post("/inloggen", data={"csrf_token": token, "email": email, "password": demo["password"]})
        assert response.status_code == 303, f"login failed for {email}"
        token = re.search(rb'name="csrf-token" content="([^"]+)"', client.get("/").data).group(1).decode()
        return client, token

    participant, token = client_for(demo["deelnemer"])
    commissioner, _ = client_for(demo["opdrachtgever"])
    board = f"/teams/{demo['team_id']}/bord"
    move = f"{board}/kaarten/{demo['card_id']}/verplaatsen"
    hx = {"HX-Request": "true"}
    columns = iter(["doing", "planned"] * count * rounds * 2)

    def version():
        html = participant.get(board).data
        return re.search(rb'id="board-version" name="versie" value="(\d+)"', html).group(1).decode()

    floor = floor_app.create_app(database_url).test_client()
    floor.get("/login")
    pages = {
        "floor": lambda: floor.get("/"),
        "board": lambda: participant.get(board),
        "refresh": lambda: participant.get(f"{board}/ververs?versie={current['version']}", headers=hx),
        "move": lambda: participant.post(move, data={"column": next(columns), "position": "1"},
                                         headers={**hx, "X-CSRFToken": token}),
        "home": lambda: participant.get("/"),
        "problem-form": lambda: commissioner.get("/vraagstukken/nieuw"),
        "problems": lambda: commissioner.get("/vraagstukken/"),
    }
    hello = hello_app.test_client()
    current = {"version": version()}
    print(f"\nin-process: {count * rounds} × (hello, page) per page, median CPU ms per request")
    print(f"{'page':<34} {'hello ms':>8} {'page ms':>8} {'× hello':>8}")
    for name, call in pages.items():
        current["version"] = version()
        assert call().status_code in (200, 204), name
        hello_times, page_times = [], []
        for _ in range(count * rounds):  # one hello, one page: both see the same moment of the machine
            started = time.thread_time()  # CPU time of this thread: others' load does not count
            hello.get("/")
            middle = time.thread_time()
            call()
            hello_times.append(middle - started)
            page_times.append(time.thread_time() - middle)
        hello_ms, page_ms = 1000 * statistics.median(hello_times), 1000 * statistics.median(page_times)
        print(f"{LABELS[name]:<34} {hello_ms:>8.3f} {page_ms:>8.3f} {hello_ms / page_ms:>8.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds per page (default 2)")
    parser.add_argument("--only", nargs="*", choices=list(LABELS), help="measure only these pages")
    parser.add_argument("--in-process", action="store_true",
                        help="also time each page in this process, without servers (CPU per request)")
    parser.add_argument("--in-process-only", action="store_true", help="only the in-process figures")
    options = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="fieldlab-pages-"))
    instance = directory / "instance"
    instance.mkdir()
    database_url = options.database_url or f"sqlite:///{directory / 'bench.sqlite'}"
    demo = build_database(database_url, instance)
    floor_app.prepare(database_url)
    if options.in_process_only:
        try:
            in_process(database_url, instance, demo, rounds=options.rounds)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    environment = {**__import__("os").environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
                   "FIELDLAB_INSTANCE_PATH": str(instance), "SESSION_COOKIE_SECURE": "0"}
    hello_port, app_port, floor_port = free_port(), free_port(), free_port()
    servers = [start_gunicorn("bench.hello_app:app", hello_port, environment)]
    try:
        servers.append(start_gunicorn("fieldlab:create_app()", app_port, environment))
        servers.append(start_gunicorn("bench.floor_app:create_app()", floor_port, environment))
        floor_login = request(floor_port, "GET", "/login")[1]["Set-Cookie"].split(";")[0]
        participant = log_in(app_port, demo["deelnemer"], demo["password"])
        commissioner = log_in(app_port, demo["opdrachtgever"], demo["password"])
        board = f"/teams/{demo['team_id']}/bord"
        hx = {"HX-Request": "true"}
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        move = f"{board}/kaarten/{demo['card_id']}/verplaatsen"

        def refresh() -> Scenario:
            """With the board's version of now: a card move (its check or its run) raises it, and a
            refresh with an older version is a changed board (200 and the columns), not the 204."""
            status, _, html = request(app_port, "GET", board, headers=participant)
            assert status == 200, f"board: {status}"
            version = re.search(rb'id="board-version" name="versie" value="(\d+)"', html).group(1).decode()
            return Scenario("refresh", [("GET", f"{board}/ververs?versie={version}", {**participant, **hx}, None)],
                            204)

        scenarios = {
            "floor": lambda: Scenario("floor", [("GET", "/", {"Cookie": floor_login}, None)], 200),
            "board": lambda: Scenario("board", [("GET", board, participant, None)], 200),
            "refresh": refresh,
            "move": lambda: Scenario("move", [
                ("POST", move, {**participant, **hx, **form}, "column=doing&position=1"),
                ("POST", move, {**participant, **hx, **form}, "column=planned&position=1")], 200),
            "home": lambda: Scenario("home", [("GET", "/", participant, None)], 200),
            "problem-form": lambda: Scenario("problem-form", [("GET", "/vraagstukken/nieuw", commissioner, None)],
                                             200),
            "problems": lambda: Scenario("problems", [("GET", "/vraagstukken/", commissioner, None)], 200),
        }

        def served_by(name: str) -> tuple:
            """The server and port of a page: the floor has its own, every other page is Fieldlab's."""
            return (servers[2], floor_port) if name == "floor" else (servers[1], app_port)

        def answers_as_expected(name: str, scenario: Scenario) -> None:
            """wrk counts only non-2xx answers as errors; a 200 where a 204 is meant would pass."""
            method, path, headers, body = scenario.requests[0]
            status = request(served_by(name)[1], method, path, headers=headers, body=body)[0]
            assert status == scenario.expect, f"{name}: {status} instead of {scenario.expect}"

        for name, make in scenarios.items():  # every page answers as expected before it is timed
            answers_as_expected(name, make())
        hello = Scenario("hello", [("GET", "/", {}, None)], 200)
        runner = run_wrk if shutil.which("wrk") else run_threads
        kind = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
        print(f"load: {runner.__name__.removeprefix('run_')}, {CONNECTIONS} connections, {options.duration} s "
              f"per run, {options.rounds} rounds of hello/page, gunicorn 2 workers each on 127.0.0.1, {kind}")
        with open("/proc/loadavg") as loadavg:
            print(f"load average before: {loadavg.read().split()[:3]}")
        factor = 1.0 if kind == "SQLite" else 0.5
        print(f"\n{'page':<34} {'hello/s':>8} {'page/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'p99/p50':>7} "
              f"{'× hello':>8} {'goal':>6} {'× floor':>7}")
        floor_ratio = None
        for name in options.only or list(LABELS):
            ratios, cpu_ratios, hellos, rates, worst = [], [], [], [], None
            for _ in range(options.rounds):
                scenario = scenarios[name]()
                a = timed_run(runner, servers[0], hello_port, hello, duration=options.duration,
                              connections=CONNECTIONS, directory=directory)
                b = timed_run(runner, *served_by(name), scenario, duration=options.duration,
                              connections=CONNECTIONS, directory=directory)
                assert b["errors"] == 0, f"{name}: {b['errors']} unexpected answers"
                answers_as_expected(name, scenario)  # and still, after the run (no move in between)
                ratios.append(b["rate"] / a["rate"])
                cpu_ratios.append(a["cpu_ms"] / b["cpu_ms"])
                hellos.append(a["rate"])
                rates.append(b["rate"])
                if worst is None or b["p99"] / b["p50"] > worst["p99"] / worst["p50"]:
                    worst = b
            ratio = sum(ratios) / len(ratios)
            spread = worst["p99"] / worst["p50"]
            if name == "floor":
                floor_ratio, goal_text, verdict = ratio, "", ""
            else:
                goal = GOALS[name] * factor
                goal_text = "≥" + format(goal, ".2f")
                verdict = "ok" if ratio >= goal and spread <= 3 else "MISS"
            over_floor = f"{ratio / floor_ratio:.2f}" if floor_ratio and name != "floor" else ""
            print(f"{LABELS[name]:<34} {sum(hellos) / len(hellos):>8.0f} {sum(rates) / len(rates):>8.0f} "
                  f"{worst['p50']:>7.2f} {worst['p99']:>7.2f} {spread:>7.1f} {ratio:>8.3f} "
                  f"{goal_text:>6} {over_floor:>7} {verdict}  (rounds: {', '.join(f'{r:.3f}' for r in ratios)}; "
                  f"CPU per request: hello/page {sum(cpu_ratios) / len(cpu_ratios):.3f}, "
                  f"page {b['cpu_ms']:.2f} ms)", flush=True)
        with open("/proc/loadavg") as loadavg:
            print(f"load average after: {loadavg.read().split()[:3]}")
        if options.in_process:
            in_process(database_url, instance, demo, rounds=options.rounds)
    finally:
        for server in servers:
            stop(server)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Every list page at 1x and 100x data: milliseconds, SQL statements and kilobytes of HTML.

    python bench/scale.py                                   # SQLite (a file in a temporary folder)
    python bench/scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_fieldlab

1x is the demo data (`fieldlab seed-demo`); 100x adds 99 Labs through `fieldlab.scale.add_labs`
(2,970 participants, 495 teams, 19,800 cards, 198 vraagstukken, 4,950 evaluation responses, 19,800
audit rows, 9,900 outbox messages). The demo facilitator (two-factor sign-in included) opens each
page once to warm up, then `--repeat` times; the median is printed. Requests go through Flask's
test client in this process (no network, no server), so the figures are the app's own work:
routing, SQL, templates.

The PostgreSQL database given is emptied first (every table dropped): give it one of its own.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pyotp
from sqlalchemy import event, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldlab import create_app, scale  # noqa: E402
from fieldlab.auth.models import User  # noqa: E402
from fieldlab.cli import prepare_database  # noqa: E402
from fieldlab.demo import DEMO_TOTP_SECRET  # noqa: E402
from fieldlab.extensions import db  # noqa: E402

FACILITATOR = "facilitator@demo.fieldlab.example"
PASSWORD = "fieldlab-demo"
PAGES = [
    ("privacy (AVG)", "/privacy/"),
    ("terugkomdagen", "/terugkomdagen"),
    ("100-dagenborden", "/borden"),
    ("logboek", "/logboek/"),
    ("evaluaties", "/evaluaties/"),
    ("Labs", "/labs"),
    ("uitgaande berichten", "/uitgaande-berichten/"),
    ("accounts", "/accounts"),
    ("organisaties", "/organisaties/"),
    ("alumni", "/alumni"),
    ("speedlabs", "/speedlabs/"),
    ("vraagstukken", "/vraagstukken/"),
    ("home", "/"),
]
GOAL_MS = 100
GOAL_KB = 150


class StatementCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def make_app(database_url: str, instance: Path):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench",
        "SERVER_NAME": "localhost", "BASE_URL": "http://localhost", "RATELIMIT_STORAGE_URI": "memory://",
        "SMTP_HOST": "", "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
        "WTF_CSRF_ENABLED": False, "SCHEDULER_ENABLED": False,
    })


def empty_database():
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.drop_all()


def log_in(client):
    response = client.post("/inloggen", data={"email": FACILITATOR, "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    if response.headers["Location"].endswith("/inloggen/code"):
        # A code counts once; the next step's code is accepted too (a second run within 30 s).
        for ahead in (0, 30):
            code = pyotp.TOTP(DEMO_TOTP_SECRET).at(time.time() + ahead)
            response = client.post("/inloggen/code", data={"code": code})
            if response.status_code == 303:
                return
        raise SystemExit("two-factor sign-in of the demo facilitator failed")


def measure(client, counter: StatementCounter, url: str, repeat: int) -> tuple[float, int, float, int]:
    """(median ms, statements of the last request, KB of HTML, status) of a warm page."""
    client.get(url)
    times = []
    for _ in range(repeat):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        body = response.get_data()
    return statistics.median(times), counter.count, len(body) / 1024, response.status_code


def run(database_url: str, repeat: int, extra_labs: int) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="fieldlab-scale-"))
    if database_url == "sqlite":
        database_url = f"sqlite:///{instance / 'scale.sqlite'}"
    app = make_app(database_url, instance)
    results = {}
    counter = StatementCounter()
    with app.app_context():  # requests below run outside it, each in its own context, as on a server
        empty_database()
        prepare_database(demo=True)
        engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
    client = app.test_client()
    log_in(client)
    results["1x"] = {name: measure(client, counter, url, repeat) for name, url in PAGES}
    with app.app_context():
        started = time.perf_counter()
        facilitator = db.session.scalar(select(User).where(User.email == FACILITATOR))
        added = scale.add_labs(extra_labs, today=date.today(), facilitator=facilitator)
        db.session.commit()
        print(f"  built {added} in {time.perf_counter() - started:.1f} s", flush=True)
    results["100x"] = {name: measure(client, counter, url, repeat) for name, url in PAGES}
    event.remove(engine, "before_cursor_execute", counter)
    with app.app_context():
        db.engine.dispose()
    return results


def print_table(label: str, results: dict) -> None:
    print(f"\n{label} (facilitator, warm, median ms / SQL statements / KB of HTML)\n")
    print("| page | 1x | 100x | 100x ≤ 100 ms, ≤ 150 KB |")
    print("|---|---:|---:|---|")
    for name, _ in PAGES:
        small, large = results["1x"][name], results["100x"][name]
        if large[3] != 200 or small[3] != 200:
            print(f"| {name} | status {small[3]} | status {large[3]} | |")
            continue
        met = "met" if large[0] <= GOAL_MS and large[2] <= GOAL_KB else "NOT met"
        print(f"| {name} | {small[0]:.0f} / {small[1]} / {small[2]:.0f} | {large[0]:.0f} / {large[1]} / {large[2]:.0f} "
              f"| {met} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="sqlite",
                        help="a PostgreSQL URL of a database of the bench's own (emptied first); default SQLite")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page after the warm-up")
    parser.add_argument("--labs", type=int, default=99, help="Labs to add for the large database")
    args = parser.parse_args()
    label = "SQLite" if args.database_url == "sqlite" else "PostgreSQL"
    print(f"{label}: 1x = demo data, 100x = demo + {args.labs} Labs", flush=True)
    print_table(label, run(args.database_url, args.repeat, args.labs))


if __name__ == "__main__":
    main()

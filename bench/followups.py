"""What one poll of the follow-up table costs: idle, and with many steps due at once.

    .venv/bin/python bench/followups.py [--database-url postgresql+psycopg://...] [--steps 2000]

Builds a fresh database (SQLite in a temporary folder; a URL given must name a database of its
own: all tables are dropped and created), registers a kind whose body queues one outbox message
per step (as the signal reminder does), writes `--steps` steps due now plus as many due next
year, then times: an idle poll (nothing due), the poll that
runs every due step (one transaction each), and a second poll right after (nothing left). Prints
the figures; asserts nothing but that every step ran once.
"""

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from fieldlab import create_app, followups  # noqa: E402
from fieldlab.extensions import db  # noqa: E402
from fieldlab.mail.models import OutboxMessage  # noqa: E402
from fieldlab.mail.services import queue_message  # noqa: E402

NOW = datetime(2027, 6, 1, 9, tzinfo=UTC)


def queue_one(step, *, now):
    queue_message(key=f"followup:{step.key}:bench", to="bench@example.org", template="signal_reminder", now=now,
                  name="Bench", months=3, offered_on=now.date(), link="http://localhost/")


def timed(label: str, function) -> float:
    started = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - started
    done = len(result["done"]) if isinstance(result, dict) else 0
    print(f"{label:<28} {elapsed * 1000:9.1f} ms   steps run: {done}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--steps", type=int, default=2000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{folder}/bench.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder, "SECRET_KEY": "bench",
                          "SERVER_NAME": "localhost"})
        with app.app_context():
            db.drop_all()
            db.create_all()
            followups.register("bench", run=queue_one, is_late=lambda step, now: None)
            for number in range(arguments.steps):
                followups.schedule("bench", number, NOW - timedelta(minutes=number % 60), key=f"bench:{number}:now")
                followups.schedule("bench", number, NOW + timedelta(days=365), key=f"bench:{number}:later")
            db.session.commit()
            print(f"database: {db.engine.dialect.name}; {arguments.steps} steps due, {arguments.steps} not yet")
            timed("idle poll (nothing due)", lambda: followups.run_due(NOW - timedelta(hours=2)))
            elapsed = timed("poll running every due step", lambda: followups.run_due(NOW))
            print(f"{'per step':<28} {elapsed * 1000 / arguments.steps:9.2f} ms")
            timed("poll right after", lambda: followups.run_due(NOW + timedelta(seconds=1)))
            sent = db.session.scalar(select(func.count()).select_from(OutboxMessage))
            assert sent == arguments.steps, sent
            print(f"outbox messages: {sent} (one per step)")
            db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()

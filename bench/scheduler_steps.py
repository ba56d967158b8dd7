"""Return-day steps at 10,000: what the scheduler's work costs, and how long a stop takes.

    .venv/bin/python bench/scheduler_steps.py [--database-url URL] [--days 2000] [--due-days 500]

Fills an empty database (a temporary SQLite file unless --database-url; all tables of that
database are dropped and made again) with one Lab and `days` return days of 5 steps each, the
invitation and reminder of the first `due-days` due now. Prints:

- the old design's first sync: mirroring every step into an APScheduler job (SQLAlchemyJobStore,
  replace_existing), which is what `returndays:sync` did at the first start;
- the poller: one look for due steps (the first batch), and the time to run the due steps;
- a stop: the scheduler started in this process, stopped while it works through due steps.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # noqa: E402
from apscheduler.schedulers.background import BackgroundScheduler  # noqa: E402
from sqlalchemy import func, select, text, update  # noqa: E402

from fieldlab import create_app  # noqa: E402
from fieldlab import scheduler as scheduler_module  # noqa: E402
from fieldlab.extensions import db  # noqa: E402
from fieldlab.mail.models import OutboxMessage  # noqa: E402
from fieldlab.returndays import jobs  # noqa: E402
from fieldlab.returndays.models import Invitation, ReturnDay, ReturnDayJob  # noqa: E402
from fieldlab.timeutil import utcnow  # noqa: E402
from tests.returndays.many_steps import make_many_steps  # noqa: E402


def _fresh_schema():
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.drop_all()
    db.create_all()


def _reset_steps():
    db.session.execute(update(ReturnDayJob).values(ran_for=None, last_run_at=None, run_count=0, skip_reason=""))
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.execute(Invitation.__table__.delete())
    db.session.execute(update(ReturnDay).values(invitations_sent_at=None))
    db.session.commit()


def old_first_sync(steps) -> float:
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename="bench_jobs")},
                                    job_defaults=scheduler_module.JOB_DEFAULTS, timezone=UTC)
    scheduler.start(paused=True)
    began = time.perf_counter()
    for _step_id, return_day_id, kind, run_at in steps:
        scheduler_module.add_job(scheduler, f"returnday:{return_day_id}:{kind}", "fieldlab.returndays.jobs:poll",
                                 trigger="date", run_date=run_at)
    took = time.perf_counter() - began
    scheduler.remove_all_jobs()
    scheduler.shutdown(wait=False)
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_jobs"))
    return took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--days", type=int, default=2000)
    parser.add_argument("--due-days", type=int, default=500)
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp(prefix="fieldlab-bench-"))
    url = args.database_url or f"sqlite:///{instance / 'bench.sqlite'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench",
                      "BASE_URL": "http://fieldlab.test", "SMTP_HOST": "",
                      "RETURNDAY_POLL_INTERVAL": timedelta(seconds=1)})
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
        _fresh_schema()
        due = make_many_steps(days=args.days, due_days=args.due_days, now=utcnow())
        total = db.session.scalar(select(func.count()).select_from(ReturnDayJob))
        print(f"steps: {total}, due now: {due}")

        steps = db.session.execute(select(ReturnDayJob.id, ReturnDayJob.return_day_id, ReturnDayJob.kind,
                                          ReturnDayJob.run_at)).all()
        db.session.commit()
        print(f"old design, first sync (one APScheduler job per step): {old_first_sync(steps):.2f} s")

        looks = []
        for _ in range(20):
            began = time.perf_counter()
            db.session.execute(jobs.due_steps_query(utcnow()).limit(jobs.BATCH_SIZE)).all()
            looks.append(time.perf_counter() - began)
            db.session.commit()
        print(f"poller, one look for due steps: median {statistics.median(looks) * 1000:.1f} ms")
        idle = []
        _reset_steps()
        began = time.perf_counter()
        handled = jobs.run_due(utcnow())
        took = time.perf_counter() - began
        print(f"poller, running {len(handled)} due steps: {took:.1f} s ({took / max(len(handled), 1) * 1000:.1f} ms a step)")
        for _ in range(20):
            began = time.perf_counter()
            jobs.run_due(utcnow())
            idle.append(time.perf_counter() - began)
        print(f"poller, a poll with nothing due: median {statistics.median(idle) * 1000:.1f} ms")

        _reset_steps()
        db.session.remove()
    scheduler_module.start(app, wait_for_lock=False)
    with app.app_context():
        ran = select(func.count()).select_from(ReturnDayJob).where(ReturnDayJob.run_count > 0)
        while db.session.scalar(ran) < min(100, due // 2):
            db.session.commit()
            time.sleep(0.1)
        took = scheduler_module.shutdown(app)
        db.session.commit()
        print(f"stop while running due steps (after {db.session.scalar(ran)} of {due}): {took:.2f} s")


if __name__ == "__main__":
    main()

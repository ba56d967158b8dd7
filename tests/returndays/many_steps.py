"""Many return-day steps at once, for the failover test and bench/scheduler_steps.py: one Lab with a
facilitator and `days` shared return days (5 steps each) in a few bulk inserts. The first `due_days`
days have their invitation and reminder due now; every other step lies in the future."""

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.returndays.models import JobKind, ReturnDay, ReturnDayJob, ReturnDayStatus
from tests import factories

KINDS = (JobKind.INVITE, JobKind.REMINDER, JobKind.PRACTICAL, JobKind.NUDGE, JobKind.EVALUATION)


def make_many_steps(*, days: int, due_days: int, now: datetime) -> int:
    """Returns the number of steps due at `now` (2 per due day)."""
    facilitator = factories.make_user(Role.FACILITATOR, name="Fenna Facilitator")
    lab = factories.make_lab(name="Field Lab Schaal", facilitators=[facilitator], place="Utrecht")
    starts = now + timedelta(days=3)
    db.session.execute(insert(ReturnDay), [
        {"lab_id": lab.id, "team_id": None, "day_number": 1, "status": ReturnDayStatus.CONFIRMED.value,
         "starts_at": starts, "ends_at": starts + timedelta(hours=6), "place": "Utrecht", "agenda": "",
         "proposal_reason": "", "online_link": "", "sequence": 0, "created_at": now, "updated_at": now}
        for _ in range(days)])
    day_ids = db.session.scalars(select(ReturnDay.id).where(ReturnDay.lab_id == lab.id).order_by(ReturnDay.id)).all()
    rows = []
    for index, day_id in enumerate(day_ids):
        due = index < due_days
        for offset, kind in enumerate(KINDS):
            if due and kind in (JobKind.INVITE, JobKind.REMINDER):
                run_at = now - timedelta(hours=2) + timedelta(minutes=offset)
            else:
                run_at = starts + timedelta(hours=offset - 3)
            rows.append({"return_day_id": day_id, "kind": kind.value, "run_at": run_at, "run_count": 0,
                         "skip_reason": ""})
    db.session.execute(insert(ReturnDayJob), rows)
    db.session.commit()
    return 2 * due_days

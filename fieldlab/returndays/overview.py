"""The Terugkomdagen list: Labs with their teams' return days for facilitators, one's own
invitations for everyone else. Paged, and loaded in a fixed number of statements whatever the
number of Labs, teams or invitations (no settings row is created by looking)."""

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabKind
from fieldlab.paging import Page, page_size, paginate
from fieldlab.returndays.models import Invitation, LabReturnDaySetting, ReturnDay, ReturnDayStatus

# Each Lab is a table of its teams (five rows or so), so a page holds a fifth of PAGE_SIZE Labs.
LABS_PER_TEAMS_TABLE = 5


def labs_page(*, page: int) -> tuple[Page, dict, dict[int, bool]]:
    """A page of team Labs (newest programme first) with their teams; the return days of those
    Labs keyed by (lab id, team id or None) and day number; and per Lab whether it plans one shared
    return day. Four statements. A speedlab or a Lab for individual participants has no 100-day
    challenge, so no return days: it is not listed."""
    labs = paginate(select(Lab).where(Lab.kind == LabKind.TEAMS).options(selectinload(Lab.teams))
                    .order_by(Lab.programme_starts_on.desc().nulls_last(), Lab.name, Lab.id),
                    page=page, per_page=max(1, page_size() // LABS_PER_TEAMS_TABLE))
    lab_ids = [lab.id for lab in labs]
    by_owner: dict = {}
    shared: dict[int, bool] = dict.fromkeys(lab_ids, False)
    if lab_ids:
        for return_day in db.session.scalars(select(ReturnDay).where(ReturnDay.lab_id.in_(lab_ids))):
            by_owner.setdefault((return_day.lab_id, return_day.team_id), {})[return_day.day_number] = return_day
        shared.update(db.session.execute(
            select(LabReturnDaySetting.lab_id, LabReturnDaySetting.shared)
            .where(LabReturnDaySetting.lab_id.in_(lab_ids))).all())
    return labs, by_owner, shared


def invitations_page(user, *, page: int, now: datetime) -> Page:
    """A page of the confirmed return days `user` is invited to, those still to come first (soonest
    first), then those that are over (latest first), with their team and Lab (two statements)."""
    over = ReturnDay.ends_at <= now
    return paginate(
        select(Invitation).join(Invitation.return_day)
        .options(contains_eager(Invitation.return_day).options(joinedload(ReturnDay.team),
                                                                joinedload(ReturnDay.lab)))
        .where(Invitation.user_id == user.id, Invitation.removed_at.is_(None),
               ReturnDay.status == ReturnDayStatus.CONFIRMED)
        .order_by(case((over, 1), else_=0), case((over, ReturnDay.starts_at), else_=None).desc(),
                  ReturnDay.starts_at, ReturnDay.id, Invitation.id),
        page=page)

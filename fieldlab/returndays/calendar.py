"""The facilitator's calendar (return days and programme days across Labs, by month or as a list)
and the private calendar feed of each user."""

import calendar as month_calendar
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from fieldlab.auth.permissions import is_facilitator
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.returndays import ics
from fieldlab.returndays.models import CalendarFeed, Invitation, ReturnDay, ReturnDayStatus
from fieldlab.timeutil import LOCAL_ZONE, local


@dataclass
class Entry:
    day: date
    title: str
    kind: str  # "returnday" or "programme"
    return_day: ReturnDay | None = None
    lab: Lab | None = None
    uid: str = ""

    @property
    def time_range(self) -> str:
        if self.return_day is None:
            return ""
        return f"{local(self.return_day.starts_at):%H:%M}–{local(self.return_day.ends_at):%H:%M}"


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return (datetime.combine(first, datetime.min.time(), tzinfo=LOCAL_ZONE),
            datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=LOCAL_ZONE))


def calendar_entries(user, first: date, last: date) -> list[Entry]:
    """Return days (not cancelled) and programme days between `first` and `last`. A facilitator
    sees every Lab's; anyone else the return days they are invited to."""
    start, end = _bounds(first, last)
    query = (select(ReturnDay).where(ReturnDay.status != ReturnDayStatus.CANCELLED,
                                     ReturnDay.starts_at >= start, ReturnDay.starts_at < end)
             .options(joinedload(ReturnDay.lab), joinedload(ReturnDay.team))
             .order_by(ReturnDay.starts_at))
    if not is_facilitator(user):
        query = query.where(ReturnDay.id.in_(select(Invitation.return_day_id).where(
            Invitation.user_id == user.id, Invitation.removed_at.is_(None))),
            ReturnDay.status == ReturnDayStatus.CONFIRMED)
    entries = [Entry(day=local(return_day.starts_at).date(), title=ics.title_of(return_day), kind="returnday",
                     return_day=return_day, lab=return_day.lab) for return_day in db.session.scalars(query)]
    if is_facilitator(user):
        labs = db.session.scalars(select(Lab).where(
            Lab.programme_starts_on.is_not(None), Lab.programme_starts_on <= last,
            or_(Lab.programme_ends_on >= first, Lab.programme_ends_on.is_(None) & (Lab.programme_starts_on >= first)),
        )).all()
        for lab in labs:
            day = lab.programme_starts_on
            while day <= (lab.programme_ends_on or lab.programme_starts_on):
                if first <= day <= last:
                    entries.append(Entry(day=day, title=_("Programmadag · %(lab)s", lab=lab.name), kind="programme",
                                         lab=lab, uid=f"programme-{lab.id}-{day:%Y%m%d}@fieldlab"))
                day += timedelta(days=1)
    entries.sort(key=lambda entry: (entry.day, entry.kind != "programme",
                                    entry.return_day.starts_at if entry.return_day else datetime.min.replace(tzinfo=LOCAL_ZONE)))
    return entries


def month_weeks(year: int, month: int, entries: list[Entry]) -> list[list[tuple[date, list[Entry]]]]:
    """The month as weeks (Monday first) of (day, entries on it); days outside the month included."""
    by_day: dict[date, list[Entry]] = {}
    for entry in entries:
        by_day.setdefault(entry.day, []).append(entry)
    weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[(day, by_day.get(day, [])) for day in week] for week in weeks]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def active_feed(user) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                                        CalendarFeed.revoked_at.is_(None)))


def create_feed(user, *, now: datetime) -> str:
    """A new secret feed URL token for `user`; any earlier one stops working. Returns the token,
    which is stored only as a hash and shown once."""
    revoke_feed(user, now=now)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token), created_at=now))
    db.session.flush()
    return token


def revoke_feed(user, *, now: datetime) -> None:
    for feed in db.session.scalars(select(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                                              CalendarFeed.revoked_at.is_(None))):
        feed.revoked_at = now
    db.session.flush()


def feed_for_token(token: str) -> CalendarFeed | None:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    if feed is None or feed.revoked_at is not None or not feed.user.active:
        return None
    return feed


def feed_content(feed: CalendarFeed, *, now: datetime) -> str:
    today = local(now).date()
    entries = calendar_entries(feed.user, today - timedelta(days=180), today + timedelta(days=550))
    feed.last_used_at = now
    return ics.feed_calendar(entries, user=feed.user, name=_("Fieldlab-terugkomdagen"), now=now)

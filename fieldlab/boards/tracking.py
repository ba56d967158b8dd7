"""Tracking progress: the challenge's indicators and their measured values, the weekly progress
updates with the hours they report, and the progress picture drawn from cards and indicators.

It stands alone because it is what the progress page and the Lab report read (`reports.lab_report`
takes the series from here), apart from the columns of cards: the writes go through the board's
lock and event like any other change, the rest only reads and computes.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from fieldlab import submissions
from fieldlab.auth.models import User
from fieldlab.boards.charts import LineChart, line_chart
from fieldlab.boards.models import (
    CHALLENGE_DAYS,
    BoardCard,
    Challenge,
    EventKind,
    Indicator,
    IndicatorValue,
    ProgressUpdate,
    Status,
)
from fieldlab.boards.services import lock_board, record_event
from fieldlab.extensions import db
from fieldlab.timeutil import local

# --- Indicators and weekly updates -------------------------------------------------------------

def add_indicator(challenge: Challenge, *, name: str, baseline: Decimal, target: Decimal, unit: str = "",
                  by, now: datetime) -> Indicator:
    indicator = Indicator(challenge_id=challenge.id, name=name.strip(), unit=(unit or "").strip(),
                          baseline=baseline, target=target, created_at=now)
    db.session.add(indicator)
    db.session.flush()
    record_event(challenge, EventKind.INDICATOR_ADDED, by=by, now=now, name=indicator.name)
    db.session.flush()
    return indicator


def record_indicator_value(indicator: Indicator, *, measured_on: date, value: Decimal, by,
                           now: datetime) -> IndicatorValue:
    row = IndicatorValue(indicator_id=indicator.id, measured_on=measured_on, value=value,
                         recorded_by_id=by.id, recorded_at=now)
    db.session.add(row)
    record_event(indicator.challenge, EventKind.INDICATOR_VALUE, by=by, now=now, name=indicator.name,
                 value=str(value), measured_on=measured_on.isoformat())
    db.session.flush()
    return row


def add_progress_update(challenge: Challenge, *, status: Status, went_well: str = "", stuck: str = "",
                        help_needed: str = "", hours_spent: int | None = None, by,
                        now: datetime, submission: str | None = None) -> ProgressUpdate:
    """A weekly update; a repeat of the same form render (`submission`) returns the first one.
    The board's lock orders two submits of one team, so the repeat sees the first one's claim."""
    lock_board(challenge.id)
    earlier = submissions.earlier_result(submission, "progress_update", ProgressUpdate, now=now,
                                         belongs=lambda update: update.challenge_id == challenge.id)
    if earlier is not None:
        return earlier
    progress = ProgressUpdate(challenge_id=challenge.id, author_id=by.id, created_at=now, status=Status(status),
                              went_well=(went_well or "").strip(), stuck=(stuck or "").strip(),
                              help_needed=(help_needed or "").strip(), hours_spent=hours_spent)
    db.session.add(progress)
    record_event(challenge, EventKind.PROGRESS_UPDATE, by=by, now=now, status=progress.status)
    db.session.flush()
    submissions.record_result(submission, "progress_update", progress.id)
    return progress



# --- Progress: updates, hours and the picture ---------------------------------------------------

def progress_updates(challenge: Challenge | None) -> list[ProgressUpdate]:
    if challenge is None:
        return []
    return list(db.session.scalars(
        select(ProgressUpdate).options(joinedload(ProgressUpdate.author).lazyload(User.role_rows))
        .where(ProgressUpdate.challenge_id == challenge.id)
        .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
    ))


@dataclass
class Hours:
    committed: int | None
    used: int
    by_organisation: list[tuple[str, int]]

    @property
    def percentage(self) -> int | None:
        if not self.committed:
            return None
        return round(100 * self.used / self.committed)


def hours_summary(challenge: Challenge | None, updates: list[ProgressUpdate]) -> Hours:
    """Hours committed for the challenge against the hours the updates report, per organisation,
    so managers see the time their organisation committed against the time used."""
    per_organisation: dict[str, int] = defaultdict(int)
    for progress in updates:
        if progress.hours_spent:
            author = progress.author
            name = author.organisation.name if author and author.organisation else _("onbekende organisatie")
            per_organisation[name] += progress.hours_spent
    return Hours(committed=challenge.hours_committed if challenge else None,
                 used=sum(per_organisation.values()), by_organisation=sorted(per_organisation.items()))


@dataclass
class Series:
    """One line of the progress picture: points (day, value) with an optional target."""

    name: str
    points: list[tuple[int, float]]
    target: float | None = None
    baseline: float | None = None
    unit: str = ""
    # A running count repeats itself day after day: the table shows only the days it changed.
    only_changes: bool = False

    @property
    def table_rows(self) -> list[tuple[int, float]]:
        if not self.only_changes:
            return self.points
        return [(day, value) for index, (day, value) in enumerate(self.points)
                if index in (0, len(self.points) - 1) or value != self.points[index - 1][1]]

    @property
    def chart(self) -> LineChart:
        return line_chart(self.points, target=self.target, baseline=self.baseline)


def cards_done_series(challenge: Challenge, cards: list[BoardCard], *, today: date) -> Series:
    """Cards done by the end of each day since day 1, up to today (or day 100)."""
    series = Series(name=_("Kaarten klaar"), points=[], target=float(len(cards)) if cards else None,
                    only_changes=True)
    if challenge.starts_on is None:
        return series
    done_days = sorted(challenge.day_on(local(card.done_at).date()) or 1 for card in cards if card.done_at)
    last_day = min(max(challenge.day_on(today) or 0, done_days[-1] if done_days else 0), CHALLENGE_DAYS)
    count = 0
    cursor = 0
    for day in range(1, last_day + 1):
        while cursor < len(done_days) and done_days[cursor] <= day:
            count += 1
            cursor += 1
        series.points.append((day, float(count)))
    return series


@dataclass
class ProgressPicture:
    cards_done: Series | None
    indicators: list[Series]


def progress_picture(challenge: Challenge | None, cards: list[BoardCard], *, today: date) -> ProgressPicture:
    if challenge is None:
        return ProgressPicture(None, [])
    return ProgressPicture(cards_done_series(challenge, cards, today=today), indicator_series(challenge))


def indicator_series(challenge: Challenge) -> list[Series]:
    series = []
    for indicator in challenge.indicators:
        points = []
        for row in indicator.values:
            day = challenge.day_on(row.measured_on) if challenge.starts_on else None
            points.append((day if day is not None else 0, float(row.value)))
        series.append(Series(name=indicator.name, points=points, target=float(indicator.target),
                             baseline=float(indicator.baseline), unit=indicator.unit))
    return series

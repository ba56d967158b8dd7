"""A challenge's start date moves after its return days were confirmed (DESIGN §9: a confirmed date
never silently falls outside the period it belongs to).

Proposed days simply follow the new start (services.plan_return_days). A confirmed day keeps its
date — people have it in their calendars — but when it no longer matches the new proposal it is
flagged (`start_moved_at`), the Lab's facilitators get a message and the team's activity feed says
that the facilitator was asked. The planning page then shows each flagged day's confirmed date
beside its new proposal (holiday-aware, with the reason), and one action re-times the ticked days
(an updated invitation, same UID, SEQUENCE + 1, from → to) and keeps the others deliberately.
The same holds for a Lab's shared return days, whose proposal follows the earliest team start.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from fieldlab.audit import services as audit
from fieldlab.boards.models import RETURN_DAY_NUMBERS, Challenge, EventKind
from fieldlab.boards.services import record_event
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.mail.services import external_url, queue_message
from fieldlab.returndays import decisions, services
from fieldlab.returndays.models import ReturnDay, ReturnDayStatus
from fieldlab.teams.models import Team
from fieldlab.timeutil import local


@dataclass
class MovedDay:
    """A confirmed return day whose challenge start moved: where it is, and what is proposed now."""

    return_day: ReturnDay
    confirmed_on: date
    proposal: services.Proposal | None

    @property
    def day_number(self) -> int:
        return self.return_day.day_number


def _owner_and_source(challenge: Challenge) -> tuple[Lab, Team | None, Challenge | None]:
    """Whose return days a start date decides: the team's own, or the Lab's shared ones (then the
    earliest team start is the source of the proposals)."""
    team = challenge.team
    lab = team.lab
    if services.settings_for(lab).shared:
        return lab, None, services.first_challenge(lab)
    return lab, team, challenge


def source_challenge(lab: Lab, team: Team | None) -> Challenge | None:
    return team.challenge if team is not None else services.first_challenge(lab)


def replan_after_start_change(challenge: Challenge, *, by, now: datetime) -> list[ReturnDay]:
    """Connected to `boards.hooks.start_date_changed`: after a start date was set or moved,
    proposed days follow, and confirmed days that no longer match their new proposal are flagged
    and reported."""
    services.plan_return_days(challenge, by=by, now=now)
    lab, team, source = _owner_and_source(challenge)
    if source is None or source.starts_on is None:
        return []
    proposals = {proposal.day_number: proposal for proposal in services.proposals_for(source.starts_on)}
    flagged = []
    for number in RETURN_DAY_NUMBERS:
        return_day = services.existing_return_day(lab, team, number)
        if return_day is None or return_day.status != ReturnDayStatus.CONFIRMED:
            continue
        proposal = proposals[number]
        return_day.proposed_on = proposal.proposed_date
        return_day.natural_on, return_day.proposal_reason = proposal.natural_date, ""
        if local(return_day.starts_at).date() == proposal.proposed_date:
            return_day.start_moved_at = None
            continue
        return_day.start_moved_at = now
        flagged.append(return_day)
    db.session.flush()
    if flagged:
        _ask_facilitators(lab, team, challenge, flagged, now=now)
        days = ", ".join(str(return_day.day_number) for return_day in flagged)
        record_event(challenge, EventKind.RETURN_DAYS_REVIEW, by=None, now=now, name=days)
        audit.record("returnday_start_moved", actor=by, obj=challenge.team, now=now, days=days,
                     starts_on=challenge.starts_on.isoformat())
        db.session.flush()
    return flagged


def _ask_facilitators(lab: Lab, team: Team | None, challenge: Challenge, flagged: list[ReturnDay], *,
                      now: datetime) -> None:
    """One message per facilitator and start change, naming the team, the new start and each day's
    confirmed date beside its new proposal; no case content (need to know)."""
    link = (external_url("returndays.team_planning", team_id=team.id) if team is not None
            else external_url("returndays.lab_planning", lab_id=lab.id))
    days = [MovedDay(return_day, local(return_day.starts_at).date(),
                     services.Proposal(return_day.day_number, return_day.natural_on or return_day.proposed_on,
                                       return_day.proposed_on)) for return_day in flagged]
    for row in lab.facilitator_rows:
        facilitator = row.user
        if not facilitator.active:
            continue
        queue_message(
            key=f"startmoved:challenge{challenge.id}:start{challenge.starts_on:%Y%m%d}:"
                f"at{int(now.timestamp())}:user{facilitator.id}",
            to=facilitator.email, template="returnday_start_moved", locale=facilitator.locale or "nl", now=now,
            person=facilitator, lab=lab, team=challenge.team, starts_on=challenge.starts_on, days=days, link=link,
            owner=team.name if team is not None else lab.name,
        )


def moved_days(lab: Lab, team: Team | None) -> list[MovedDay]:
    """The flagged days of a team (or of the Lab's shared days), for the planning page."""
    query = select(ReturnDay).where(ReturnDay.lab_id == lab.id, ReturnDay.start_moved_at.is_not(None),
                                    ReturnDay.status == ReturnDayStatus.CONFIRMED)
    query = query.where(ReturnDay.team_id.is_(None) if team is None else ReturnDay.team_id == team.id)
    rows = []
    for return_day in db.session.scalars(query.order_by(ReturnDay.day_number)):
        proposal = None
        if return_day.proposed_on is not None:
            proposal = services.Proposal(return_day.day_number, return_day.natural_on or return_day.proposed_on,
                                         return_day.proposed_on)
        rows.append(MovedDay(return_day, local(return_day.starts_at).date(), proposal))
    return rows


def retime_return_days(lab: Lab, team: Team | None, *, move: set[int], by, now: datetime) -> tuple[list, list]:
    """Re-time the flagged days in `move` to their new proposal (same times, place and agenda;
    invitees who did not decline get the update with from → to) and keep the other flagged days
    on their date, deliberately. Returns (moved, kept) return days."""
    moved, kept = [], []
    for row in moved_days(lab, team):
        return_day = row.return_day
        if row.day_number in move and row.proposal is not None:
            details = decisions.details_of(return_day)
            details.day = row.proposal.proposed_date
            decisions.save_return_day(lab=lab, team=team, day_number=return_day.day_number, details=details,
                                      by=by, now=now)
            moved.append(return_day)
        else:
            return_day.start_moved_at = None
            audit.record("returnday_kept", actor=by, obj=return_day, now=now, day_number=return_day.day_number,
                         starts_at=return_day.starts_at.isoformat())
            kept.append(return_day)
    db.session.flush()
    return moved, kept


def lab_return_days(lab: Lab) -> dict[int, list[ReturnDay]]:
    """The Lab's return days that are not cancelled, per day number: what the Lab page's timeline
    and "Wat nu" show beside the challenge days (connected to `labs.hooks.timeline_return_days`)."""
    days: dict[int, list[ReturnDay]] = {}
    for return_day in db.session.scalars(select(ReturnDay).where(
            ReturnDay.lab_id == lab.id, ReturnDay.status != ReturnDayStatus.CANCELLED).order_by(ReturnDay.starts_at)):
        days.setdefault(return_day.day_number, []).append(return_day)
    return days

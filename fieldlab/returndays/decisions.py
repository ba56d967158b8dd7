"""A facilitator's decisions about one return day: confirm it, change it, cancel it.

It stands alone because this is where the dates and the invitations meet: confirming gathers the
invitees and schedules the steps (services), a change after the invitations went out raises the
SEQUENCE and sends the update to everyone invited who did not say no (invitations), and a
cancellation sends METHOD:CANCEL and removes the steps. moves.py takes the same decision when a
facilitator re-times days after a challenge's start date moved.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _

from fieldlab.audit import services as audit
from fieldlab.extensions import db
from fieldlab.labs.models import Lab
from fieldlab.returndays.invitations import send_cancellation, send_invitations, sync_invitees
from fieldlab.returndays.models import ReturnDay, ReturnDayStatus
from fieldlab.returndays.services import (
    ReturnDayError,
    existing_return_day,
    first_challenge,
    invitation_job,
    local_moment,
    proposals_for,
    schedule_return_day_jobs,
)
from fieldlab.teams.models import Team
from fieldlab.timeutil import local


@dataclass
class Details:
    """What a facilitator sets for a return day (local date and times)."""

    day: date
    start: time
    end: time
    place: str = ""
    online_link: str = ""
    agenda: str = ""

    def starts_at(self) -> datetime:
        return local_moment(self.day, self.start)

    def ends_at(self) -> datetime:
        return local_moment(self.day, self.end)


def details_of(return_day: ReturnDay) -> Details:
    starts, ends = local(return_day.starts_at), local(return_day.ends_at)
    return Details(day=starts.date(), start=starts.time().replace(tzinfo=None), end=ends.time().replace(tzinfo=None),
                   place=return_day.place, online_link=return_day.online_link, agenda=return_day.agenda)


def save_return_day(*, lab: Lab, team: Team | None, day_number: int, details: Details, by,
                    now: datetime) -> ReturnDay:
    """Confirm (or change) the return day `day_number` of a team, or of the Lab when team is None.

    On confirmation the invitees are gathered and the steps scheduled; invitations go out at
    once when their moment has passed already. A change of date, time, place or agenda after
    invitations went out raises SEQUENCE and sends the updated invitation to everyone invited
    who did not say no; when the day moved, it says from → to. Saving is the facilitator's
    decision about the date, so it settles a question a moved start date raised (start_moved_at).
    """
    if details.end <= details.start:
        raise ReturnDayError(_("De eindtijd moet na de begintijd liggen."))
    return_day = existing_return_day(lab, team, day_number)
    if return_day is None:
        proposal = None
        challenge = team.challenge if team is not None else first_challenge(lab)
        if challenge is not None and challenge.starts_on is not None:
            proposal = next(p for p in proposals_for(challenge.starts_on) if p.day_number == day_number)
        return_day = ReturnDay(lab=lab, team=team, day_number=day_number, status=ReturnDayStatus.PROPOSED,
                               proposed_on=proposal.proposed_date if proposal else None,
                               natural_on=proposal.natural_date if proposal else None)
        db.session.add(return_day)
    was_confirmed = return_day.status == ReturnDayStatus.CONFIRMED
    before = (return_day.starts_at, return_day.ends_at, return_day.place, return_day.online_link, return_day.agenda)
    return_day.starts_at = details.starts_at()
    return_day.ends_at = details.ends_at()
    return_day.place = details.place.strip()
    return_day.online_link = details.online_link.strip()
    return_day.agenda = details.agenda.strip()
    after = (return_day.starts_at, return_day.ends_at, return_day.place, return_day.online_link, return_day.agenda)
    return_day.status = ReturnDayStatus.CONFIRMED
    return_day.start_moved_at = None
    changed = was_confirmed and before != after
    moved_from = before[0] if changed and before[0] != return_day.starts_at else None
    if changed:
        return_day.sequence += 1
    db.session.flush()
    sync_invitees(return_day, by=by, now=now)
    schedule_return_day_jobs(return_day, now=now)
    if changed and return_day.invitations_sent_at is not None:
        send_invitations(return_day, now=now, moved_from=moved_from)
    elif invitation_job(return_day).run_at <= now < return_day.starts_at:  # never about the past
        send_invitations(return_day, now=now)
    audit.record("returnday_changed" if was_confirmed else "returnday_confirmed", actor=by, obj=return_day,
                 now=now, day_number=day_number, starts_at=return_day.starts_at.isoformat(),
                 sequence=return_day.sequence)
    return return_day


def cancel_return_day(return_day: ReturnDay, *, reason: str = "", by, now: datetime) -> None:
    """Cancel: everyone who had an invitation gets METHOD:CANCEL with the reason; the scheduled
    steps go."""
    if return_day.status == ReturnDayStatus.CANCELLED:
        return
    return_day.status = ReturnDayStatus.CANCELLED
    return_day.cancellation_reason = (reason or "").strip()[:500]
    return_day.sequence += 1
    for invitation in return_day.active_invitations:
        if invitation.sent_sequence is not None:
            send_cancellation(invitation, now=now)
    return_day.jobs.clear()
    db.session.flush()
    audit.record("returnday_cancelled", actor=by, obj=return_day, now=now, day_number=return_day.day_number)

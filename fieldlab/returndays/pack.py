"""What a return day needs in the room: the pack (per team its board in a few lines, its
indicators, the latest progress updates, the help it asked for and the open agreements of earlier
days), the attendance list, and the agreements made on the day.

It stands alone because it is the only part of return days that reads the 100-day boards
(boards.services), and it only reads them: it sends nothing and schedules nothing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from fieldlab.auth.models import User
from fieldlab.boards import services as boards
from fieldlab.boards import tracking
from fieldlab.boards.models import Challenge, Column
from fieldlab.extensions import db
from fieldlab.returndays.models import ReturnDay, ReturnDayAction, ReturnDayStatus
from fieldlab.returndays.services import teams_of
from fieldlab.teams.models import Team
from fieldlab.timeutil import local


def add_action(return_day: ReturnDay, *, description: str, owner: User | None, owner_name: str,
               due_on: date | None, team: Team | None, by, now: datetime) -> ReturnDayAction:
    action = ReturnDayAction(description=description.strip(), owner=owner, owner_name=owner_name.strip(),
                             due_on=due_on, team=team if team is not None else return_day.team, created_by_id=by.id,
                             created_at=now)
    return_day.actions.append(action)
    db.session.flush()
    return action


def set_action_done(action: ReturnDayAction, done: bool, *, by, now: datetime) -> None:
    action.done_at = now if done else None
    db.session.flush()


@dataclass
class TeamPack:
    """What one team brings to a return day: its board in a few lines and the open agreements."""

    team: Team
    challenge: Challenge | None
    day: int | None
    board_status: list = field(default_factory=list)
    indicators: list = field(default_factory=list)
    progress_updates: list = field(default_factory=list)
    help_asked: list = field(default_factory=list)
    earlier_actions: list[ReturnDayAction] = field(default_factory=list)


@dataclass
class Pack:
    return_day: ReturnDay
    teams: list[TeamPack]
    actions: list[ReturnDayAction]


def _board_facts(challenge: Challenge | None, *, updates_shown: int = 3) -> dict[str, list[str]]:
    """The board's state in a few lines for the pack: cards per column, indicators against their
    target, the latest progress updates and the help the team asked of its managers."""
    if challenge is None:
        return {"board_status": [], "indicators": [], "progress_updates": [], "help_asked": []}
    counts = {column: 0 for column in Column}
    for card in boards.load_cards_of(challenge.id):
        counts[card.column] += 1
    board_status = [ngettext("%(column)s: %(num)s kaart", "%(column)s: %(num)s kaarten", count, column=column.label)
                    for column, count in counts.items()] if any(counts.values()) else []
    indicators = []
    for indicator in challenge.indicators:
        latest = max(indicator.values, key=lambda value: value.measured_on, default=None)
        indicators.append(_("%(name)s: nu %(value)s, begin %(baseline)s, doel %(target)s %(unit)s",
                            name=indicator.name, value=latest.value if latest else "—",
                            baseline=indicator.baseline, target=indicator.target, unit=indicator.unit).strip())
    updates = tracking.progress_updates(challenge)[:updates_shown]
    progress = [_("%(date)s · %(status)s: %(text)s", date=format_date(local(update.created_at).date(), "medium"),
                  status=update.status_label, text=update.went_well or update.stuck or "—") for update in updates]
    help_asked = [_("%(date)s: %(help)s", date=format_date(local(update.created_at).date(), "medium"),
                    help=update.help_needed) for update in updates if update.help_needed]
    return {"board_status": board_status, "indicators": indicators, "progress_updates": progress,
            "help_asked": help_asked}


def gather_pack(return_day: ReturnDay, *, now: datetime) -> Pack:
    """All the data of a return-day pack in one place, so the board feature can extend it."""
    today = local(now).date()
    earlier_days = select(ReturnDay.id).where(
        ReturnDay.lab_id == return_day.lab_id, ReturnDay.starts_at < return_day.starts_at,
        ReturnDay.status == ReturnDayStatus.CONFIRMED)
    teams = []
    for team in teams_of(return_day):
        challenge = team.challenge
        earlier = db.session.scalars(
            select(ReturnDayAction).where(ReturnDayAction.return_day_id.in_(earlier_days),
                                          ReturnDayAction.done_at.is_(None),
                                          (ReturnDayAction.team_id == team.id) | ReturnDayAction.team_id.is_(None))
            .order_by(ReturnDayAction.due_on, ReturnDayAction.id)).all()
        teams.append(TeamPack(team=team, challenge=challenge, day=challenge.day_on(today) if challenge else None,
                              earlier_actions=list(earlier), **_board_facts(challenge)))
    return Pack(return_day=return_day, teams=teams, actions=list(return_day.actions))


def attendance_rows(return_day: ReturnDay) -> list[list[str]]:
    header = [_("Naam"), _("E-mailadres"), _("Rol"), _("Organisatie"), _("Antwoord"), _("Opmerking"),
              _("Beantwoord op")]
    rows = [header]
    for invitation in return_day.active_invitations:
        organisation = invitation.user.organisation if invitation.user else None
        rows.append([
            invitation.display_name, invitation.email, invitation.role_label,
            organisation.name if organisation else "", invitation.response_label, invitation.remark,
            local(invitation.responded_at).strftime("%Y-%m-%d %H:%M") if invitation.responded_at else "",
        ])
    return rows

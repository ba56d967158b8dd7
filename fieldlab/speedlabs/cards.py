"""Speedlab ideas on teams' 100-day boards ("Zet op bord" on the summary).

Its own module: the one place where speedlabs write into another feature's board, and where the
link between an idea and its cards is kept (`IdeaCard`), so the summary can say where an idea
already is and the same idea never lands on one board twice.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from fieldlab.audit.services import record
from fieldlab.auth.models import User
from fieldlab.boards import card_changes
from fieldlab.boards.models import CHALLENGE_DAYS, Challenge
from fieldlab.extensions import db
from fieldlab.speedlabs.models import Idea, IdeaCard, SpeedlabSession
from fieldlab.speedlabs.services import SpeedlabError
from fieldlab.teams.models import Team, TeamRole
from fieldlab.timeutil import local


class AlreadyOnBoard(SpeedlabError):
    """The idea is on this team's board already."""


def teams_for_cards(*, today: date) -> list[Team]:
    """Teams whose board can take an idea: a 100-day challenge with members that has not ended
    (a finished team, last year's say, works on its board no more). One statement."""
    return list(db.session.scalars(
        select(Team).options(joinedload(Team.lab), joinedload(Team.challenge))
        .where(Team.challenge.has(or_(Challenge.starts_on.is_(None),
                                      Challenge.starts_on > today - timedelta(days=CHALLENGE_DAYS))),
               Team.memberships.any()).order_by(Team.name, Team.id)))


def boards_of_ideas(speedlab: SpeedlabSession) -> dict[int, list[Team]]:
    """Per idea of this speedlab, the teams whose board holds it (one query)."""
    rows = db.session.execute(
        select(IdeaCard.idea_id, Team)
        .join(Idea, Idea.id == IdeaCard.idea_id)
        .join(Challenge, Challenge.id == IdeaCard.challenge_id)
        .join(Team, Team.id == Challenge.team_id)
        .where(Idea.session_id == speedlab.id)
        .order_by(Team.name)
    ).all()
    found: dict[int, list[Team]] = defaultdict(list)
    for idea_id, team in rows:
        found[idea_id].append(team)
    return found


def idea_to_board_card(idea: Idea, team: Team, *, by: User, now: datetime):
    """Put an idea on a team's board as a planned card. The owner is the team leader (or the first
    member): a card always has one owner from the team, and the team can hand it on. An idea that
    is on this board already raises AlreadyOnBoard and adds nothing; the unique link row makes
    that hold for two requests at once as well (the loser's flush fails)."""
    if team.challenge is None or not team.memberships:
        raise SpeedlabError(_("Dit team heeft nog geen bord."))
    day = team.challenge.day_on(local(now).date())
    if day is not None and day > CHALLENGE_DAYS:
        raise SpeedlabError(_("De 100 dagen van %(team)s zijn voorbij: kies een team dat nog bezig is.",
                              team=team.name))
    already = _("‘%(title)s’ staat al op het bord van %(team)s.", title=idea.title, team=team.name)
    if db.session.scalar(select(IdeaCard.id).where(IdeaCard.idea_id == idea.id,
                                                   IdeaCard.challenge_id == team.challenge.id)):
        raise AlreadyOnBoard(already)
    leader = next((m for m in team.memberships if m.role == TeamRole.LEADER), team.memberships[0])
    card = card_changes.add_card(team.challenge, title=idea.title[:200],
                                 description=_("Idee uit speedlab '%(title)s': %(explanation)s",
                                               title=idea.session.title, explanation=idea.explanation.strip())
                                 if (idea.explanation or "").strip()
                                 else _("Idee uit speedlab '%(title)s'.", title=idea.session.title),
                                 owner_id=leader.user_id, by=by, now=now)
    try:
        with db.session.begin_nested():
            db.session.add(IdeaCard(idea_id=idea.id, challenge_id=team.challenge.id, card_id=card.id,
                                    created_at=now))
    except IntegrityError as error:
        raise AlreadyOnBoard(already) from error
    record("speedlab_idea_to_card", actor=by, obj=card, now=now, idea=idea.id, speedlab=idea.session_id)
    return card

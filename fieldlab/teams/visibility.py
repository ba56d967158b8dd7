"""Who sees which team's board, as SQL: the facts of `auth.permissions.TeamRelation` as columns
to select next to `Team`, and the `board.view` rule as a WHERE clause.

Here, next to the team model, rather than in auth/permissions.py: the clauses join Labs,
participations and vraagstukken, which sit above auth in the import order. They must agree with
the rules `board.view` and `result.view` in permissions.py (tests/boards/test_fast_refresh.py
compares them for every kind of viewer).
"""

from sqlalchemy import and_, exists, or_, select, true

from fieldlab.auth.models import Role, UserRole
from fieldlab.auth.permissions import is_facilitator
from fieldlab.labs.models import Lab, Participation
from fieldlab.problems.models import Problem
from fieldlab.teams.models import Membership, Team


def team_relation_columns(viewer_id) -> tuple:
    """SQL expressions for `TeamRelation`'s facts, to select next to `Team` (correlated to it).
    `viewer_id` is a user's id or a bind parameter (so a statement can be built once and reused)."""
    teammates = select(Membership.user_id).where(Membership.team_id == Team.id).correlate(Team)
    return (
        exists().where(Membership.team_id == Team.id, Membership.user_id == viewer_id)
        .correlate(Team).label("member"),
        exists().where(Participation.lab_id == Team.lab_id, Participation.manager_id == viewer_id,
                       Participation.user_id.in_(teammates)).correlate(Team).label("manager"),
        exists().where(Problem.id == Team.problem_id, Problem.commissioner_id == viewer_id)
        .correlate(Team).label("commissioner"),
        exists().where(Participation.lab_id == Team.lab_id, Participation.user_id == viewer_id)
        .correlate(Team).label("lab_participant"),
        exists().where(Lab.id == Team.lab_id, Lab.boards_open_to_participants.is_(True))
        .correlate(Team).label("boards_open"),
    )


def visible_boards_clause(user):
    """A WHERE clause on `Team`: the teams whose board `user` may read (for overviews)."""
    if is_facilitator(user):
        return true()
    member, manager, commissioner, lab_participant, boards_open = team_relation_columns(user.id)
    return or_(member.element, manager.element, commissioner.element,
               and_(boards_open.element, lab_participant.element))


def board_readers_clause(viewer_id):
    """A WHERE clause on `Team` that is `board.view` in SQL for the viewer `viewer_id` (an id or a
    bind parameter), the facilitator role included: for the board refresh, which answers 'nothing
    changed' without loading the user. Must agree with `_view_board`
    (tests/boards/test_fast_refresh.py compares them for every kind of viewer)."""
    member, manager, commissioner, lab_participant, boards_open = team_relation_columns(viewer_id)
    facilitator = exists().where(UserRole.user_id == viewer_id, UserRole.role == Role.FACILITATOR)
    return or_(facilitator, member.element, manager.element, commissioner.element,
               and_(boards_open.element, lab_participant.element))

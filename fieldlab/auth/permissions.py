"""Every access question in one place: `can(user, action, obj)`.

Roles open doors to kinds of pages; the object decides the rest. A deelnemer of team A never
reads team B's board (unless the Lab opens its boards to all its participants), an opdrachtgever
sees only its own organisation's vraagstukken. Routes call `can` (or `require`) and answer 404
where even the existence of the object must not leak. The matrix test walks roles x actions.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from fieldlab.auth.models import Role

Rule = Callable[..., bool]
_RULES: dict[str, Rule] = {}


def rule(action: str):
    def register(function: Rule) -> Rule:
        _RULES[action] = function
        return function

    return register


def can(user, action: str, obj=None) -> bool:
    """True when `user` may do `action` (on `obj`). Unknown actions are refused, never allowed."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    check = _RULES.get(action)
    if check is None:
        raise KeyError(f"unknown action {action!r}")
    return check(user, obj) if obj is not None else check(user)


def actions() -> list[str]:
    return sorted(_RULES)


def is_facilitator(user) -> bool:
    return user.has_role(Role.FACILITATOR)


# --- Hub administration: facilitators only -------------------------------------------------

@rule("users.manage")
def _manage_users(user) -> bool:
    return is_facilitator(user)


@rule("organisations.add")
def _add_organisation(user) -> bool:
    return is_facilitator(user)


@rule("audit.view")
def _view_audit(user) -> bool:
    return is_facilitator(user)


@rule("outbox.view")
def _view_outbox(user) -> bool:
    return is_facilitator(user)


@rule("labs.manage")
def _manage_labs(user) -> bool:
    return is_facilitator(user)


# --- Vraagstukken -------------------------------------------------------------------------

@rule("problem.submit")
def _submit_problem(user) -> bool:
    return user.has_role(Role.COMMISSIONER)


@rule("problem.view")
def _view_problem(user, problem) -> bool:
    if is_facilitator(user) or problem.commissioner_id == user.id:
        return True
    if (
        user.has_role(Role.COMMISSIONER)
        and user.organisation_id is not None
        and problem.organisation_id == user.organisation_id
    ):
        return True
    # Team members of a team working on it; other participants of its Lab unless it is confidential.
    if problem.lab is None:
        return False
    if any(user.id in team.member_ids for team in problem.lab.teams if team.problem_id == problem.id):
        return True
    return problem.confidentiality != "vertrouwelijk" and _is_participant_of(user, problem.lab)


@rule("problem.edit")
def _edit_problem(user, problem) -> bool:
    return problem.commissioner_id == user.id and problem.status in {"draft", "submitted"}


# --- Labs, teams and boards ---------------------------------------------------------------

def _is_participant_of(user, lab) -> bool:
    return any(participation.user_id == user.id for participation in lab.participations)


def _manages_someone_in(user, team) -> bool:
    managed = {
        participation.user_id
        for participation in team.lab.participations
        if participation.manager_id == user.id
    }
    return bool(managed & team.member_ids)


def _is_commissioner_of(user, team) -> bool:
    return team.problem is not None and team.problem.commissioner_id == user.id


@rule("lab.view")
def _view_lab(user, lab) -> bool:
    if is_facilitator(user) or _is_participant_of(user, lab):
        return True
    if any(participation.manager_id == user.id for participation in lab.participations):
        return True
    return any(problem.commissioner_id == user.id for problem in lab.problems)


# --- Boards (100-day challenges) ------------------------------------------------------------
#
# Team members edit their team's board; their leidinggevenden, the opdrachtgever of the team's
# vraagstuk and facilitators read it; a Lab with `boards_open_to_participants` opens reading to all
# its participants. Everyone else gets a 404. The same facts are answered two ways, which a test
# keeps equal: from a loaded Team's relationships, and as SQL columns in the one query that loads a
# board (`team_relation_columns`), so a board page and its refresh need no extra queries for access.


@dataclass(frozen=True)
class TeamRelation:
    """How one person relates to one team, as the board's query answered it."""

    team: object
    member: bool
    manager: bool
    commissioner: bool
    lab_participant: bool
    boards_open: bool


class _LoadedTeamRelation:
    """The same facts from a Team's relationships, computed only when a rule asks for them."""

    def __init__(self, user, team):
        self.user, self.team = user, team

    @cached_property
    def member(self) -> bool:
        return self.user.id in self.team.member_ids

    @cached_property
    def manager(self) -> bool:
        return _manages_someone_in(self.user, self.team)

    @cached_property
    def commissioner(self) -> bool:
        return _is_commissioner_of(self.user, self.team)

    @cached_property
    def lab_participant(self) -> bool:
        return _is_participant_of(self.user, self.team.lab)

    @cached_property
    def boards_open(self) -> bool:
        return bool(self.team.lab.boards_open_to_participants)


def _relation(user, team):
    return team if isinstance(team, TeamRelation) else _LoadedTeamRelation(user, team)


def team_relation_columns(viewer_id) -> tuple:
    """SQL expressions for `TeamRelation`'s facts, to select next to `Team` (correlated to it).
    `viewer_id` is a user's id or a bind parameter (so a statement can be built once and reused)."""
    from sqlalchemy import exists, select

    from fieldlab.labs.models import Lab, Participation
    from fieldlab.problems.models import Problem
    from fieldlab.teams.models import Membership, Team

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
    from sqlalchemy import and_, or_, true

    if is_facilitator(user):
        return true()
    member, manager, commissioner, lab_participant, boards_open = team_relation_columns(user.id)
    return or_(member.element, manager.element, commissioner.element,
               and_(boards_open.element, lab_participant.element))


@rule("board.view")
def _view_board(user, team) -> bool:
    relation = _relation(user, team)
    if is_facilitator(user) or relation.member or relation.manager or relation.commissioner:
        return True
    return relation.boards_open and relation.lab_participant


@rule("board.edit")
def _edit_board(user, team) -> bool:
    return _relation(user, team).member


@rule("challenge.schedule")
def _schedule_challenge(user, team) -> bool:
    """Setting the start date (day 1): the team itself or a facilitator."""
    return is_facilitator(user) or _relation(user, team).member

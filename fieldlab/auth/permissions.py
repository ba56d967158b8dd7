"""Every access question in one place: `can(user, action, obj)`.

Roles open doors to kinds of pages; the object decides the rest. A deelnemer of team A never
reads team B's board (unless the Lab opens its boards to all its participants), an opdrachtgever
sees only its own organisation's vraagstukken. Routes call `can` (or `require`) and answer 404
where even the existence of the object must not leak. The matrix test walks roles x actions.
"""

from collections.abc import Callable

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


@rule("board.view")
def _view_board(user, team) -> bool:
    if is_facilitator(user) or user.id in team.member_ids:
        return True
    if _manages_someone_in(user, team) or _is_commissioner_of(user, team):
        return True
    return team.lab.boards_open_to_participants and _is_participant_of(user, team.lab)


@rule("board.edit")
def _edit_board(user, team) -> bool:
    return user.id in team.member_ids


# --- Team formation -----------------------------------------------------------------------

@rule("teams.form")
def _form_teams(user, lab) -> bool:
    """Forming a Lab's teams (suggest, move, pin, confirm) is facilitators' work."""
    return is_facilitator(user)

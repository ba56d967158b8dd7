"""Every access question in one place: `can(user, action, obj)`.

Roles open doors to kinds of pages; the object decides the rest. A deelnemer of team A never
reads team B's board (unless the Lab opens its boards to all its participants), an opdrachtgever
sees only its own organisation's vraagstukken. Routes call `can` (or `require`) and answer 404
where even the existence of the object must not leak. The matrix test walks roles x actions.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from flask import g, has_request_context
from sqlalchemy import exists

from fieldlab.auth.models import Role
from fieldlab.extensions import db
from fieldlab.timeutil import LOCAL_ZONE, utcnow

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


@rule("privacy.manage")
def _manage_privacy(user) -> bool:
    """Retention overview, export of a person's data, erasure: facilitators only."""
    return is_facilitator(user)


@rule("labs.manage")
def _manage_labs(user) -> bool:
    return is_facilitator(user)


# --- Vraagstukken -------------------------------------------------------------------------
# Who sees a vraagstuk (the list queries in problems/services.py apply the same rules in SQL):
# - its opdrachtgever, and opdrachtgevers of the same organisation (drafts included);
# - facilitators, once it is submitted (a draft is not shared with the Hub yet);
# - the team working on it, and, unless it is vertrouwelijk, the other participants of its Lab.
# Nobody else: other opdrachtgevers, leidinggevenden and deelnemers of other Labs see nothing.

def _same_organisation_commissioner(user, problem) -> bool:
    return (
        user.has_role(Role.COMMISSIONER)
        and user.organisation_id is not None
        and problem.organisation_id == user.organisation_id
    )


def _is_problem_owner(user, problem) -> bool:
    return problem.commissioner_id == user.id or _same_organisation_commissioner(user, problem)


def _works_on(user, problem) -> bool:
    if problem.lab is None:
        return False
    return any(user.id in team.member_ids for team in problem.lab.teams if team.problem_id == problem.id)


@rule("problem.submit")
def _submit_problem(user) -> bool:
    return user.has_role(Role.COMMISSIONER)


@rule("problems.list")
def _list_problems(user) -> bool:
    return is_facilitator(user) or user.has_role(Role.COMMISSIONER)


@rule("problem.view")
def _view_problem(user, problem) -> bool:
    if _is_problem_owner(user, problem):
        return True
    if is_facilitator(user) and problem.status != "draft":
        return True
    if _works_on(user, problem):
        return True
    return (
        problem.lab is not None
        and problem.confidentiality != "vertrouwelijk"
        and _is_participant_of(user, problem.lab)
    )


@rule("problem.edit")
def _edit_problem(user, problem) -> bool:
    """Until a facilitator decides; colleagues at the same organisation may take over."""
    return _is_problem_owner(user, problem) and problem.status in {"draft", "submitted"}


@rule("problem.withdraw")
def _withdraw_problem(user, problem) -> bool:
    return _is_problem_owner(user, problem) and problem.status in {"draft", "submitted"}


@rule("problem.answer")
def _answer_problem_question(user, problem) -> bool:
    return _is_problem_owner(user, problem)


@rule("problem.review")
def _review_problem(user, problem) -> bool:
    """Ask a question back, accept or reject: facilitators, while it is submitted."""
    return is_facilitator(user) and problem.status == "submitted"


@rule("problem.attach")
def _attach_problem(user, problem) -> bool:
    return is_facilitator(user) and problem.status == "accepted"


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


@rule("labs.list")
def _list_labs(user) -> bool:
    """The Labs page: facilitators see all Labs, participants the Labs they take part in."""
    return is_facilitator(user) or user.has_role(Role.PARTICIPANT)


@rule("profile.edit")
def _edit_own_profile(user) -> bool:
    return user.has_role(Role.PARTICIPANT)


@rule("alumni.view")
def _view_alumni(user) -> bool:
    return is_facilitator(user)


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
# board (`teams/visibility.py`), so a board page and its refresh need no extra queries for access.


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


# --- Terugkomdagen (returndays) --------------------------------------------------------------

def _return_day_teams(return_day):
    return list(return_day.lab.teams) if return_day.team is None else [return_day.team]


@rule("returndays.plan")
def _plan_return_days(user) -> bool:
    return is_facilitator(user)


@rule("returnday.manage")
def _manage_return_day(user, return_day) -> bool:
    return is_facilitator(user)


@rule("returnday.view")
def _view_return_day(user, return_day) -> bool:
    if is_facilitator(user):
        return True
    if return_day.status == "proposed":
        return False
    if any(invitation.user_id == user.id and invitation.removed_at is None for invitation in return_day.invitations):
        return True
    return any(_view_board(user, team) for team in _return_day_teams(return_day))


@rule("returnday.add_stakeholder")
def _add_stakeholder(user, return_day) -> bool:
    """The team informs and involves its own stakeholders, so its members may invite them too."""
    if return_day.status == "cancelled":
        return False
    return is_facilitator(user) or any(user.id in team.member_ids for team in _return_day_teams(return_day))


@rule("calendar.view")
def _view_calendar(user) -> bool:
    return is_facilitator(user)


# --- Speedlabs ----------------------------------------------------------------------------
# Facilitators prepare and run speedlabs. Invited people (status uitgenodigd or komt) join with
# their account; guests without one join through a signed link (see `speedlab_invitation_may_join`).
# The problem owner reads the summary. Everyone else gets a 404.

SPEEDLAB_JOINABLE = {"invited", "accepted"}


def speedlab_invitation_may_join(invitation) -> bool:
    """Also for guests, who have no account: `can` needs a logged-in user."""
    return invitation is not None and invitation.status in SPEEDLAB_JOINABLE


@rule("speedlab.manage")
def _manage_speedlabs(user) -> bool:
    return is_facilitator(user)


@rule("speedlab.run")
def _run_speedlab(user, speedlab) -> bool:
    return is_facilitator(user)


@rule("speedlab.join")
def _join_speedlab(user, speedlab) -> bool:
    if is_facilitator(user):
        return True
    return any(invitation.user_id == user.id and speedlab_invitation_may_join(invitation)
               for invitation in speedlab.invitations)


@rule("speedlab.summary")
def _view_speedlab_summary(user, speedlab) -> bool:
    return is_facilitator(user) or (speedlab.owner_user_id is not None and speedlab.owner_user_id == user.id)


# --- Evaluations --------------------------------------------------------------------------

def _is_commissioner_of_lab(user, lab) -> bool:
    """An opdrachtgever whose vraagstuk is worked on in this Lab (Problem.lab_id)."""
    return lab is not None and any(problem.commissioner_id == user.id for problem in lab.problems)


@rule("evaluations.view")
def _view_evaluations(user) -> bool:
    return is_facilitator(user) or user.has_role(Role.COMMISSIONER)


@rule("evaluations.manage")
def _manage_evaluations(user) -> bool:
    """Build and send forms, and read the annual figures across Labs."""
    return is_facilitator(user)


@rule("evaluation_form.edit")
def _edit_evaluation_form(user, form) -> bool:
    return is_facilitator(user)


@rule("evaluation_form.results")
def _view_evaluation_results(user, form) -> bool:
    """The summary: facilitators, and the opdrachtgever of the form's Lab."""
    return is_facilitator(user) or _is_commissioner_of_lab(user, form.lab)


@rule("evaluation_form.details")
def _view_evaluation_details(user, form) -> bool:
    """Comments (with names on a named form) and exports: facilitators only."""
    return is_facilitator(user)


@rule("evaluation_form.answer")
def _answer_evaluation_form(user, form) -> bool:
    return any(request.user_id == user.id for request in form.requests)


# --- Team formation -----------------------------------------------------------------------

@rule("teams.form")
def _form_teams(user, lab) -> bool:
    """Forming a Lab's teams (suggest, move, pin, confirm) is facilitators' work."""
    return is_facilitator(user)


# --- Outcomes: the day-100 result and the intervention library ---------------------------------
#
# Whoever reads a team's board reads its result; its members write it (the leader submits, which
# the service checks); the opdrachtgever of the team's vraagstuk adds its view. The library is
# for facilitators, opdrachtgevers and alumni: people who design interventions themselves. Alumni
# are derived from Labs, so that rule (`library.view`) lives in labs/alumni.py, with the alumni; it
# asks `alumnus_clause` below, as the login's user query does.


@rule("result.view")
def _view_result(user, team) -> bool:
    return _view_board(user, team)


@rule("result.edit")
def _edit_result(user, team) -> bool:
    return _relation(user, team).member


@rule("result.commissioner_view")
def _add_commissioner_view(user, team) -> bool:
    return _relation(user, team).commissioner


def alumnus_clause(user_id, today):
    """SQL: `user_id` took part in a Lab whose programme ended before `today`. On the tables by
    name, as the labs feature comes after auth; the login's user query asks it along
    (`auth.services.load_user_from_cookie_id`), so the menu's question costs no statement; the
    `library.view` rule (labs/alumni.py) asks it for anyone else."""
    participation, lab = db.metadata.tables["participation"], db.metadata.tables["lab"]
    return exists().where(participation.c.user_id == user_id, participation.c.lab_id == lab.c.id,
                          lab.c.programme_ends_on < today)


def remember_alumnus(user_id: int, answer: bool) -> None:
    """Whether this user is an alumnus, kept for the rest of the request (`remembered_alumnus`):
    the menu asks on every page."""
    if has_request_context():
        g.fieldlab_alumnus = (user_id, bool(answer))


def remembered_alumnus(user_id: int) -> bool | None:
    """What `remember_alumnus` kept for this user in this request; None when nothing was."""
    kept = g.get("fieldlab_alumnus") if has_request_context() else None
    return kept[1] if kept is not None and kept[0] == user_id else None


def local_today():
    return utcnow().astimezone(LOCAL_ZONE).date()


# --- Bestuurlijke signalen ----------------------------------------------------------------
#
# A draft (concept, advies Loket, toetsingsoverleg) is seen by its team, the facilitators of its
# Lab and the named strategic representative; once definitively submitted, by facilitators only.
# Everyone else gets a 404.

def _drafts_signal(user, signal) -> bool:
    in_team = signal.team is not None and user.id in signal.team.member_ids
    return in_team or user.id in signal.lab.facilitator_ids


@rule("signals.overview")
def _view_signals_overview(user) -> bool:
    return is_facilitator(user)


@rule("signals.create")
def _create_signal(user) -> bool:
    """From scratch (any Lab, no team): facilitators."""
    return is_facilitator(user)


@rule("signal.create_for_team")
def _create_team_signal(user, team) -> bool:
    """From a team's work: its members and its Lab's facilitators (who then see the draft)."""
    return user.id in team.member_ids or user.id in team.lab.facilitator_ids


@rule("signal.view")
def _view_signal(user, signal) -> bool:
    if not signal.is_draft:
        return is_facilitator(user)
    return _drafts_signal(user, signal) or (signal.representative_user_id is not None
                                            and signal.representative_user_id == user.id)


@rule("signal.edit")
def _edit_signal(user, signal) -> bool:
    """The drafters change the concept and ask the Loket's advice."""
    return signal.status == "concept" and _drafts_signal(user, signal)


@rule("signal.advance")
def _advance_signal(user, signal) -> bool:
    """The Loket's steps are recorded by the Hub: the Lab's facilitators, any facilitator once submitted."""
    if signal.is_draft:
        return user.id in signal.lab.facilitator_ids
    return is_facilitator(user)


@rule("signal.confirm")
def _confirm_signal(user, signal) -> bool:
    """Definitive submission, by the named representative when asked to."""
    return (signal.status == "consultation" and signal.confirmation_requested_at is not None
            and signal.representative_user_id == user.id)
# --- Reports --------------------------------------------------------------------------------
# The Lab report: facilitators; the Lab's opdrachtgevers (a vraagstuk of theirs is worked on in the
# Lab) and the leidinggevenden of its participants read it too. A report is printed and passed on,
# so it never shows more than its reader could see elsewhere: a vraagstuk's description only to
# who may open the vraagstuk itself, a team's texts (goal, updates, indicators, result) only to who
# may read its board, and a vertrouwelijk vraagstuk (with its team's texts) only to facilitators:
# everyone else reads its title and the team's counts. The Hub report is facilitators' only.

def _manages_participant_of(user, lab) -> bool:
    return any(participation.manager_id == user.id for participation in lab.participations)


@rule("reports.list")
def _list_reports(user) -> bool:
    return is_facilitator(user)


@rule("reports.hub")
def _view_hub_report(user) -> bool:
    return is_facilitator(user)


@rule("lab_report.view")
def _view_lab_report(user, lab) -> bool:
    return is_facilitator(user) or _is_commissioner_of_lab(user, lab) or _manages_participant_of(user, lab)


@rule("report.problem_details")
def _report_problem_details(user, problem) -> bool:
    """A vraagstuk's description in a report (beyond its title)."""
    if is_facilitator(user):
        return True
    if problem.confidentiality == "vertrouwelijk":
        return False
    return problem.confidentiality == "openbaar" or _view_problem(user, problem)


@rule("report.team_details")
def _report_team_details(user, team) -> bool:
    """A team's goal, update texts, indicators and day-100 result in a report (beyond the counts)."""
    if is_facilitator(user):
        return True
    if team.problem is not None and team.problem.confidentiality == "vertrouwelijk":
        return False
    return _view_board(user, team)

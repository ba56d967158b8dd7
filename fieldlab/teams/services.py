"""Team formation for a Lab: the draft the facilitators work on, and confirming it into memberships.

The algorithm lives in formation.py (pure Python); this module turns the Lab's participants,
teams and the stored draft into its input, stores its answer, and applies the facilitators' hand
changes with a version check so two facilitators never overwrite each other unseen.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fieldlab.audit.services import record
from fieldlab.auth.models import User
from fieldlab.expertise import services as expertise
from fieldlab.extensions import db
from fieldlab.labs.models import Lab, LabKind, Level, Participation
from fieldlab.mail.services import external_url, queue_message
from fieldlab.problems.models import Problem
from fieldlab.teams import formation
from fieldlab.teams.models import DraftPlacement, Membership, PairKind, PairRule, Team, TeamDraft
from fieldlab.timeutil import utcnow

WEIGHT_NAMES = ("coverage", "organisations", "levels", "sectors", "weakest")


class StaleDraftError(Exception):
    """The facilitator changed an older version of the draft than the one stored."""

    def __str__(self) -> str:
        return _("Een andere facilitator heeft de indeling intussen gewijzigd. "
                 "Hieronder ziet u de nieuwe stand; doe uw wijziging zo nodig opnieuw.")


class DraftError(Exception):
    """A change that breaks a rule; the message is Dutch and meant for the facilitator."""


def needs_teams(lab: Lab) -> bool:
    return lab.kind != LabKind.INDIVIDUAL


def level_label(level: str) -> str:
    return Level(level).label if level in set(Level) else level


# --- Reading ----------------------------------------------------------------------------------

def participations_of(lab: Lab) -> list[Participation]:
    return db.session.scalars(
        select(Participation).join(User, Participation.user_id == User.id)
        .where(Participation.lab_id == lab.id, User.erased_at.is_(None))
        .options(selectinload(Participation.user)).order_by(Participation.id)
    ).all()


def _tags(labels, label_of) -> list[str]:
    return list(dict.fromkeys(tag for tag in map(label_of, labels or ()) if tag))


def lab_labeller(lab: Lab, profiles):
    """One spelling per tag for the whole Lab (needs and profiles together), so the algorithm's
    exact comparison matches "Juridisch" in a profile with "juridisch" needed."""
    needed = [tag for team in lab.teams if team.problem for tag in team.problem.expertise_needed or ()]
    brought = [tag for profile in profiles if profile for tag in profile.expertise or ()]
    return expertise.labeller(needed + brought)


def candidates_for(lab: Lab) -> list[formation.Candidate]:
    """The participants as the algorithm sees them; tags in their one spelling (see fieldlab.expertise)."""
    users = [participation.user for participation in participations_of(lab)]
    profiles = {user.id: getattr(user, "profile", None) for user in users}
    label_of = lab_labeller(lab, profiles.values())
    candidates = []
    for user in users:
        profile = profiles[user.id]
        organisation = user.organisation
        candidates.append(formation.Candidate(
            id=user.id, name=user.name,
            organisation=organisation.name if organisation else None,
            sector=organisation.sector if organisation else None,
            level=profile.level if profile else None,
            expertise=frozenset(_tags(profile.expertise, label_of)) if profile else frozenset(),
        ))
    return candidates


def team_specs(lab: Lab, draft: TeamDraft | None) -> list[formation.TeamSpec]:
    sizes = (draft.target_sizes or {}) if draft else {}
    label_of = lab_labeller(lab, [getattr(p.user, "profile", None) for p in participations_of(lab)])
    return [formation.TeamSpec(id=team.id, name=team.name,
                               needed=tuple(_tags(team.problem.expertise_needed, label_of)) if team.problem else (),
                               size=sizes.get(str(team.id)))
            for team in lab.teams]


def weights_of(draft: TeamDraft | None) -> formation.Weights:
    stored = (draft.weights or {}) if draft else {}
    return formation.Weights(**{name: float(stored[name]) for name in WEIGHT_NAMES if name in stored})


def rules_of(draft: TeamDraft | None, *, pins: bool = True) -> formation.Rules:
    if draft is None:
        return formation.Rules()
    pinned = {p.user_id: p.team_id for p in draft.placements if pins and p.pinned and p.team_id}
    apart = frozenset((r.first_user_id, r.second_user_id) for r in draft.pair_rules if r.kind == PairKind.APART)
    together = frozenset((r.first_user_id, r.second_user_id) for r in draft.pair_rules
                         if r.kind == PairKind.TOGETHER)
    return formation.Rules(pinned=pinned, apart=apart, together=together)


def draft_for(lab: Lab) -> TeamDraft | None:
    return db.session.scalar(select(TeamDraft).where(TeamDraft.lab_id == lab.id))


@dataclass
class MemberView:
    id: int
    name: str
    organisation: str
    level: str
    pinned: bool


@dataclass
class ColumnView:
    team: Team | None                 # None: the column of people not placed yet
    result: formation.TeamResult | None
    members: list[MemberView]


@dataclass
class FormationView:
    """Everything the screen shows: columns, scores and warnings, and the rules that are broken."""

    draft: TeamDraft | None
    columns: list[ColumnView]
    unplaced: list[MemberView]
    formation: formation.Formation | None
    weights: formation.Weights
    broken: list[str]
    participant_count: int
    # "confirmed": the draft is what the Lab's teams hold; "changed": the Lab still has the teams
    # confirmed earlier and the draft differs (moves after "Bevestig de teams"); None: nothing confirmed.
    confirmation: str | None = None


def formation_view(lab: Lab, draft: TeamDraft | None) -> FormationView:
    candidates = candidates_for(lab)
    specs = team_specs(lab, draft)
    weights = weights_of(draft)
    by_id = {c.id: c for c in candidates}
    placements = {p.user_id: p for p in draft.placements} if draft else {}
    team_ids = {team.id for team in lab.teams}
    assignment = {uid: p.team_id for uid, p in placements.items() if uid in by_id and p.team_id in team_ids}

    def member(uid: int) -> MemberView:
        c = by_id[uid]
        return MemberView(id=uid, name=c.name, organisation=c.organisation or _("geen organisatie"),
                          level=level_label(c.level) if c.level else _("niveau onbekend"),
                          pinned=bool(placements.get(uid) and placements[uid].pinned))

    result = formation.evaluate(candidates, specs, assignment, weights=weights, level_label=level_label) \
        if draft and specs else None
    columns = []
    for index, team in enumerate(lab.teams):
        team_result = result.teams[index] if result else None
        members = [member(uid) for uid in team_result.member_ids] if team_result else []
        columns.append(ColumnView(team=team, result=team_result, members=members))
    unplaced = sorted((member(c.id) for c in candidates if c.id not in assignment), key=lambda m: m.name.lower())
    broken = _broken_rules(lab, draft, candidates, specs, assignment) if draft else []
    return FormationView(draft=draft, columns=columns, unplaced=unplaced, formation=result, weights=weights,
                         broken=broken, participant_count=len(candidates),
                         confirmation=_confirmation(lab, assignment, unplaced))


def _confirmation(lab: Lab, assignment: dict[int, int], unplaced: list) -> str | None:
    """Compare the draft with the memberships the rest of the app shows (the Lab page, boards,
    home pages), so a change after confirming is never silently unconfirmed."""
    confirmed = {(membership.user_id, team.id) for team in lab.teams for membership in team.memberships}
    if not confirmed:
        return None
    if not unplaced and confirmed == set(assignment.items()):
        return "confirmed"
    return "changed"


def _broken_rules(lab, draft, candidates, specs, assignment) -> list[str]:
    """Dutch descriptions of the hard rules the current (hand-changed) draft breaks."""
    names = {c.id: c.name for c in candidates}
    messages = []
    unplaced = [c for c in candidates if c.id not in assignment]
    if unplaced and assignment:
        messages.append(ngettext("%(num)s deelnemer zit nog niet in een team.",
                                 "%(num)s deelnemers zitten nog niet in een team.", len(unplaced)))
    for rule in draft.pair_rules:
        a, b = rule.first_user_id, rule.second_user_id
        if a not in assignment or b not in assignment:
            continue
        if rule.kind == PairKind.APART and assignment[a] == assignment[b]:
            messages.append(_("%(a)s en %(b)s moeten apart, maar zitten in hetzelfde team.",
                              a=names.get(a, "?"), b=names.get(b, "?")))
        if rule.kind == PairKind.TOGETHER and assignment[a] != assignment[b]:
            messages.append(_("%(a)s en %(b)s moeten samen, maar zitten in verschillende teams.",
                              a=names.get(a, "?"), b=names.get(b, "?")))
    if assignment and not unplaced:
        bounds = formation.size_bounds(len(candidates), specs)
        sizes = {spec.id: 0 for spec in specs}
        for team_id in assignment.values():
            sizes[team_id] += 1
        for spec, (low, high) in zip(specs, bounds, strict=True):
            if not low <= sizes[spec.id] <= high:
                wanted = str(low) if low == high else _("%(low)s of %(high)s", low=low, high=high)
                messages.append(_("%(team)s telt %(size)s deelnemers; de bedoeling is %(wanted)s.",
                                  team=spec.name, size=sizes[spec.id], wanted=wanted))
    return messages


# --- Changing ---------------------------------------------------------------------------------

def create_team(lab: Lab, *, name: str, problem: Problem | None, by, now: datetime | None = None) -> Team:
    team = Team(lab=lab, name=name.strip(), problem=problem)
    db.session.add(team)
    db.session.flush()
    record("team_created", actor=by, obj=team, now=now, lab=lab.id)
    return team


def get_or_create_draft(lab: Lab, *, by, now: datetime | None = None) -> TeamDraft:
    draft = draft_for(lab)
    if draft is None:
        draft = TeamDraft(lab=lab, updated_at=now or utcnow(), updated_by_id=by.id, weights={}, target_sizes={})
        # Start from the memberships the Lab already has (teams formed earlier, or by hand).
        for team in lab.teams:
            for membership in team.memberships:
                draft.placements.append(DraftPlacement(user_id=membership.user_id, team_id=team.id))
        db.session.add(draft)
        db.session.flush()
    return draft


def _check_version(draft: TeamDraft, expected_version: int | None) -> None:
    if expected_version is None or expected_version != draft.version:
        raise StaleDraftError()


def _touch(draft: TeamDraft, by, now) -> None:
    draft.updated_at = now or utcnow()
    draft.updated_by_id = by.id
    draft.confirmed_at = None


def propose(lab: Lab, *, by, expected_version: int | None, now: datetime | None = None) -> TeamDraft:
    """Run the algorithm for everyone who is not pinned; pinned people stay where they are."""
    draft = get_or_create_draft(lab, by=by, now=now)
    if expected_version is not None:
        _check_version(draft, expected_version)
    candidates = candidates_for(lab)
    specs = team_specs(lab, draft)
    if not specs:
        raise DraftError(_("Maak eerst teams aan."))
    if not candidates:
        raise DraftError(_("Dit Lab heeft nog geen deelnemers."))
    try:
        result = formation.form_teams(candidates, specs, weights=weights_of(draft), rules=rules_of(draft),
                                      seed=draft.seed, level_label=level_label)
    except formation.FormationError as error:
        raise DraftError(str(error)) from error
    placements = {p.user_id: p for p in draft.placements}
    for candidate_id, team_id in result.assignment.items():
        placement = placements.get(candidate_id)
        if placement is None:
            draft.placements.append(DraftPlacement(user_id=candidate_id, team_id=team_id))
        else:
            placement.team_id = team_id
    draft.seed += 1  # the next "Stel teams voor" may offer another, equally good suggestion
    _touch(draft, by, now)
    db.session.flush()
    return draft


def _placement(draft: TeamDraft, lab: Lab, user_id: int) -> DraftPlacement:
    if user_id not in {p.user_id for p in participations_of(lab)}:
        raise DraftError(_("Deze persoon doet niet mee aan dit Lab."))
    for placement in draft.placements:
        if placement.user_id == user_id:
            return placement
    placement = DraftPlacement(user_id=user_id, team_id=None)
    draft.placements.append(placement)
    return placement


def move(lab: Lab, *, user_id: int, team_id: int | None, expected_version: int | None, by,
         now: datetime | None = None) -> TeamDraft:
    draft = get_or_create_draft(lab, by=by, now=now)
    _check_version(draft, expected_version)
    if team_id is not None and team_id not in {team.id for team in lab.teams}:
        raise DraftError(_("Kies een team van dit Lab."))
    placement = _placement(draft, lab, user_id)
    placement.team_id = team_id
    if team_id is None:
        placement.pinned = False
    _touch(draft, by, now)
    db.session.flush()
    return draft


def set_pinned(lab: Lab, *, user_id: int, pinned: bool, expected_version: int | None, by,
               now: datetime | None = None) -> TeamDraft:
    draft = get_or_create_draft(lab, by=by, now=now)
    _check_version(draft, expected_version)
    placement = _placement(draft, lab, user_id)
    if pinned and placement.team_id is None:
        raise DraftError(_("Zet iemand eerst in een team; daarna kunt u hem of haar vastzetten."))
    placement.pinned = pinned
    _touch(draft, by, now)
    db.session.flush()
    return draft


def update_settings(lab: Lab, *, weights: dict[str, float], sizes: dict[int, int | None],
                    expected_version: int | None, by, now: datetime | None = None) -> TeamDraft:
    draft = get_or_create_draft(lab, by=by, now=now)
    _check_version(draft, expected_version)
    draft.weights = {name: float(weights[name]) for name in WEIGHT_NAMES if weights.get(name) is not None}
    draft.target_sizes = {str(team_id): size for team_id, size in sizes.items() if size}
    _touch(draft, by, now)
    db.session.flush()
    return draft


def add_pair_rule(lab: Lab, *, first_user_id: int, second_user_id: int, kind: str, expected_version: int | None,
                  by, now: datetime | None = None) -> TeamDraft:
    draft = get_or_create_draft(lab, by=by, now=now)
    _check_version(draft, expected_version)
    first, second = sorted((first_user_id, second_user_id))
    participants = {p.user_id for p in participations_of(lab)}
    if first == second or first not in participants or second not in participants:
        raise DraftError(_("Kies twee verschillende deelnemers van dit Lab."))
    existing = next((r for r in draft.pair_rules if (r.first_user_id, r.second_user_id) == (first, second)), None)
    if existing is not None:
        existing.kind = kind
    else:
        draft.pair_rules.append(PairRule(first_user_id=first, second_user_id=second, kind=kind))
    _touch(draft, by, now)
    db.session.flush()
    return draft


def remove_pair_rule(lab: Lab, *, rule_id: int, expected_version: int | None, by,
                     now: datetime | None = None) -> TeamDraft:
    draft = get_or_create_draft(lab, by=by, now=now)
    _check_version(draft, expected_version)
    rule = next((r for r in draft.pair_rules if r.id == rule_id), None)
    if rule is not None:
        draft.pair_rules.remove(rule)
    _touch(draft, by, now)
    db.session.flush()
    return draft


def leave_lab_teams(participation: Participation) -> None:
    """A participant taken off the Lab leaves its teams too (`labs.hooks.participant_leaving`):
    otherwise a team page and its board would still list someone the Lab no longer has, while the
    team formation, which only places the Lab's participants, shows a change to confirm."""
    for team in participation.lab.teams:
        for membership in [m for m in team.memberships if m.user_id == participation.user_id]:
            team.memberships.remove(membership)
    db.session.flush()


def confirm(lab: Lab, *, expected_version: int | None, by, now: datetime | None = None) -> list[Membership]:
    """Turn the draft into memberships, tell each member by e-mail (once), and log who formed the teams.
    Confirming again after a change tells only those whose team changed: the others' team is the same."""
    now = now or utcnow()
    draft = get_or_create_draft(lab, by=by, now=now)
    _check_version(draft, expected_version)
    view = formation_view(lab, draft)
    if view.unplaced:
        raise DraftError(_("Nog niet iedereen zit in een team: deel eerst alle deelnemers in."))
    if view.broken:
        raise DraftError(_("De indeling houdt zich niet aan alle regels: %(rules)s", rules=" ".join(view.broken)))
    wanted = {(column.team.id, member.id) for column in view.columns for member in column.members}
    memberships = []
    joined: set[int] = set()
    for team in lab.teams:
        for membership in list(team.memberships):
            if (team.id, membership.user_id) not in wanted:
                team.memberships.remove(membership)
        present = team.member_ids
        for column in view.columns:
            if column.team.id != team.id:
                continue
            for member in column.members:
                if member.id not in present:
                    team.memberships.append(Membership(user_id=member.id))
                    joined.add(member.id)
        memberships.extend(team.memberships)
    draft.confirmed_at = now
    draft.confirmed_by_id = by.id
    db.session.flush()
    users = {p.user_id: p.user for p in participations_of(lab)}
    for column in view.columns:
        for member in column.members:
            if member.id not in joined:
                continue
            user = users[member.id]
            queue_message(
                key=f"teams:lab{lab.id}:draft{draft.id}:v{draft.version}:user{user.id}",
                to=user.email, template="team_assigned", locale=user.locale or "nl", now=now,
                user=user, team=column.team, lab=lab, link=external_url("home.index"),
            )
    record("teams_formed", actor=by, obj=lab, now=now, teams=len(view.columns), members=len(wanted),
           version=draft.version)
    db.session.flush()
    return memberships

"""Team formation, the scoring half: the input and output types, the objective, and how any
assignment (a suggestion or the facilitator's hand-made one) is scored, explained and checked.

The search (state.py, search.py) computes the same objective incrementally; `evaluate` here is the
reference that the screen, the tests and the benchmark's exact model agree with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _

EPSILON = 1e-9


# --- Input and output -----------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """A participant as the algorithm sees them. `sector` is 'publiek', 'privaat' or None."""

    id: int
    name: str = ""
    organisation: str | None = None
    sector: str | None = None
    level: str | None = None
    expertise: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TeamSpec:
    """A team to fill: the expertise its vraagstuk needs and, optionally, an exact target size."""

    id: int
    name: str = ""
    needed: tuple[str, ...] = ()
    size: int | None = None


@dataclass(frozen=True)
class Weights:
    coverage: float = 4.0
    organisations: float = 2.0
    levels: float = 2.0
    sectors: float = 1.0
    weakest: float = 1.0

    @property
    def team_total(self) -> float:
        return self.coverage + self.organisations + self.levels + self.sectors

    def as_dict(self) -> dict[str, float]:
        return {"coverage": self.coverage, "organisations": self.organisations, "levels": self.levels,
                "sectors": self.sectors, "weakest": self.weakest}


@dataclass(frozen=True)
class Rules:
    """Hard constraints besides "everyone in one team": pins, apart pairs, together pairs, sizes."""

    pinned: Mapping[int, int] = field(default_factory=dict)
    apart: frozenset[tuple[int, int]] = frozenset()
    together: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class Breakdown:
    coverage: float
    organisations: float
    levels: float
    sectors: float
    total: float


@dataclass(frozen=True)
class TeamWarning:
    code: str
    message: str


@dataclass(frozen=True)
class TeamResult:
    spec: TeamSpec
    member_ids: tuple[int, ...]
    score: Breakdown
    covers: tuple[str, ...]
    misses: tuple[str, ...]
    warnings: tuple[TeamWarning, ...]


@dataclass(frozen=True)
class Formation:
    assignment: dict[int, int]          # candidate id -> team id
    teams: tuple[TeamResult, ...]
    score: float                        # the overall objective, 0..1
    mean: float
    weakest: float

    def members_of(self, team_id: int) -> tuple[int, ...]:
        return next(team.member_ids for team in self.teams if team.spec.id == team_id)


DEFAULT_WEIGHTS = Weights()
NO_RULES = Rules()


class FormationError(ValueError):
    """The hard rules cannot all hold (a Dutch message for the facilitator)."""


# --- Scoring (shared by the search, `evaluate` and the benchmark's exact model) --------------

@dataclass(frozen=True)
class Scale:
    """Constants of the objective for one instance: normalisers and which parts count."""

    pairs_norm: int             # pairs of team-mates in the largest team: size × (size - 1) / 2
    pool_levels: int            # distinct levels in the pool
    levels_count: bool          # False when nobody has a level: the part is then always 1
    sectors_count: bool         # True only when the Lab has both public and private partners
    weights: Weights

    def levels_norm(self, size: int) -> int:
        """The levels a team of `size` can hold: all of the pool's, or one per member. The score and
        the warning "mist het niveau" both use this, so a full score never comes with that warning."""
        return max(1, min(self.pool_levels, size))

    def team_score(self, covered: int, needed: int, pairs: int, levels: int, both: bool, size: int) -> float:
        return self.parts(covered, needed, pairs, levels, both, size).total

    def parts(self, covered: int, needed: int, pairs: int, levels: int, both: bool, size: int) -> Breakdown:
        w = self.weights
        coverage = covered / needed if needed else 1.0
        organisations = 1.0 - pairs / self.pairs_norm
        level_part = min(1.0, levels / self.levels_norm(size)) if self.levels_count else 1.0
        sector_part = (1.0 if both else 0.0) if self.sectors_count else 1.0
        total_weight = w.team_total or 1.0
        total = (w.coverage * coverage + w.organisations * organisations + w.levels * level_part
                 + w.sectors * sector_part) / total_weight
        return Breakdown(coverage, organisations, level_part, sector_part, total)

    def overall(self, scores: Sequence[float]) -> float:
        if not scores:
            return 0.0
        mean = sum(scores) / len(scores)
        return (mean + self.weights.weakest * min(scores)) / (1.0 + self.weights.weakest)


def same_organisation_pairs(count: int) -> int:
    """Pairs of colleagues among `count` people of one organisation: the second colleague adds 1,
    the third 2, the fourth 3. Growing faster than the count is what spreads a dominant
    organisation evenly (counting only "second members" made 5 + 1 as good as 3 + 3)."""
    return count * (count - 1) // 2


def _even_spread_pairs(count: int, teams: int) -> int:
    share, rest = divmod(count, teams)
    return rest * same_organisation_pairs(share + 1) + (teams - rest) * same_organisation_pairs(share)


def size_bounds(n: int, teams: Sequence[TeamSpec]) -> list[tuple[int, int]]:
    """(smallest, largest) size per team: the target when every team has one, else balanced."""
    if not teams:
        return []
    if all(team.size is not None for team in teams):
        return [(team.size, team.size) for team in teams]
    fixed = sum(team.size for team in teams if team.size is not None)
    free = [team for team in teams if team.size is None]
    rest = max(0, n - fixed)
    low = rest // len(free)
    high = low + (1 if rest % len(free) else 0)
    return [(team.size, team.size) if team.size is not None else (low, high) for team in teams]


def make_scale(candidates: Sequence[Candidate], teams: Sequence[TeamSpec], weights: Weights) -> Scale:
    bounds = size_bounds(len(candidates), teams)
    largest = max((high for _, high in bounds), default=1)
    pool_levels = {c.level for c in candidates if c.level}
    sectors = {c.sector for c in candidates if c.sector}
    return Scale(
        pairs_norm=max(1, largest * (largest - 1) // 2),
        pool_levels=len(pool_levels),
        levels_count=bool(pool_levels),
        sectors_count={"publiek", "privaat"} <= sectors,
        weights=weights,
    )



def evaluate(candidates: Sequence[Candidate], teams: Sequence[TeamSpec], assignment: Mapping[int, int], *,
             weights: Weights = Weights(), level_label: Callable[[str], str] = str) -> Formation:
    """Score and explain any assignment (a suggestion, or one the facilitator changed by hand).
    People without a team are left out of the scores."""
    scale = make_scale(candidates, teams, weights)
    by_id = {c.id: c for c in candidates}
    pool_levels = {c.level for c in candidates if c.level}
    results = []
    for spec in teams:
        members = [by_id[cid] for cid, team_id in assignment.items() if team_id == spec.id and cid in by_id]
        members.sort(key=lambda c: (c.name.lower(), c.id))
        results.append(_explain(spec, members, scale, pool_levels, level_label))
    scores = [result.score.total for result in results]
    mean = sum(scores) / len(scores) if scores else 0.0
    return Formation(assignment=dict(assignment), teams=tuple(results), score=scale.overall(scores), mean=mean,
                     weakest=min(scores, default=0.0))


def _explain(spec: TeamSpec, members: Sequence[Candidate], scale: Scale, pool_levels: set[str],
             level_label: Callable[[str], str]) -> TeamResult:
    needed = list(dict.fromkeys(spec.needed))
    brought = set().union(*(c.expertise for c in members)) if members else set()
    covers = tuple(tag for tag in needed if tag in brought)
    misses = tuple(tag for tag in needed if tag not in brought)
    organisations: dict[str, int] = {}
    for c in members:
        if c.organisation:
            organisations[c.organisation] = organisations.get(c.organisation, 0) + 1
    pairs = sum(same_organisation_pairs(count) for count in organisations.values())
    levels = {c.level for c in members if c.level}
    sectors = {c.sector for c in members if c.sector}
    parts = scale.parts(len(covers), len(needed), pairs, len(levels), {"publiek", "privaat"} <= sectors,
                        len(members))
    warnings = [TeamWarning("expertise", _("%(team)s heeft geen deelnemer met expertise ‘%(tag)s’.",
                                            team=spec.name, tag=tag)) for tag in misses]
    warnings += [TeamWarning("organisation", _("%(team)s heeft %(count)s deelnemers van %(organisation)s.",
                                               team=spec.name, count=count, organisation=name))
                 for name, count in sorted(organisations.items()) if count > 1]
    if scale.sectors_count and members and not {"publiek", "privaat"} <= sectors:
        warnings.append(TeamWarning("sector", _("%(team)s heeft geen private partner.", team=spec.name)
                                    if "privaat" not in sectors else
                                    _("%(team)s heeft geen publieke partner.", team=spec.name)))
    if members and scale.levels_count and len(levels) < scale.levels_norm(len(members)):
        missing = sorted(pool_levels - levels)
        labels = ", ".join(level_label(level) for level in missing)
        warnings.append(TeamWarning("levels", _("%(team)s mist het niveau %(levels)s.", team=spec.name, levels=labels)))
    if not members:
        warnings.append(TeamWarning("empty", _("%(team)s heeft nog geen deelnemers.", team=spec.name)))
    return TeamResult(spec=spec, member_ids=tuple(c.id for c in members), score=parts, covers=covers,
                      misses=misses, warnings=tuple(warnings))


def violations(candidates: Sequence[Candidate], teams: Sequence[TeamSpec], assignment: Mapping[int, int],
               rules: Rules = Rules()) -> list[str]:
    """The hard rules an assignment breaks (empty when it keeps them all); used by tests and the screen."""
    problems = []
    team_ids = {spec.id for spec in teams}
    for c in candidates:
        if assignment.get(c.id) not in team_ids:
            problems.append(f"unassigned:{c.id}")
    for cid, team_id in rules.pinned.items():
        if cid in assignment and assignment[cid] != team_id:
            problems.append(f"pinned:{cid}")
    for a, b in rules.apart:
        if a in assignment and assignment.get(a) == assignment.get(b):
            problems.append(f"apart:{a}:{b}")
    for a, b in rules.together:
        if a in assignment and b in assignment and assignment[a] != assignment[b]:
            problems.append(f"together:{a}:{b}")
    sizes = {spec.id: 0 for spec in teams}
    for team_id in assignment.values():
        if team_id in sizes:
            sizes[team_id] += 1
    for spec, (low, high) in zip(teams, size_bounds(len(candidates), teams), strict=True):
        if not low <= sizes[spec.id] <= high:
            problems.append(f"size:{spec.id}")
    return problems


def upper_bound(candidates: Sequence[Candidate], teams: Sequence[TeamSpec], *, weights: Weights = Weights()) -> float:
    """An upper bound on the best overall score, without a solver, from counting alone.

    Sum part: a tag held by c people can be covered in at most c teams; an organisation with c
    people in T teams forces at least c - T "second members"; a level held by c people appears in at
    most min(c, T) teams; a team has both sectors only if a public and a private person are left
    for it. Weakest part: at most the mean, at most each team's own best, and when a count above
    falls short, some team lacks at least that one thing.
    """
    scale = make_scale(candidates, teams, weights)
    w = weights
    total_weight = w.team_total or 1.0
    t = len(teams)
    if t == 0:
        return 0.0
    bounds = size_bounds(len(candidates), teams)
    holders: dict[str, int] = {}
    for c in candidates:
        for tag in c.expertise:
            holders[tag] = holders.get(tag, 0) + 1
    # Coverage: per tag, the teams needing it with the largest share per tag (smallest need lists).
    coverage_sum = 0.0
    coverage_short = False
    per_team_coverage = []
    most_tags = max((len(c.expertise) for c in candidates), default=0)
    needs = [list(dict.fromkeys(spec.needed)) for spec in teams]
    for spec_needs, (_low, high) in zip(needs, bounds, strict=True):
        available = sum(1 for tag in spec_needs if holders.get(tag, 0))
        per_team_coverage.append(min(available, high * most_tags) / len(spec_needs) if spec_needs else 1.0)
    tags = {tag for spec_needs in needs for tag in spec_needs}
    shares_by_tag = {tag: sorted((1.0 / len(n) for n in needs if tag in n), reverse=True) for tag in tags}
    for tag, shares in shares_by_tag.items():
        usable = shares[: holders.get(tag, 0)]
        coverage_sum += sum(usable)
        coverage_short = coverage_short or len(usable) < len(shares)
    coverage_sum += sum(1 for spec_needs in needs if not spec_needs)
    coverage_sum = min(coverage_sum, sum(per_team_coverage))
    # Organisations.
    per_org: dict[str, int] = {}
    for c in candidates:
        if c.organisation:
            per_org[c.organisation] = per_org.get(c.organisation, 0) + 1
    # Pairs are convex in the count, so spreading an organisation evenly over the teams gives fewest.
    forced_pairs = sum(_even_spread_pairs(count, t) for count in per_org.values())
    forced_duplicates = any(count > t for count in per_org.values())
    organisations_sum = t - forced_pairs / scale.pairs_norm
    # Levels.
    if scale.levels_count:
        per_level: dict[str, int] = {}
        for c in candidates:
            if c.level:
                per_level[c.level] = per_level.get(c.level, 0) + 1
        slots = sum(min(count, t) for count in per_level.values())
        # A team of size s scores levels / min(pool levels, s): at most 1, at most levels / the smallest norm.
        smallest_norm = scale.levels_norm(min(low for low, _ in bounds))
        largest_norm = scale.levels_norm(max(high for _, high in bounds))
        levels_sum = min(float(t), slots / smallest_norm)
        levels_short = slots < sum(min(scale.pool_levels, low) for low, _ in bounds)
    else:
        levels_sum, levels_short = float(t), False
    # Sectors.
    if scale.sectors_count:
        publics = sum(1 for c in candidates if c.sector == "publiek")
        privates = sum(1 for c in candidates if c.sector == "privaat")
        both_teams = min(t, publics, privates)
        sectors_sum = float(both_teams)
        sectors_short = both_teams < t
    else:
        sectors_sum, sectors_short = float(t), False
    mean_bound = (w.coverage * coverage_sum + w.organisations * organisations_sum + w.levels * levels_sum
                  + w.sectors * sectors_sum) / total_weight / t
    team_bounds = [(w.coverage * cov + w.organisations + w.levels + w.sectors) / total_weight
                   for cov in per_team_coverage]
    weakest_bound = min(mean_bound, min(team_bounds))
    biggest_need = max((len(n) for n in needs), default=0)
    shortfalls = []
    if coverage_short and biggest_need:
        shortfalls.append(w.coverage / biggest_need)
    if forced_duplicates:
        shortfalls.append(w.organisations / scale.pairs_norm)
    if levels_short:
        shortfalls.append(w.levels / largest_norm)
    if sectors_short:
        shortfalls.append(w.sectors)
    if shortfalls:
        weakest_bound = min(weakest_bound, 1.0 - min(shortfalls) / total_weight)
    return (mean_bound + w.weakest * weakest_bound) / (1.0 + w.weakest)

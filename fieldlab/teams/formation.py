"""Team formation: who goes in which team. Pure Python, no database, no solver.

The facilitator asks "who is needed for this vraagstuk?"; this module answers with a suggestion
and explains it. Hard rules are never broken: everyone is in exactly one team, pinned people stay
where they are pinned, pairs that must be apart are apart and pairs that must be together are
together, and team sizes differ by at most one (or are exactly the facilitator's target sizes).

Each team scores between 0 and 1, a weighted mean of four parts the facilitator sees and can weigh:
- coverage: the share of the expertise its vraagstuk needs that some member brings;
- organisations: 1 minus the number of "second members" of an organisation already in the team,
  divided by the largest possible number (team size - 1): two from the same organisation cost;
- levels: distinct levels (uitvoering, beleid, management, expert) over the levels a team can hold;
- sectors: 1 when the team has both a public and a private partner (only when the Lab has both).
The overall score is `(mean + weakest_weight * weakest) / (1 + weakest_weight)`: the sum counts,
and so does the weakest team.

The search: a greedy start (hardest people first, each to the team that gains most), then local
search with moves and swaps (first improvement, "don't look" bits), then a deterministic number of
random kicks that are kept only when they lead to a better result. Deterministic for a seed.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
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


class FormationError(ValueError):
    """The hard rules cannot all hold (a Dutch message for the facilitator)."""


# --- Scoring (shared by the search, `evaluate` and the benchmark's exact model) --------------

@dataclass(frozen=True)
class Scale:
    """Constants of the objective for one instance: normalisers and which parts count."""

    duplicates_norm: int        # most "second members" a team can have: largest size - 1
    levels_norm: int            # levels a team can hold: min(levels in the pool, smallest size)
    levels_count: bool          # False when nobody has a level: the part is then always 1
    sectors_count: bool         # True only when the Lab has both public and private partners
    weights: Weights

    def team_score(self, covered: int, needed: int, duplicates: int, levels: int, both: bool) -> float:
        return self.parts(covered, needed, duplicates, levels, both).total

    def parts(self, covered: int, needed: int, duplicates: int, levels: int, both: bool) -> Breakdown:
        w = self.weights
        coverage = covered / needed if needed else 1.0
        organisations = 1.0 - duplicates / self.duplicates_norm
        level_part = min(1.0, levels / self.levels_norm) if self.levels_count else 1.0
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
    smallest = min((low for low, _ in bounds), default=1)
    pool_levels = {c.level for c in candidates if c.level}
    sectors = {c.sector for c in candidates if c.sector}
    return Scale(
        duplicates_norm=max(1, largest - 1),
        levels_norm=max(1, min(len(pool_levels), smallest)),
        levels_count=bool(pool_levels),
        sectors_count={"publiek", "privaat"} <= sectors,
        weights=weights,
    )


# --- The search state ------------------------------------------------------------------------

class _Problem:
    """Integer-coded instance: persons 0..n-1, teams 0..T-1, tags as bits."""

    def __init__(self, candidates: Sequence[Candidate], teams: Sequence[TeamSpec], weights: Weights, rules: Rules):
        self.candidates = list(candidates)
        self.specs = list(teams)
        self.n = len(self.candidates)
        self.t = len(self.specs)
        self.scale = make_scale(self.candidates, self.specs, weights)
        self.index = {c.id: i for i, c in enumerate(self.candidates)}
        team_index = {spec.id: i for i, spec in enumerate(self.specs)}
        tags = sorted({tag for spec in self.specs for tag in spec.needed})
        self.tag_bit = {tag: 1 << i for i, tag in enumerate(tags)}
        self.needed = [sum(self.tag_bit[tag] for tag in set(spec.needed)) for spec in self.specs]
        self.needed_count = [mask.bit_count() for mask in self.needed]
        self.expertise = [sum(self.tag_bit.get(tag, 0) for tag in c.expertise) for c in self.candidates]
        organisations = {name: i for i, name in enumerate(sorted({c.organisation for c in self.candidates
                                                                   if c.organisation}))}
        # Nobody shares "no organisation": each unknown gets an id of its own.
        self.org = [organisations[c.organisation] if c.organisation else -1 - i
                    for i, c in enumerate(self.candidates)]
        levels = {name: i for i, name in enumerate(sorted({c.level for c in self.candidates if c.level}))}
        self.level = [levels[c.level] if c.level else -1 for c in self.candidates]
        self.level_kinds = max(1, len(levels))
        self.sector = [0 if c.sector == "publiek" else 1 if c.sector == "privaat" else -1 for c in self.candidates]
        self.bounds = size_bounds(self.n, self.specs)
        self._check_sizes()
        self._coefficients()
        self._build_units(rules, team_index)

    def _coefficients(self) -> None:
        """The team score as base + linear terms, so the search computes it in a few operations."""
        scale = self.scale
        w = scale.weights
        total = w.team_total or 1.0
        self.base = [(w.organisations + (0.0 if count else w.coverage) + (0.0 if scale.levels_count else w.levels)
                      + (0.0 if scale.sectors_count else w.sectors)) / total for count in self.needed_count]
        self.coverage_weight = [w.coverage / total / count if count else 0.0 for count in self.needed_count]
        self.duplicate_weight = w.organisations / total / scale.duplicates_norm
        self.level_weight = w.levels / total / scale.levels_norm if scale.levels_count else 0.0
        self.level_cap = scale.levels_norm
        self.sector_weight = w.sectors / total if scale.sectors_count else 0.0

    def fast_score(self, team: int, covered: int, duplicates: int, levels: int, both: bool) -> float:
        return (self.base[team] + self.coverage_weight[team] * covered - self.duplicate_weight * duplicates
                + self.level_weight * (levels if levels < self.level_cap else self.level_cap)
                + (self.sector_weight if both else 0.0))

    def _check_sizes(self) -> None:
        if not self.specs:
            raise FormationError(_("Maak eerst teams aan."))
        if sum(low for low, _ in self.bounds) > self.n or sum(high for _, high in self.bounds) < self.n:
            raise FormationError(_("De doelgroottes tellen op tot %(total)s, maar er zijn %(count)s deelnemers.",
                                   total=sum(high for _, high in self.bounds), count=self.n))

    def _build_units(self, rules: Rules, team_index: Mapping[int, int]) -> None:
        """People who must be together form one unit; units move as a whole."""
        parent = list(range(self.n))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for a, b in rules.together:
            if a in self.index and b in self.index:
                parent[find(self.index[a])] = find(self.index[b])
        groups: dict[int, list[int]] = {}
        for i in range(self.n):
            groups.setdefault(find(i), []).append(i)
        self.units = [sorted(members) for _, members in sorted(groups.items(), key=lambda item: min(item[1]))]
        self.unit_of = [0] * self.n
        for u, members in enumerate(self.units):
            for i in members:
                self.unit_of[i] = u
        self.apart = [set() for _ in range(self.n)]
        for a, b in rules.apart:
            if a in self.index and b in self.index:
                i, j = self.index[a], self.index[b]
                if self.unit_of[i] == self.unit_of[j]:
                    raise FormationError(_("%(a)s en %(b)s moeten zowel samen als apart: dat kan niet.",
                                           a=self.candidates[i].name, b=self.candidates[j].name))
                self.apart[i].add(j)
                self.apart[j].add(i)
        self.unit_apart = [set().union(*(self.apart[i] for i in members)) for members in self.units]
        self.unit_pin: list[int | None] = [None] * len(self.units)
        for candidate_id, team_id in rules.pinned.items():
            if candidate_id not in self.index or team_id not in team_index:
                continue
            u = self.unit_of[self.index[candidate_id]]
            team = team_index[team_id]
            if self.unit_pin[u] is not None and self.unit_pin[u] != team:
                raise FormationError(_("%(name)s is aan twee teams vastgezet.",
                                       name=self.candidates[self.index[candidate_id]].name))
            self.unit_pin[u] = team
        largest = max((high for _, high in self.bounds), default=0)
        for members in self.units:
            if len(members) > largest:
                raise FormationError(_("%(count)s deelnemers moeten samen, maar een team telt er hoogstens %(size)s.",
                                       count=len(members), size=largest))


class _State:
    """An assignment with the counts that make a team's score cheap to update."""

    def __init__(self, problem: _Problem):
        self.p = problem
        t = problem.t
        self.team_of = [-1] * problem.n
        self.members: list[set[int]] = [set() for _ in range(t)]
        self.size = [0] * t
        self.tag_count: list[dict[int, int]] = [{} for _ in range(t)]
        self.zero = list(problem.needed)            # needed tags nobody in the team has
        self.one = [0] * t                          # needed tags exactly one member has
        self.org_count: list[dict[int, int]] = [{} for _ in range(t)]
        self.duplicates = [0] * t
        self.level_count = [[0] * problem.level_kinds for _ in range(t)]
        self.levels = [0] * t
        self.public = [0] * t
        self.private = [0] * t
        self.covered = [0] * t
        self.removal: list[dict | None] = [None] * t
        self.score = [problem.fast_score(i, 0, 0, 0, False) for i in range(t)]
        self.total = sum(self.score)
        self._refresh_smallest()

    # Changing the assignment ------------------------------------------------------------

    def add(self, i: int, team: int) -> None:
        p = self.p
        self.team_of[i] = team
        self.members[team].add(i)
        self.size[team] += 1
        self.removal[team] = None
        mask = p.expertise[i] & p.needed[team]
        counts = self.tag_count[team]
        while mask:
            bit = mask & -mask
            mask ^= bit
            count = counts.get(bit, 0) + 1
            counts[bit] = count
            if count == 1:
                self.zero[team] &= ~bit
                self.one[team] |= bit
                self.covered[team] += 1
            elif count == 2:
                self.one[team] &= ~bit
        orgs = self.org_count[team]
        count = orgs.get(p.org[i], 0)
        if count:
            self.duplicates[team] += 1
        orgs[p.org[i]] = count + 1
        if p.level[i] >= 0:
            if self.level_count[team][p.level[i]] == 0:
                self.levels[team] += 1
            self.level_count[team][p.level[i]] += 1
        if p.sector[i] == 0:
            self.public[team] += 1
        elif p.sector[i] == 1:
            self.private[team] += 1

    def remove(self, i: int) -> None:
        p = self.p
        team = self.team_of[i]
        self.team_of[i] = -1
        self.members[team].discard(i)
        self.size[team] -= 1
        self.removal[team] = None
        mask = p.expertise[i] & p.needed[team]
        counts = self.tag_count[team]
        while mask:
            bit = mask & -mask
            mask ^= bit
            count = counts[bit] - 1
            counts[bit] = count
            if count == 0:
                self.one[team] &= ~bit
                self.zero[team] |= bit
                self.covered[team] -= 1
            elif count == 1:
                self.one[team] |= bit
        orgs = self.org_count[team]
        count = orgs[p.org[i]] - 1
        if count:
            self.duplicates[team] -= 1
            orgs[p.org[i]] = count
        else:
            del orgs[p.org[i]]
        if p.level[i] >= 0:
            self.level_count[team][p.level[i]] -= 1
            if self.level_count[team][p.level[i]] == 0:
                self.levels[team] -= 1
        if p.sector[i] == 0:
            self.public[team] -= 1
        elif p.sector[i] == 1:
            self.private[team] -= 1

    def rescore(self, teams: Iterable[int]) -> None:
        p = self.p
        for team in teams:
            self.score[team] = p.fast_score(team, self.covered[team], self.duplicates[team], self.levels[team],
                                            self.public[team] > 0 and self.private[team] > 0)
        self.total = sum(self.score)
        self._refresh_smallest()

    def _refresh_smallest(self) -> None:
        self.smallest = heapq.nsmallest(3, ((s, team) for team, s in enumerate(self.score)))
        lowest = self.smallest[0][0] + EPSILON if self.smallest else 0.0
        self.at_minimum = sum(1 for score in self.score if score <= lowest)

    def min_without(self, a: int, b: int) -> float:
        for score, team in self.smallest:
            if team != a and team != b:
                return score
        return 2.0

    def objective(self) -> float:
        return self.p.scale.overall(self.score)

    # Scoring a change without making it ----------------------------------------------------

    def without(self, team: int) -> dict[int, tuple]:
        """Per member: the team's counts once that member leaves (cached until the team changes)."""
        cached = self.removal[team]
        if cached is not None:
            return cached
        p = self.p
        one, zero, orgs, level_count = self.one[team], self.zero[team], self.org_count[team], self.level_count[team]
        cached = {}
        for i in self.members[team]:
            lost = p.expertise[i] & one
            level = p.level[i]
            sector = p.sector[i]
            cached[i] = (
                self.covered[team] - lost.bit_count(), zero | lost,
                self.duplicates[team] - (orgs[p.org[i]] >= 2),
                self.levels[team] - (level >= 0 and level_count[level] == 1),
                self.public[team] - (sector == 0), self.private[team] - (sector == 1), p.org[i], level,
            )
        self.removal[team] = cached
        return cached

    def as_is(self, team: int) -> tuple:
        return (self.covered[team], self.zero[team], self.duplicates[team], self.levels[team], self.public[team],
                self.private[team], None, -2)

    def score_with(self, team: int, base: tuple, into: int) -> float:
        """The team's score from counts `base` (as is, or without one member) plus person `into` (or -1)."""
        covered, zero, duplicates, levels, public, private, org_out, level_out = base
        if into >= 0:
            p = self.p
            covered += (p.expertise[into] & zero).bit_count()
            org_in = p.org[into]
            if self.org_count[team].get(org_in, 0) - (org_in == org_out) >= 1:
                duplicates += 1
            level_in = p.level[into]
            if level_in >= 0 and self.level_count[team][level_in] - (level_in == level_out) == 0:
                levels += 1
            sector = p.sector[into]
            if sector == 0:
                public += 1
            elif sector == 1:
                private += 1
        return self.p.fast_score(team, covered, duplicates, levels, public > 0 and private > 0)

    def score_after(self, team: int, out: int, into: int) -> float:
        """The team's score with person `out` (or -1) replaced by person `into` (or -1)."""
        base = self.without(team)[out] if out >= 0 else self.as_is(team)
        return self.score_with(team, base, into)

    def score_after_units(self, team: int, out: Sequence[int], into: Sequence[int]) -> float:
        """Slow path for units of several people: change, score, change back."""
        came_from = [self.team_of[i] for i in into]
        for i in out:
            self.remove(i)
        for i in into:
            self.add(i, team)
        score = self.p.fast_score(team, self.covered[team], self.duplicates[team], self.levels[team],
                                  self.public[team] > 0 and self.private[team] > 0)
        for i, origin in zip(into, came_from, strict=True):
            self.remove(i)
            self.team_of[i] = origin
            if origin >= 0:
                self.members[origin].add(i)
        for i in out:
            self.add(i, team)
        return score

    def snapshot(self) -> list[int]:
        return list(self.team_of)


def _build_state(problem: _Problem, team_of: Sequence[int]) -> _State:
    state = _State(problem)
    for i, team in enumerate(team_of):
        state.add(i, team)
    state.rescore(range(problem.t))
    return state


# --- The search ------------------------------------------------------------------------------

class _Search:
    def __init__(self, problem: _Problem, seed: int):
        self.p = problem
        self.rng = random.Random(seed)
        self.weakest = problem.scale.weights.weakest
        self.movable = [u for u in range(len(problem.units)) if problem.unit_pin[u] is None]
        self.evaluations = 0

    # Greedy start ------------------------------------------------------------------------

    def greedy(self) -> _State:
        p = self.p
        state = _State(p)
        unit_team = [-1] * len(p.units)
        for u, team in enumerate(p.unit_pin):
            if team is not None:
                self._place(state, u, team)
                unit_team[u] = team
        for team in range(p.t):
            if state.size[team] > p.bounds[team][1]:
                raise FormationError(_("Aan %(team)s zijn meer deelnemers vastgezet dan er passen.",
                                       team=p.specs[team].name))
        tag_frequency: dict[int, int] = {}
        for mask in p.expertise:
            while mask:
                bit = mask & -mask
                mask ^= bit
                tag_frequency[bit] = tag_frequency.get(bit, 0) + 1

        def rarity(u):
            value = 0.0
            for i in p.units[u]:
                mask = p.expertise[i]
                while mask:
                    bit = mask & -mask
                    mask ^= bit
                    value += 1.0 / tag_frequency[bit]
            return value

        order = [u for u in self.movable]
        tiebreak = {u: self.rng.random() for u in order}
        order.sort(key=lambda u: (-len(p.units[u]), -len(p.unit_apart[u]), -rarity(u), tiebreak[u]))
        remaining = sum(len(p.units[u]) for u in order)
        for u in order:
            members = p.units[u]
            remaining -= len(members)
            deficit = sum(max(0, low - state.size[s]) for s, (low, _) in enumerate(p.bounds))
            best = None
            for team in range(p.t):
                if not self._fits(state, u, team, remaining, deficit):
                    continue
                if len(members) == 1:
                    after = state.score_after(team, -1, members[0])
                else:
                    after = state.score_after_units(team, (), members)
                gain = after - state.score[team]
                # Favour the team that is weakest now, so no team is left behind.
                key = (gain + self.weakest * (1.0 - state.score[team]) / max(1, p.t), -state.size[team], -team)
                if best is None or key > best[0]:
                    best = (key, team)
            if best is None:
                # The greedy painted itself into a corner (pairs that must be apart, groups that must
                # be together): search systematically for any assignment that keeps the rules.
                return self._backtrack()
            self._place(state, u, best[1])
            state.rescore((best[1],))
        state.rescore(range(p.t))
        return state

    def _backtrack(self, step_limit: int = 200_000) -> _State:
        """Depth-first search for a feasible start: most constrained units first, emptiest team first."""
        p = self.p
        state = _State(p)
        units = p.units
        pinned = [u for u in range(len(units)) if p.unit_pin[u] is not None]
        rest = sorted(self.movable, key=lambda u: (-len(p.unit_apart[u]), -len(units[u]), u))
        order = pinned + rest
        suffix = [0] * (len(order) + 1)
        for k in range(len(order) - 1, -1, -1):
            suffix[k] = suffix[k + 1] + len(units[order[k]])
        steps = 0

        def place(k: int) -> bool:
            nonlocal steps
            if k == len(order):
                return True
            steps += 1
            if steps > step_limit:
                return False
            u = order[k]
            deficit = sum(max(0, low - state.size[t]) for t, (low, _) in enumerate(p.bounds))
            pin = p.unit_pin[u]
            choices = [pin] if pin is not None else sorted(range(p.t), key=lambda t: (state.size[t], t))
            for team in choices:
                if self._fits(state, u, team, suffix[k + 1], deficit):
                    self._place(state, u, team)
                    if place(k + 1):
                        return True
                    for i in units[u]:
                        state.remove(i)
            return False

        if not place(0):
            raise FormationError(_("Er is geen indeling die aan alle regels voldoet. Controleer de vastgezette "
                                   "deelnemers, de paren die apart moeten en de teamgroottes."))
        state.rescore(range(p.t))
        return state

    def _place(self, state: _State, u: int, team: int) -> None:
        for i in self.p.units[u]:
            state.add(i, team)

    def _fits(self, state: _State, u: int, team: int, remaining_after: int, deficit: int) -> bool:
        p = self.p
        members = p.units[u]
        size = state.size[team]
        low, high = p.bounds[team]
        if size + len(members) > high:
            return False
        if any(state.team_of[j] == team for j in p.unit_apart[u]):
            return False
        # Leave enough people to bring every team up to its smallest size.
        return remaining_after >= deficit - min(len(members), max(0, low - size))

    # Local search ------------------------------------------------------------------------

    def improve(self, state: _State, dirty: set[int] | None = None) -> None:
        """Moves and swaps until none improves the objective; units in changed teams are looked at again."""
        p = self.p
        movable = self.movable
        queue = list(movable if dirty is None else [u for u in movable if u in dirty])
        self.rng.shuffle(queue)
        queued = set(queue)
        units = p.units
        by_team: list[list[int]] = [[] for _ in range(p.t)]
        for u in movable:
            by_team[state.team_of[units[u][0]]].append(u)
        team_order = list(range(p.t))
        while queue:
            u = queue.pop()
            queued.discard(u)
            a = state.team_of[units[u][0]]
            self.rng.shuffle(team_order)
            changed = None
            if len(units[u]) > 1 or p.unit_apart[u]:
                for b in team_order:
                    if b != a and (self._try(state, u, None, a, b)
                                   or any(self._try(state, u, v, a, b) for v in by_team[b])):
                        changed = b
                        break
            else:
                changed = self._improve_single(state, u, a, team_order, by_team)
            if changed is not None:
                for team in (a, changed):
                    by_team[team] = [w for w in movable if state.team_of[units[w][0]] == team]
                    for w in by_team[team]:
                        if w not in queued:
                            queued.add(w)
                            queue.append(w)

    def _improve_single(self, state: _State, u: int, a: int, team_order: Sequence[int],
                        by_team: Sequence[Sequence[int]]) -> int | None:
        """The hot loop for one person without pair rules: every move and swap, scored inline."""
        p = self.p
        units = p.units
        bounds = p.bounds
        expertise, org, level, sector = p.expertise, p.org, p.level, p.sector
        base, coverage_weight = p.base, p.coverage_weight
        duplicate_weight, level_weight, level_cap, sector_weight = (p.duplicate_weight, p.level_weight,
                                                                     p.level_cap, p.sector_weight)
        i = units[u][0]
        e_i, o_i, l_i, s_i = expertise[i], org[i], level[i], sector[i]
        pub_i, pri_i = s_i == 0, s_i == 1
        covered_a, zero_a, duplicates_a, levels_a, public_a, private_a, _, _ = state.without(a)[i]
        orgs_a, level_count_a = state.org_count[a], state.level_count[a]
        base_a, coverage_weight_a = base[a], coverage_weight[a]
        alone_a = state.score_with(a, state.without(a)[i], -1)
        can_leave = state.size[a] - 1 >= bounds[a][0]
        for b in team_order:
            if b == a:
                continue
            if can_leave and state.size[b] + 1 <= bounds[b][1]:
                if self._accept(state, a, b, alone_a, state.score_with(b, state.as_is(b), i)):
                    self._apply(state, (i,), (), a, b)
                    return b
            self.evaluations += len(by_team[b]) + 1
            without_b = state.without(b)
            orgs_b, level_count_b = state.org_count[b], state.level_count[b]
            base_b, coverage_weight_b = base[b], coverage_weight[b]
            for v in by_team[b]:
                members_v = units[v]
                if len(members_v) > 1 or p.unit_apart[v]:
                    if self._try(state, u, v, a, b):
                        return b
                    continue
                j = members_v[0]
                o_j, l_j, s_j = org[j], level[j], sector[j]
                # Team a without i, with j.
                levels = levels_a + (l_j >= 0 and level_count_a[l_j] - (l_j == l_i) == 0)
                new_a = (base_a + coverage_weight_a * (covered_a + (expertise[j] & zero_a).bit_count())
                         - duplicate_weight * (duplicates_a + (orgs_a.get(o_j, 0) - (o_j == o_i) >= 1))
                         + level_weight * (levels if levels < level_cap else level_cap))
                if public_a + (s_j == 0) and private_a + (s_j == 1):
                    new_a += sector_weight
                # Team b without j, with i.
                covered_b, zero_b, duplicates_b, levels_b, public_b, private_b, _, _ = without_b[j]
                levels = levels_b + (l_i >= 0 and level_count_b[l_i] - (l_i == l_j) == 0)
                new_b = (base_b + coverage_weight_b * (covered_b + (e_i & zero_b).bit_count())
                         - duplicate_weight * (duplicates_b + (orgs_b.get(o_i, 0) - (o_i == o_j) >= 1))
                         + level_weight * (levels if levels < level_cap else level_cap))
                if public_b + pub_i and private_b + pri_i:
                    new_b += sector_weight
                if self._accept(state, a, b, new_a, new_b):
                    self._apply(state, (i,), (j,), a, b)
                    return b
        return None

    def _accept(self, state: _State, a: int, b: int, new_a: float, new_b: float) -> bool:
        old_a, old_b = state.score[a], state.score[b]
        difference = new_a + new_b - old_a - old_b
        smallest = state.smallest
        old_min = smallest[0][0]
        new_min = new_a if new_a < new_b else new_b
        for score, team in smallest:
            if team != a and team != b:
                if score < new_min:
                    new_min = score
                break
        gain = difference / self.p.t + self.weakest * (new_min - old_min)
        if gain > EPSILON:
            return True
        if gain < -EPSILON:
            return False
        # Equal objective: accept when fewer teams share the lowest score (a step towards raising it),
        # or else when the teams become more equal. Both strictly improve, so the search never cycles.
        if self.weakest and abs(new_min - old_min) <= EPSILON:
            limit = old_min + EPSILON
            at_minimum = (state.at_minimum - (old_a <= limit) - (old_b <= limit) + (new_a <= limit)
                          + (new_b <= limit))
            if at_minimum != state.at_minimum:
                return at_minimum < state.at_minimum
        return new_a * new_a + new_b * new_b < old_a * old_a + old_b * old_b - EPSILON

    def _apply(self, state: _State, out_a: Sequence[int], out_b: Sequence[int], a: int, b: int) -> None:
        for i in out_a:
            state.remove(i)
        for j in out_b:
            state.remove(j)
        for i in out_a:
            state.add(i, b)
        for j in out_b:
            state.add(j, a)
        state.rescore((a, b))

    def _try(self, state: _State, u: int, v: int | None, a: int, b: int) -> bool:
        """Move unit u from team a to b (swapping with unit v when given) if that is allowed and better."""
        p = self.p
        self.evaluations += 1
        out_a = p.units[u]
        out_b = p.units[v] if v is not None else ()
        change = len(out_a) - len(out_b)
        if change:
            if state.size[a] - change < p.bounds[a][0] or state.size[b] + change > p.bounds[b][1]:
                return False
            if state.size[a] - change > p.bounds[a][1] or state.size[b] + change < p.bounds[b][0]:
                return False
        team_of = state.team_of
        for j in p.unit_apart[u]:
            if team_of[j] == b and (v is None or j not in out_b):
                return False
        if v is not None:
            for j in p.unit_apart[v]:
                if team_of[j] == a and j not in out_a:
                    return False
        if len(out_a) == 1 and len(out_b) <= 1:
            i = out_a[0]
            j = out_b[0] if out_b else -1
            new_a = state.score_after(a, i, j)
            new_b = state.score_after(b, j, i)
        else:
            new_a = state.score_after_units(a, out_a, out_b)
            new_b = state.score_after_units(b, out_b, out_a)
        if not self._accept(state, a, b, new_a, new_b):
            return False
        self._apply(state, out_a, out_b, a, b)
        return True

    # Kicks -------------------------------------------------------------------------------

    def kick(self, state: _State, strength: int, targeted: bool) -> set[int]:
        """A few allowed swaps, regardless of the score; returns the units in the teams they touched.
        A targeted kick brings one of the weakest teams a person with expertise it misses."""
        p = self.p
        touched: set[int] = set()
        singles = [u for u in self.movable if len(p.units[u]) == 1]
        if len(singles) < 2:
            return set()
        for _round in range(strength):
            for _attempt in range(20):
                if targeted:
                    weak = self.rng.choice(state.smallest)[1]
                    inside = [u for u in singles if state.team_of[p.units[u][0]] == weak]
                    missing = state.zero[weak]
                    helpers = [u for u in singles if state.team_of[p.units[u][0]] != weak
                               and p.expertise[p.units[u][0]] & missing]
                    if not inside or not helpers:
                        targeted = False
                        continue
                    u, v = self.rng.choice(inside), self.rng.choice(helpers)
                else:
                    u, v = self.rng.sample(singles, 2)
                i, j = p.units[u][0], p.units[v][0]
                a, b = state.team_of[i], state.team_of[j]
                if a == b or any(state.team_of[k] == b for k in p.apart[i]) \
                        or any(state.team_of[k] == a for k in p.apart[j]):
                    continue
                self._apply(state, (i,), (j,), a, b)
                touched.update((a, b))
                break
        return {u for u in self.movable if state.team_of[p.units[u][0]] in touched}

    def run(self, kicks: int, budget: int) -> _State:
        """Greedy start and local search, then kicks until `kicks` or the evaluation `budget` runs out
        (a count, not a clock: the same seed gives the same teams on any machine)."""
        state = self.greedy()
        self.improve(state)
        best = state.snapshot()
        best_value = state.objective()
        spent = self.evaluations
        for round_number in range(kicks):
            if self.evaluations - spent >= budget:
                break
            dirty = self.kick(state, strength=1 + round_number % 3, targeted=round_number % 2 == 0)
            if not dirty:
                break
            self.improve(state, dirty)
            value = state.objective()
            if value > best_value + EPSILON:
                best, best_value = state.snapshot(), value
            elif value < best_value - EPSILON:
                state = _build_state(self.p, best)
        return _build_state(self.p, best)


KICKS = 60
EVALUATION_BUDGET = 100_000


# --- Public API ------------------------------------------------------------------------------

def form_teams(candidates: Sequence[Candidate], teams: Sequence[TeamSpec], *, weights: Weights = Weights(),
               rules: Rules = Rules(), seed: int = 0, kicks: int = KICKS, budget: int = EVALUATION_BUDGET,
               level_label: Callable[[str], str] = str) -> Formation:
    """Suggest teams. Raises FormationError (Dutch message) when the hard rules cannot all hold."""
    problem = _Problem(candidates, teams, weights, rules)
    search = _Search(problem, seed)
    state = search.run(kicks, budget)
    assignment = {problem.candidates[i].id: problem.specs[team].id for i, team in enumerate(state.team_of)}
    return evaluate(candidates, teams, assignment, weights=weights, level_label=level_label)


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
    duplicates = sum(count - 1 for count in organisations.values())
    levels = {c.level for c in members if c.level}
    sectors = {c.sector for c in members if c.sector}
    parts = scale.parts(len(covers), len(needed), duplicates, len(levels), {"publiek", "privaat"} <= sectors)
    warnings = [TeamWarning("expertise", _("%(team)s heeft geen deelnemer met expertise ‘%(tag)s’.",
                                            team=spec.name, tag=tag)) for tag in misses]
    warnings += [TeamWarning("organisation", _("%(team)s heeft %(count)s deelnemers van %(organisation)s.",
                                               team=spec.name, count=count, organisation=name))
                 for name, count in sorted(organisations.items()) if count > 1]
    if scale.sectors_count and members and not {"publiek", "privaat"} <= sectors:
        warnings.append(TeamWarning("sector", _("%(team)s heeft geen private partner.", team=spec.name)
                                    if "privaat" not in sectors else
                                    _("%(team)s heeft geen publieke partner.", team=spec.name)))
    if members and scale.levels_count and len(levels) < min(len(pool_levels), len(members)):
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
    forced_duplicates = sum(max(0, count - t) for count in per_org.values())
    organisations_sum = t - forced_duplicates / scale.duplicates_norm
    # Levels.
    if scale.levels_count:
        per_level: dict[str, int] = {}
        for c in candidates:
            if c.level:
                per_level[c.level] = per_level.get(c.level, 0) + 1
        slots = sum(min(count, t) for count in per_level.values())
        levels_sum = min(t, slots / scale.levels_norm, sum(min(1.0, min(len(per_level), high) / scale.levels_norm)
                                                           for _, high in bounds))
        levels_short = slots < scale.levels_norm * t
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
        shortfalls.append(w.organisations / scale.duplicates_norm)
    if levels_short:
        shortfalls.append(w.levels / scale.levels_norm)
    if sectors_short:
        shortfalls.append(w.sectors)
    if shortfalls:
        weakest_bound = min(weakest_bound, 1.0 - min(shortfalls) / total_weight)
    return (mean_bound + w.weakest * weakest_bound) / (1.0 + w.weakest)


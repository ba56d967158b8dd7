"""Team formation, the search state: the instance coded as integers and an assignment with the
counts that make a team's score cheap to update (a move or swap is scored in a few operations).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence

from flask_babel import gettext as _
from flask_babel import ngettext

from fieldlab.teams.scoring import EPSILON, Candidate, FormationError, Rules, TeamSpec, Weights, make_scale, size_bounds


class Instance:
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
        self.pair_weight = w.organisations / total / scale.pairs_norm
        # Per team size (capped at the pool's levels, beyond which the normaliser stays the same).
        self.level_weight = [w.levels / total / scale.levels_norm(size) if scale.levels_count else 0.0
                             for size in range(scale.pool_levels + 1)]
        self.level_cap = scale.pool_levels
        self.sector_weight = w.sectors / total if scale.sectors_count else 0.0

    def fast_score(self, team: int, covered: int, pairs: int, levels: int, both: bool, size: int) -> float:
        return (self.base[team] + self.coverage_weight[team] * covered - self.pair_weight * pairs
                + self.level_weight[size if size < self.level_cap else self.level_cap] * levels
                + (self.sector_weight if both else 0.0))

    def _check_sizes(self) -> None:
        if not self.specs:
            raise FormationError(_("Maak eerst teams aan."))
        if sum(low for low, _ in self.bounds) > self.n or sum(high for _, high in self.bounds) < self.n:
            raise FormationError(ngettext("De doelgroottes tellen op tot %(total)s, maar er is %(num)s deelnemer.",
                                          "De doelgroottes tellen op tot %(total)s, maar er zijn %(num)s deelnemers.",
                                          self.n, total=sum(high for _low, high in self.bounds)))

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


class State:
    """An assignment with the counts that make a team's score cheap to update."""

    def __init__(self, problem: Instance):
        self.p = problem
        t = problem.t
        self.team_of = [-1] * problem.n
        self.members: list[set[int]] = [set() for _ in range(t)]
        self.size = [0] * t
        self.tag_count: list[dict[int, int]] = [{} for _ in range(t)]
        self.zero = list(problem.needed)            # needed tags nobody in the team has
        self.one = [0] * t                          # needed tags exactly one member has
        self.org_count: list[dict[int, int]] = [{} for _ in range(t)]
        self.pairs = [0] * t                        # same-organisation pairs
        self.level_count = [[0] * problem.level_kinds for _ in range(t)]
        self.levels = [0] * t
        self.public = [0] * t
        self.private = [0] * t
        self.covered = [0] * t
        self.removal: list[dict | None] = [None] * t
        self.score = [problem.fast_score(i, 0, 0, 0, False, 0) for i in range(t)]
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
        self.pairs[team] += count
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
        self.pairs[team] -= count
        if count:
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
            self.score[team] = p.fast_score(team, self.covered[team], self.pairs[team], self.levels[team],
                                            self.public[team] > 0 and self.private[team] > 0, self.size[team])
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
                self.pairs[team] - (orgs[p.org[i]] - 1),
                self.levels[team] - (level >= 0 and level_count[level] == 1),
                self.public[team] - (sector == 0), self.private[team] - (sector == 1), p.org[i], level,
                self.size[team] - 1,
            )
        self.removal[team] = cached
        return cached

    def as_is(self, team: int) -> tuple:
        return (self.covered[team], self.zero[team], self.pairs[team], self.levels[team], self.public[team],
                self.private[team], None, -2, self.size[team])

    def score_with(self, team: int, base: tuple, into: int) -> float:
        """The team's score from counts `base` (as is, or without one member) plus person `into` (or -1)."""
        covered, zero, pairs, levels, public, private, org_out, level_out, size = base
        if into >= 0:
            p = self.p
            size += 1
            covered += (p.expertise[into] & zero).bit_count()
            org_in = p.org[into]
            pairs += self.org_count[team].get(org_in, 0) - (org_in == org_out)
            level_in = p.level[into]
            if level_in >= 0 and self.level_count[team][level_in] - (level_in == level_out) == 0:
                levels += 1
            sector = p.sector[into]
            if sector == 0:
                public += 1
            elif sector == 1:
                private += 1
        return self.p.fast_score(team, covered, pairs, levels, public > 0 and private > 0, size)

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
        score = self.p.fast_score(team, self.covered[team], self.pairs[team], self.levels[team],
                                  self.public[team] > 0 and self.private[team] > 0, self.size[team])
        for i, origin in zip(into, came_from, strict=True):
            self.remove(i)
            self.team_of[i] = origin
            if origin >= 0:
                self.members[origin].add(i)
        for i in out:
            self.add(i, team)
        return score

    def score_of(self, team: int, members: Sequence[int]) -> float:
        """The score the team would have with exactly these members, counted from scratch."""
        p = self.p
        mask = 0
        orgs: dict[int, int] = {}
        pairs = 0
        levels = set()
        public = private = False
        for i in members:
            mask |= p.expertise[i]
            count = orgs.get(p.org[i], 0)
            pairs += count
            orgs[p.org[i]] = count + 1
            if p.level[i] >= 0:
                levels.add(p.level[i])
            public = public or p.sector[i] == 0
            private = private or p.sector[i] == 1
        return p.fast_score(team, (mask & p.needed[team]).bit_count(), pairs, len(levels), public and private,
                            len(members))

    def snapshot(self) -> list[int]:
        return list(self.team_of)


def build_state(problem: Instance, team_of: Sequence[int]) -> State:
    state = State(problem)
    for i, team in enumerate(team_of):
        state.add(i, team)
    state.rescore(range(problem.t))
    return state

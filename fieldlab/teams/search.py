"""Team formation, the search: a greedy construction (with a depth-first fallback when pair rules
corner it), local search with moves and swaps, and kicks that are kept only when they pay off;
small Labs also get group exchanges and exact splits of two teams, tiny ones every assignment.
Deterministic for a seed: the budget is a count of evaluations, not a clock.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import combinations

from flask_babel import gettext as _

from fieldlab.teams.scoring import EPSILON, FormationError
from fieldlab.teams.state import Instance, State, build_state


class Search:
    def __init__(self, problem: Instance, seed: int):
        self.p = problem
        self.rng = random.Random(seed)
        self.weakest = problem.scale.weights.weakest
        self.movable = [u for u in range(len(problem.units)) if problem.unit_pin[u] is None]
        self.evaluations = 0

    # Greedy start ------------------------------------------------------------------------

    def greedy(self) -> State:
        p = self.p
        state = State(p)
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

    def _backtrack(self, step_limit: int = 200_000) -> State:
        """Depth-first search for a feasible start: most constrained units first, emptiest team first."""
        p = self.p
        state = State(p)
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

    def _place(self, state: State, u: int, team: int) -> None:
        for i in self.p.units[u]:
            state.add(i, team)

    def _fits(self, state: State, u: int, team: int, remaining_after: int, deficit: int) -> bool:
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

    def improve(self, state: State, dirty: set[int] | None = None) -> None:
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

    def _improve_single(self, state: State, u: int, a: int, team_order: Sequence[int],
                        by_team: Sequence[Sequence[int]]) -> int | None:
        """The hot loop for one person without pair rules: every move and swap, scored inline."""
        p = self.p
        units = p.units
        bounds = p.bounds
        expertise, org, level, sector = p.expertise, p.org, p.level, p.sector
        base, coverage_weight = p.base, p.coverage_weight
        pair_weight, sector_weight = p.pair_weight, p.sector_weight
        level_weight, level_cap = p.level_weight, p.level_cap
        i = units[u][0]
        e_i, o_i, l_i, s_i = expertise[i], org[i], level[i], sector[i]
        pub_i, pri_i = s_i == 0, s_i == 1
        covered_a, zero_a, pairs_a, levels_a, public_a, private_a, _, _, _ = state.without(a)[i]
        size_a = state.size[a]
        level_weight_a = level_weight[size_a if size_a < level_cap else level_cap]
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
            size_b = state.size[b]
            level_weight_b = level_weight[size_b if size_b < level_cap else level_cap]
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
                         - pair_weight * (pairs_a + orgs_a.get(o_j, 0) - (o_j == o_i))
                         + level_weight_a * levels)
                if public_a + (s_j == 0) and private_a + (s_j == 1):
                    new_a += sector_weight
                # Team b without j, with i.
                covered_b, zero_b, pairs_b, levels_b, public_b, private_b, _, _, _ = without_b[j]
                levels = levels_b + (l_i >= 0 and level_count_b[l_i] - (l_i == l_j) == 0)
                new_b = (base_b + coverage_weight_b * (covered_b + (e_i & zero_b).bit_count())
                         - pair_weight * (pairs_b + orgs_b.get(o_i, 0) - (o_i == o_j))
                         + level_weight_b * levels)
                if public_b + pub_i and private_b + pri_i:
                    new_b += sector_weight
                if self._accept(state, a, b, new_a, new_b):
                    self._apply(state, (i,), (j,), a, b)
                    return b
        return None

    def exchange_groups(self, state: State) -> bool:
        """Every unit of k people (who must be together) against every k single people of another
        team. Without this move a pair in a team that is full cannot trade places with two people
        elsewhere: moving the pair alone breaks the sizes, and swapping it for one person does too.
        Tried after the local search has settled, in small Labs only (at 1,000 into 150 it costs more
        than the whole search). Returns whether anything changed."""
        p = self.p
        changed = False
        if p.n > REPARTITION_PEOPLE:
            return False
        for u in self.movable:
            k = len(p.units[u])
            if k < 2:
                continue
            for b in range(p.t):
                a = state.team_of[p.units[u][0]]
                if b == a:
                    continue
                singles = [v for v in self.movable if len(p.units[v]) == 1 and state.team_of[p.units[v][0]] == b]
                if any(self._try(state, u, group, a, b) for group in combinations(singles, k)):
                    changed = True
        return changed

    def _accept(self, state: State, a: int, b: int, new_a: float, new_b: float) -> bool:
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

    def _apply(self, state: State, out_a: Sequence[int], out_b: Sequence[int], a: int, b: int) -> None:
        for i in out_a:
            state.remove(i)
        for j in out_b:
            state.remove(j)
        for i in out_a:
            state.add(i, b)
        for j in out_b:
            state.add(j, a)
        state.rescore((a, b))

    def _try(self, state: State, u: int, v: int | tuple[int, ...] | None, a: int, b: int) -> bool:
        """Move unit u from team a to b (swapping with unit v, or with the units in tuple v, when given)
        if that is allowed and better."""
        p = self.p
        self.evaluations += 1
        out_a = p.units[u]
        group = () if v is None else v if isinstance(v, tuple) else (v,)
        out_b = [i for w in group for i in p.units[w]]
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
        for w in group:
            for j in p.unit_apart[w]:
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

    # Exact split of two teams (small Labs) -------------------------------------------------

    def repartition(self, state: State) -> bool:
        """For every pair of teams, the best split of their people over the two, tried exhaustively
        when the pair holds at most REPARTITION_UNITS units. Moves and swaps change one or two units
        at a time; where pairs that must be apart or together tie people up, the better teams can lie
        several such steps away, each one against a rule or a size (three people who may not join
        a fourth, who must all change sides at once). Returns whether anything changed."""
        p = self.p
        if p.t < 2 or p.n > REPARTITION_PEOPLE:
            return False
        changed = False
        for a, b in combinations(range(p.t), 2):
            if self._repartition_pair(state, a, b):
                changed = True
        return changed

    def _repartition_pair(self, state: State, a: int, b: int) -> bool:
        p = self.p
        units = p.units
        pool = [u for u in self.movable if state.team_of[units[u][0]] in (a, b)]
        if len(pool) > REPARTITION_UNITS or not pool:
            return False
        fixed_a = [i for i in state.members[a] if p.unit_pin[p.unit_of[i]] is not None]
        fixed_b = [i for i in state.members[b] if p.unit_pin[p.unit_of[i]] is not None]
        position = {u: k for k, u in enumerate(pool)}
        conflicts, blocked_a, blocked_b = [], [], []
        for u in pool:
            mask = 0
            for j in p.unit_apart[u]:
                w = p.unit_of[j]
                if w in position:
                    mask |= 1 << position[w]
            conflicts.append(mask)
            blocked_a.append(any(j in p.unit_apart[u] for j in fixed_a))
            blocked_b.append(any(j in p.unit_apart[u] for j in fixed_b))
        sizes = [len(units[u]) for u in pool]
        (low_a, high_a), (low_b, high_b) = p.bounds[a], p.bounds[b]
        total = len(fixed_a) + len(fixed_b) + sum(sizes)
        everyone = (1 << len(pool)) - 1
        size_of = [len(fixed_a)] * (everyone + 1)
        for chosen in range(1, everyone + 1):
            size_of[chosen] = size_of[chosen & (chosen - 1)] + sizes[(chosen & -chosen).bit_length() - 1]
        best = None
        for chosen in range(everyone + 1):
            size_a = size_of[chosen]
            if not low_a <= size_a <= high_a or not low_b <= total - size_a <= high_b:
                continue
            rest = everyone ^ chosen
            if any((conflicts[k] & (chosen if chosen >> k & 1 else rest)) or
                   (blocked_a[k] if chosen >> k & 1 else blocked_b[k]) for k in range(len(pool))):
                continue
            in_a = fixed_a + [i for k in range(len(pool)) if chosen >> k & 1 for i in units[pool[k]]]
            in_b = fixed_b + [i for k in range(len(pool)) if not chosen >> k & 1 for i in units[pool[k]]]
            self.evaluations += 1
            new_a, new_b = state.score_of(a, in_a), state.score_of(b, in_b)
            if self._accept(state, a, b, new_a, new_b):
                key = self._gain(state, a, b, new_a, new_b)
                if best is None or key > best[0]:
                    best = (key, in_a, in_b)
        if best is None:
            return False
        _, in_a, in_b = best
        for i in in_a + in_b:
            state.remove(i)
        for i in in_a:
            state.add(i, a)
        for i in in_b:
            state.add(i, b)
        state.rescore((a, b))
        return True

    def _gain(self, state: State, a: int, b: int, new_a: float, new_b: float) -> tuple[float, float]:
        """How much better (objective first, then more equal teams): ranks the accepted splits."""
        new_min = min(new_a, new_b, state.min_without(a, b))
        gain = (new_a + new_b - state.score[a] - state.score[b]) / self.p.t + self.weakest * new_min
        return (round(gain / EPSILON), -(new_a * new_a + new_b * new_b))

    # Every assignment (tiny Labs) ---------------------------------------------------------

    def exhaustive(self, state: State) -> bool:
        """Every way to place the units, in Labs so small that there are at most EXHAUSTIVE_LIMIT.
        Some optima lie beyond a plateau that no move, swap, group exchange or split of two teams
        crosses: in 7 people into 4 teams with two pairs that must be together, a pair trades places
        with two single people at no gain, and only after that can one of them swap with a person in
        a third team for the gain. Replaces `state` by the best assignment when that is strictly
        better; returns whether it did."""
        p = self.p
        if p.t ** len(self.movable) > EXHAUSTIVE_LIMIT:
            return False
        units = p.units
        trial = State(p)
        for u, team in enumerate(p.unit_pin):
            if team is not None:
                self._place(trial, u, team)
        order = sorted(self.movable, key=lambda u: (-len(units[u]), -len(p.unit_apart[u]), u))
        suffix = [0] * (len(order) + 1)
        for k in range(len(order) - 1, -1, -1):
            suffix[k] = suffix[k + 1] + len(units[order[k]])
        best_value = state.objective()
        best: list[int] | None = None

        def place(k: int) -> None:
            nonlocal best, best_value
            if k == len(order):
                if all(low <= size for size, (low, _) in zip(trial.size, p.bounds, strict=True)):
                    self.evaluations += 1
                    trial.rescore(range(p.t))
                    value = trial.objective()
                    if value > best_value + EPSILON:
                        best, best_value = trial.snapshot(), value
                return
            u = order[k]
            deficit = sum(max(0, low - trial.size[t]) for t, (low, _) in enumerate(p.bounds))
            for team in range(p.t):
                if self._fits(trial, u, team, suffix[k + 1], deficit):
                    self._place(trial, u, team)
                    place(k + 1)
                    for i in units[u]:
                        trial.remove(i)

        place(0)
        if best is None:
            return False
        for i in range(p.n):
            state.remove(i)
        for i, team in enumerate(best):
            state.add(i, team)
        state.rescore(range(p.t))
        return True

    # Kicks -------------------------------------------------------------------------------

    def kick(self, state: State, strength: int, targeted: bool) -> set[int]:
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

    def run(self, kicks: int, budget: int) -> State:
        """Greedy start and local search, then kicks until `kicks` or the evaluation `budget` runs out
        (a count, not a clock: the same seed gives the same teams on any machine)."""
        state = self.greedy()
        self.improve(state)
        self._polish(state)
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
                state = build_state(self.p, best)
        state = build_state(self.p, best)
        self._polish(state)
        return state

    def _polish(self, state: State) -> None:
        """Groups for single people, exact splits of two teams (small Labs) and the local search after
        them, until none of them changes a thing."""
        for _round in range(POLISH_ROUNDS):
            exchanged = self.exchange_groups(state)
            if not (self.repartition(state) or exchanged):
                break
            self.improve(state)


KICKS = 60
# Group-for-singles exchanges and the exact split of two teams are tried in Labs of up to this many people, for pairs of teams of up
# to this many units (2^12 splits at most, a few milliseconds); larger Labs have room to move.
REPARTITION_PEOPLE = 40
REPARTITION_UNITS = 12
POLISH_ROUNDS = 20
# Labs with at most this many ways to place their units (teams ** units: 7 people into 4 teams) are
# also searched exhaustively, a few hundredths of a second.
EXHAUSTIVE_LIMIT = 4 ** 7
EVALUATION_BUDGET = 100_000

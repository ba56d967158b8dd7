"""Team formation: who goes in which team. Pure Python, no database, no solver.

The facilitator asks "who is needed for this vraagstuk?"; this module answers with a suggestion
and explains it. Hard rules are never broken: everyone is in exactly one team, pinned people stay
where they are pinned, pairs that must be apart are apart and pairs that must be together are
together, and team sizes differ by at most one (or are exactly the facilitator's target sizes).

Each team scores between 0 and 1, a weighted mean of four parts the facilitator sees and can weigh:
- coverage: the share of the expertise its vraagstuk needs that some member brings;
- organisations: 1 minus the pairs of colleagues (team-mates from the same organisation) over the
  pairs in the largest team: the second colleague costs 1 pair, the third 2 more, so a dominant
  organisation is spread as evenly as the sizes allow;
- levels: distinct levels (uitvoering, beleid, management, expert) over the levels a team of its
  size can hold (all of the pool's, or one per member); below 1 exactly when it warns "mist het niveau";
- sectors: 1 when the team has both a public and a private partner (only when the Lab has both).
The overall score is `(mean + weakest_weight * weakest) / (1 + weakest_weight)`: the sum counts,
and so does the weakest team.

The search (search.py): a greedy start (hardest people first, each to the team that gains most),
then local search with moves and swaps (first improvement, "don't look" bits), then a deterministic
number of random kicks that are kept only when they lead to a better result; small Labs get a few
independent starts, and tiny ones (at most 4 ** 7 ways to place their people) are also searched
exhaustively. Deterministic for a seed. scoring.py holds the objective and `evaluate`, the
reference the incremental counts of state.py must always agree with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fieldlab.teams.scoring import (
    DEFAULT_WEIGHTS,
    EPSILON,
    NO_RULES,
    Breakdown,
    Candidate,
    Formation,
    FormationError,
    Rules,
    Scale,
    TeamResult,
    TeamSpec,
    TeamWarning,
    Weights,
    evaluate,
    make_scale,
    size_bounds,
    upper_bound,
    violations,
)
from fieldlab.teams.search import EVALUATION_BUDGET, KICKS, Search
from fieldlab.teams.state import Instance

__all__ = ["EPSILON", "EVALUATION_BUDGET", "KICKS", "Breakdown", "Candidate", "Formation", "FormationError", "Rules",
           "Scale", "TeamResult", "TeamSpec", "TeamWarning", "Weights", "evaluate", "form_teams", "make_scale",
           "size_bounds", "upper_bound", "violations"]


# Small instances get a few independent starts (each a fraction of a second): one start can settle
# in a local optimum just below the best, and the screen has time to spare below this size.
RESTART_SIZE = 20_000


def restarts_for(people: int, teams: int) -> int:
    """1 start at Hub sizes (300 into 50 and up), up to 4 for a Lab of a few dozen."""
    return max(1, min(4, RESTART_SIZE // max(1, people * teams)))


def form_teams(candidates: Sequence[Candidate], teams: Sequence[TeamSpec], *, weights: Weights = DEFAULT_WEIGHTS,
               rules: Rules = NO_RULES, seed: int = 0, kicks: int = KICKS, budget: int = EVALUATION_BUDGET,
               restarts: int | None = None, level_label: Callable[[str], str] = str) -> Formation:
    """Suggest teams. Raises FormationError (Dutch message) when the hard rules cannot all hold.
    The best of `restarts` starts (seeds derived from `seed`, so the same seed gives the same teams)."""
    problem = Instance(candidates, teams, weights, rules)
    best_state, best_value = None, None
    for start in range(restarts if restarts is not None else restarts_for(problem.n, problem.t)):
        state = Search(problem, seed * 7919 + start).run(kicks, budget)
        value = state.objective()
        if best_value is None or value > best_value + EPSILON:
            best_state, best_value = state, value
    state = best_state
    Search(problem, seed).exhaustive(state)
    assignment = {problem.candidates[i].id: problem.specs[team].id for i, team in enumerate(state.team_of)}
    return evaluate(candidates, teams, assignment, weights=weights, level_label=level_label)

"""Regressions of issue #17: a dominant organisation is spread evenly, and the levels score and the
levels warning say the same thing."""

import random
from collections import Counter

from fieldlab.teams.formation import Candidate, TeamSpec, evaluate, form_teams

LEVELS = ("execution", "policy", "management", "expert")


def test_dominant_organisation_is_spread_as_evenly_as_sizes_allow():
    """40 of 100 from the police into 14 teams of 7 or 8: every team gets 2 or 3 police officers."""
    tags = ("strafrecht", "handhaving", "financieel onderzoek", "vastgoed", "zorg", "toezicht")
    rng = random.Random(17)
    candidates = [Candidate(id=i, name=f"Deelnemer {i}", organisation="Politie" if i < 40 else f"Organisatie {i % 20}",
                            sector="privaat" if i % 9 == 0 else "publiek", level=LEVELS[i % 4],
                            expertise=frozenset(rng.sample(tags, 2))) for i in range(100)]
    teams = [TeamSpec(id=k + 1, name=f"Team {k + 1}", needed=tuple(rng.sample(tags, 3))) for k in range(14)]
    result = form_teams(candidates, teams, seed=5)
    police = Counter(result.assignment[c.id] for c in candidates if c.organisation == "Politie")
    per_team = [police.get(team.id, 0) for team in teams]
    assert max(per_team) - min(per_team) <= 1, per_team


def test_second_and_third_colleague_cost_more_than_the_first():
    """The regression of the issue: counting only "second members" made 3 + 1 colleagues score the
    same as 2 + 2, so nothing pushed the search to spread them."""
    people = [Candidate(id=i, name=f"P{i}", organisation="Politie" if i < 4 else f"Org {i}") for i in range(8)]
    teams = [TeamSpec(id=1, name="Team 1"), TeamSpec(id=2, name="Team 2")]
    uneven = evaluate(people, teams, {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 2, 7: 1})   # 3 + 1 police
    even = evaluate(people, teams, {0: 1, 1: 1, 2: 2, 3: 2, 4: 1, 5: 1, 6: 2, 7: 2})     # 2 + 2 police
    assert even.score > uneven.score
    assert sum(t.score.organisations for t in even.teams) > sum(t.score.organisations for t in uneven.teams)


def test_team_at_one_level_scores_below_full_and_names_the_missing_levels():
    """The issue: "Niveaus 100" next to "mist het niveau expert". A score of 100 never comes with
    that warning, and a team at one level while the pool has four never scores 100."""
    candidates = [Candidate(id=i, name=f"P{i}", level=LEVELS[0] if i < 3 else LEVELS[i % 4]) for i in range(5)]
    teams = [TeamSpec(id=1, name="Team 1"), TeamSpec(id=2, name="Team 2"), TeamSpec(id=3, name="Team 3")]
    # A hand-made assignment: three people at one level in Team 1 (bigger than the balanced size).
    result = evaluate(candidates, teams, {0: 1, 1: 1, 2: 1, 3: 2, 4: 3})
    team = result.teams[0]
    warnings = [w.message for w in team.warnings if w.code == "levels"]
    assert team.score.levels < 1.0
    assert warnings and "expert" in warnings[0]
    for other in result.teams[1:]:
        assert other.score.levels == 1.0
        assert not [w for w in other.warnings if w.code == "levels"]

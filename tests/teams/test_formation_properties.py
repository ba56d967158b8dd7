"""Properties of the team formation algorithm, on instances hypothesis makes up.

The hard rules are derived from a hidden assignment, so a solution always exists; that hidden
assignment is also the "random assignment" the suggestion must never be worse than.
"""

import itertools
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fieldlab.teams import formation
from fieldlab.teams.formation import Candidate, Rules, TeamSpec, Weights, evaluate, form_teams, upper_bound, violations
from fieldlab.teams.search import Search
from fieldlab.teams.state import Instance, build_state

TAGS = ("financieel onderzoek", "strafrecht", "vastgoed", "handhaving", "witwassen", "toezicht", "zorg")
ORGANISATIONS = (("Politie", "publiek"), ("OM", "publiek"), ("Gemeente Tilburg", "publiek"),
                 ("Belastingdienst", "publiek"), ("Rabobank", "privaat"), ("NS", "privaat"), (None, None))
LEVELS = ("execution", "policy", "management", "expert", None)


@st.composite
def instances(draw, with_rules=True, with_sizes=False, people=(2, 24), teams=(1, 6), together=(0, 2)):
    n = draw(st.integers(min_value=people[0], max_value=people[1]))
    t = draw(st.integers(min_value=teams[0], max_value=min(teams[1], n)))
    candidates = []
    for i in range(n):
        organisation, sector = draw(st.sampled_from(ORGANISATIONS))
        candidates.append(Candidate(
            id=100 + i, name=f"Deelnemer {i}", organisation=organisation, sector=sector,
            level=draw(st.sampled_from(LEVELS)),
            expertise=frozenset(draw(st.lists(st.sampled_from(TAGS), max_size=3))),
        ))
    seed = draw(st.integers(min_value=0, max_value=10_000))
    rng = random.Random(seed)
    # The hidden assignment: balanced, or with drawn target sizes.
    if with_sizes:
        cuts = sorted(rng.sample(range(1, n), t - 1)) if t > 1 else []
        sizes = [b - a for a, b in zip([0] + cuts, cuts + [n], strict=True)]
    else:
        sizes = [n // t + (1 if k < n % t else 0) for k in range(t)]
    order = list(range(n))
    rng.shuffle(order)
    hidden, position = {}, 0
    for k, size in enumerate(sizes):
        for i in order[position:position + size]:
            hidden[candidates[i].id] = k + 1
        position += size
    specs = [TeamSpec(id=k + 1, name=f"Team {k + 1}",
                      needed=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=4, unique=True))),
                      size=sizes[k] if with_sizes else None)
             for k in range(t)]
    rules = Rules()
    if with_rules:
        ids = [c.id for c in candidates]
        pairs = [(a, b) for a in ids for b in ids if a < b]
        rng.shuffle(pairs)
        apart = frozenset([p for p in pairs if hidden[p[0]] != hidden[p[1]]][:draw(st.integers(0, 3))])
        together = frozenset([p for p in pairs if hidden[p[0]] == hidden[p[1]]][:draw(st.integers(*together))])
        pinned = {cid: hidden[cid] for cid in rng.sample(ids, draw(st.integers(0, min(3, n))))}
        rules = Rules(pinned=pinned, apart=apart, together=together)
    weights = Weights(coverage=draw(st.sampled_from((0.0, 1.0, 4.0))), organisations=draw(st.sampled_from((0.0, 2.0))),
                      levels=draw(st.sampled_from((1.0, 2.0))), sectors=draw(st.sampled_from((0.0, 1.0))),
                      weakest=draw(st.sampled_from((0.0, 1.0, 3.0))))
    return candidates, specs, rules, weights, hidden


PROPERTY_SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(instances())
def test_suggestion_keeps_every_hard_rule(instance):
    candidates, teams, rules, weights, _ = instance
    result = form_teams(candidates, teams, weights=weights, rules=rules, seed=1, kicks=10)
    assert violations(candidates, teams, result.assignment, rules) == []
    assert sorted(result.assignment) == sorted(c.id for c in candidates)


@PROPERTY_SETTINGS
@given(instances(with_rules=False))
def test_team_sizes_differ_by_at_most_one(instance):
    candidates, teams, rules, weights, _ = instance
    result = form_teams(candidates, teams, weights=weights, seed=2, kicks=5)
    sizes = [len(team.member_ids) for team in result.teams]
    assert max(sizes) - min(sizes) <= 1


@PROPERTY_SETTINGS
@given(instances(with_sizes=True))
def test_target_sizes_are_met_exactly(instance):
    candidates, teams, rules, weights, _ = instance
    result = form_teams(candidates, teams, weights=weights, rules=rules, seed=3, kicks=5)
    assert [len(team.member_ids) for team in result.teams] == [team.size for team in teams]


@PROPERTY_SETTINGS
@given(instances())
def test_suggestion_is_never_worse_than_a_random_assignment_under_the_same_rules(instance):
    candidates, teams, rules, weights, hidden = instance
    result = form_teams(candidates, teams, weights=weights, rules=rules, seed=4, kicks=10)
    assert result.score >= evaluate(candidates, teams, hidden, weights=weights).score - 1e-9


@PROPERTY_SETTINGS
@given(instances(), st.integers(min_value=0, max_value=1000))
def test_same_seed_gives_the_same_teams(instance, seed):
    candidates, teams, rules, weights, _ = instance
    first = form_teams(candidates, teams, weights=weights, rules=rules, seed=seed, kicks=8)
    second = form_teams(candidates, teams, weights=weights, rules=rules, seed=seed, kicks=8)
    assert first.assignment == second.assignment


@PROPERTY_SETTINGS
@given(instances())
def test_score_never_exceeds_the_cheap_upper_bound(instance):
    candidates, teams, rules, weights, hidden = instance
    result = form_teams(candidates, teams, weights=weights, rules=rules, seed=5, kicks=10)
    assert result.score <= upper_bound(candidates, teams, weights=weights) + 1e-9


@PROPERTY_SETTINGS
@given(instances())
def test_fast_team_scores_match_the_plain_evaluation(instance):
    """The search updates scores incrementally; they must equal scoring the teams from scratch."""
    candidates, teams, rules, weights, hidden = instance
    problem = Instance(candidates, teams, weights, rules)
    index = {spec.id: k for k, spec in enumerate(teams)}
    state = build_state(problem, [index[hidden[c.id]] for c in candidates])
    search = Search(problem, seed=0)
    search.improve(state)
    assignment = {c.id: teams[state.team_of[i]].id for i, c in enumerate(candidates)}
    plain = evaluate(candidates, teams, assignment, weights=weights)
    assert state.objective() == pytest.approx(plain.score, abs=1e-9)
    assert [round(s, 9) for s in state.score] == [round(t.score.total, 9) for t in plain.teams]


def test_explanation_names_missing_expertise_in_dutch():
    candidates = [Candidate(id=1, name="Anna", organisation="Politie", sector="publiek", level="execution",
                            expertise=frozenset({"strafrecht"})),
                  Candidate(id=2, name="Bert", organisation="Politie", sector="publiek", level="policy")]
    teams = [TeamSpec(id=3, name="Team 3", needed=("strafrecht", "financieel onderzoek"))]
    result = form_teams(candidates, teams)
    team = result.teams[0]
    assert team.covers == ("strafrecht",)
    assert team.misses == ("financieel onderzoek",)
    messages = [warning.message for warning in team.warnings]
    assert "Team 3 heeft geen deelnemer met expertise ‘financieel onderzoek’." in messages
    assert "Team 3 heeft 2 deelnemers van Politie." in messages


def test_impossible_rules_are_refused_with_a_dutch_message():
    candidates = [Candidate(id=i, name=f"P{i}") for i in range(4)]
    teams = [TeamSpec(id=1, name="Team 1"), TeamSpec(id=2, name="Team 2")]
    with pytest.raises(formation.FormationError, match="samen als apart"):
        form_teams(candidates, teams, rules=Rules(apart=frozenset({(0, 1)}), together=frozenset({(0, 1)})))
    with pytest.raises(formation.FormationError, match="doelgroottes"):
        form_teams(candidates, [TeamSpec(id=1, name="Team 1", size=3), TeamSpec(id=2, name="Team 2", size=3)])


def person(number, organisation, sector, level, *expertise):
    return Candidate(id=100 + number, name=f"Deelnemer {number}", organisation=organisation, sector=sector,
                     level=level, expertise=frozenset(expertise))


def best_by_enumeration(candidates, teams, rules, weights):
    """The optimum of a tiny instance, by trying every assignment that keeps the rules."""
    ids = [c.id for c in candidates]
    best = None
    for combo in itertools.product([team.id for team in teams], repeat=len(ids)):
        sizes = [combo.count(team.id) for team in teams]
        if max(sizes) - min(sizes) > 1:
            continue
        assignment = dict(zip(ids, combo, strict=True))
        if violations(candidates, teams, assignment, rules):
            continue
        score = evaluate(candidates, teams, assignment, weights=weights).score
        best = score if best is None else max(best, score)
    return best


def test_a_pair_that_must_be_together_trades_places_with_two_single_people():
    """Regression (issue 18): 7 people into 4 teams (sizes 2, 2, 2, 1) with two pairs that must be
    together. The optimum needs a pair to change places with two single people; moves of one unit
    and one-for-one swaps cannot do that without breaking the sizes, so the search stopped at 0.84."""
    candidates = [person(0, None, None, "execution"), person(1, None, None, "policy", "financieel onderzoek"),
                  person(2, "OM", "publiek", "execution", "financieel onderzoek", "handhaving"),
                  person(3, "OM", "publiek", "management", "vastgoed", "handhaving"),
                  person(4, None, None, "management", "financieel onderzoek"),
                  person(5, "Rabobank", "privaat", "management", "strafrecht", "financieel onderzoek"),
                  person(6, "Politie", "publiek", "execution", "vastgoed")]
    teams = [TeamSpec(id=1, name="Team 1"), TeamSpec(id=2, name="Team 2", needed=("vastgoed", "financieel onderzoek")),
             TeamSpec(id=3, name="Team 3", needed=("handhaving",)), TeamSpec(id=4, name="Team 4")]
    rules = Rules(together=frozenset({(102, 105), (100, 104)}))
    weights = Weights(coverage=1.0, organisations=0.0, levels=1.0, sectors=0.0, weakest=1.0)
    optimum = best_by_enumeration(candidates, teams, rules, weights)
    assert optimum == pytest.approx(1.0)
    for seed in range(5):
        result = form_teams(candidates, teams, weights=weights, rules=rules, seed=seed, kicks=10)
        assert violations(candidates, teams, result.assignment, rules) == []
        assert result.score == pytest.approx(optimum)


# Issue 18, found with 500 fresh examples each: the smallest (Hypothesis shrank to it twice) and one
# of a random run. In both a pair must trade places with the two single people of a second team at
# no gain before one of those can swap with the person alone in a third team for the gain.
POLICE = ("Politie", "publiek", "execution")
SHRUNK = ([person(0, *POLICE), person(1, *POLICE, "strafrecht"), person(2, *POLICE),
           person(3, *POLICE, "financieel onderzoek"), person(4, *POLICE), person(5, *POLICE, "financieel onderzoek"),
           person(6, *POLICE)],
          [TeamSpec(id=1, name="Team 1"), TeamSpec(id=2, name="Team 2"), TeamSpec(id=3, name="Team 3"),
           TeamSpec(id=4, name="Team 4", needed=("financieel onderzoek", "strafrecht"))],
          Rules(together=frozenset({(100, 102), (103, 106)})),
          Weights(coverage=1.0, organisations=0.0, levels=1.0, sectors=0.0, weakest=0.0),
          {100: 1, 102: 1, 103: 2, 106: 2, 105: 3, 104: 3, 101: 4})
RANDOM_RUN = ([person(0, "Belastingdienst", "publiek", "management", "handhaving", "vastgoed"),
               person(1, "Rabobank", "privaat", "expert", "handhaving", "witwassen"),
               person(2, "Belastingdienst", "publiek", "management", "handhaving"),
               person(3, "NS", "privaat", "management", "financieel onderzoek", "strafrecht", "witwassen"),
               person(4, "NS", "privaat", "execution", "zorg"), person(5, "Politie", "publiek", "management", "toezicht"),
               person(6, "NS", "privaat", "expert")],
              [TeamSpec(id=1, name="Team 1", needed=("toezicht", "handhaving")), TeamSpec(id=2, name="Team 2"),
               TeamSpec(id=3, name="Team 3", needed=("handhaving", "strafrecht", "vastgoed", "witwassen")),
               TeamSpec(id=4, name="Team 4")],
              Rules(together=frozenset({(101, 103), (102, 106)})),
              Weights(coverage=4.0, organisations=0.0, levels=1.0, sectors=0.0, weakest=1.0),
              {100: 1, 105: 1, 102: 2, 106: 2, 101: 3, 103: 3, 104: 4})


@PROPERTY_SETTINGS
@given(instances(people=(7, 7), teams=(4, 4), together=(2, 2)))
@example(SHRUNK)
@example(RANDOM_RUN)
def test_seven_people_into_four_teams_with_two_pairs_get_the_optimum(instance):
    """Issue 18: the size of the regression above, where the best teams can lie beyond moves and
    exchanges that gain nothing on their own. Such small Labs are also searched exhaustively."""
    candidates, teams, rules, weights, _ = instance
    result = form_teams(candidates, teams, weights=weights, rules=rules, seed=6, kicks=10)
    assert violations(candidates, teams, result.assignment, rules) == []
    assert result.score == pytest.approx(best_by_enumeration(candidates, teams, rules, weights), abs=1e-9)

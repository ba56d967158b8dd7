"""Benchmark: the app's team formation against an exact model of the same objective.

Generates realistic instances (30 into 6, 100 into 15, 300 into 50 and 1,000 into 150 teams; the
partner organisations of fieldlab/data/organisations.csv, the four levels, expertise tags that follow
the organisation),
runs `fieldlab.teams.formation.form_teams`, then a CP-SAT model of the same objective and hard rules
(60 s limit, 2 workers), on three fixed seeds per size. One line per instance with the word `ratio`.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/team_formation.py            # all sizes, 60 s per exact model
    .venv/bin/python bench/team_formation.py --sizes 30/6 --time-limit 10
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fieldlab.teams.formation import (  # noqa: E402
    Candidate,
    Rules,
    TeamSpec,
    Weights,
    evaluate,
    form_teams,
    make_scale,
    size_bounds,
    upper_bound,
    violations,
)

SEEDS = (11, 22, 33)
SIZES = ((30, 6), (100, 15), (300, 50), (1000, 150))
# Issue 16: the screen stays interactive at the sizes the Hub may reach (CPU seconds of one suggestion).
CPU_TARGETS = {(300, 50): 1.0, (1000, 150): 5.0}
LEVELS = (("execution", 0.40), ("policy", 0.25), ("management", 0.15), ("expert", 0.20))

# Expertise that people of a kind of organisation tend to bring (first ones more often).
EXPERTISE_BY_KIND = {
    "gemeente": ["handhaving", "vergunningen", "bestuursrecht", "openbare orde", "zorg en veiligheid", "wijkaanpak"],
    "provincie": ["bestuursrecht", "vergunningen", "toezicht"],
    "justitie": ["strafrecht", "opsporing", "afpakken"],
    "politie": ["opsporing", "openbare orde", "informatieanalyse", "mensenhandel", "wijkaanpak"],
    "rijksdienst": ["fiscaal", "financieel onderzoek", "toezicht", "informatieanalyse", "arbeidsuitbuiting"],
    "opsporing": ["financieel onderzoek", "witwassen", "opsporing", "fiscaal"],
    "inspectie": ["toezicht", "arbeidsuitbuiting", "mensenhandel", "handhaving"],
    "netwerk": ["informatiedeling", "informatieanalyse", "bestuurlijke aanpak", "mensenhandel"],
    "ministerie": ["beleid en wetgeving", "bestuurlijke aanpak"],
    "toezicht": ["witwassen", "toezicht", "financieel onderzoek"],
    "kennisinstituut": ["onderzoek", "preventie", "informatieanalyse"],
    "onderwijs": ["onderzoek", "opsporing"],
    "beroepsorganisatie": ["vastgoed", "juridisch advies", "witwassen"],
    "brancheorganisatie": ["vastgoed", "ondernemerschap", "preventie"],
    "bedrijf": ["witwassen", "financieel onderzoek", "ondernemerschap", "preventie", "data-analyse"],
}
PROBLEM_NEEDS = [
    ["mensenhandel", "arbeidsuitbuiting", "financieel onderzoek", "wijkaanpak"],
    ["vastgoed", "witwassen", "bestuursrecht", "financieel onderzoek"],
    ["vergunningen", "toezicht", "handhaving"],
    ["witwassen", "fiscaal", "informatiedeling", "data-analyse"],
    ["openbare orde", "bestuurlijke aanpak", "zorg en veiligheid"],
    ["afpakken", "strafrecht", "financieel onderzoek", "informatieanalyse", "ondernemerschap"],
    ["preventie", "ondernemerschap", "wijkaanpak", "beleid en wetgeving"],
    ["mensenhandel", "zorg en veiligheid", "informatiedeling", "juridisch advies"],
]
CONCRETE = {
    "Gemeente (elke gemeente)": ["Gemeente Tilburg", "Gemeente Breda", "Gemeente Rotterdam", "Gemeente Eindhoven",
                                 "Gemeente Utrecht", "Gemeente Amsterdam", "Gemeente Den Haag", "Gemeente Venlo"],
    "Provincie (elke provincie)": ["Provincie Noord-Brabant", "Provincie Limburg"],
    "Bank (elke bank)": ["ABN AMRO", "ING", "Rabobank"],
    "Ondernemer": ["Transportbedrijf De Vries", "Bouwbedrijf Jansen", "Horeca Zuid"],
    "Universiteit of hogeschool (wetenschap)": ["Tilburg University", "Erasmus Universiteit"],
}
# Large partners send more people.
PRESENCE = {"politie": 5.0, "gemeente": 2.0, "justitie": 3.0, "rijksdienst": 1.5, "bedrijf": 1.2}


def load_organisations() -> list[tuple[str, str, str]]:
    rows = []
    with open(ROOT / "fieldlab" / "data" / "organisations.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for name in CONCRETE.get(row["name"], [row["name"]]):
                rows.append((name, row["kind"], row["sector"]))
    return rows


def generate_instance(n: int, t: int, seed: int) -> tuple[list[Candidate], list[TeamSpec], Rules]:
    rng = random.Random(seed * 1000 + n)
    organisations = load_organisations()
    weights = [PRESENCE.get(kind, 1.0) for _, kind, _ in organisations]
    candidates = []
    for i in range(n):
        name, kind, sector = rng.choices(organisations, weights)[0]
        level = rng.choices([level for level, _ in LEVELS], [share for _, share in LEVELS])[0]
        pool = EXPERTISE_BY_KIND[kind]
        count = rng.choices((1, 2, 3), (0.35, 0.45, 0.20))[0]
        tags = set()
        while len(tags) < min(count, len(pool)):
            tags.add(rng.choices(pool, [1.0 / (k + 1) for k in range(len(pool))])[0])
        candidates.append(Candidate(id=i + 1, name=f"Deelnemer {i + 1}", organisation=name, sector=sector,
                                    level=level, expertise=frozenset(tags)))
    teams = [TeamSpec(id=k + 1, name=f"Team {k + 1}", needed=tuple(rng.choice(PROBLEM_NEEDS)))
             for k in range(t)]
    # A few hard rules, as a facilitator would add them: colleagues kept apart, a duo kept together.
    apart = set()
    while len(apart) < max(1, n // 30):
        a, b = rng.sample(range(1, n + 1), 2)
        apart.add((min(a, b), max(a, b)))
    together = set()
    while len(together) < max(1, n // 100):
        a, b = rng.sample(range(1, n + 1), 2)
        if (min(a, b), max(a, b)) not in apart:
            together.add((min(a, b), max(a, b)))
    return candidates, teams, Rules(apart=frozenset(apart), together=frozenset(together))


def exact(candidates, teams, rules, weights: Weights, time_limit: float, workers: int = 2):
    """CP-SAT model of exactly the objective in formation.Scale, scaled to integers."""
    from ortools.sat.python import cp_model

    scale = make_scale(candidates, teams, weights)
    bounds = size_bounds(len(candidates), teams)
    int_weights = [round(10 * value) for value in (weights.coverage, weights.organisations, weights.levels,
                                                   weights.sectors, weights.weakest)]
    wc, wo, wl, ws, wf = int_weights
    needs = [list(dict.fromkeys(spec.needed)) for spec in teams]
    # The levels normaliser depends on a team's size; the model needs it fixed per team, which holds
    # when every team may hold all of the pool's levels (true for the generated instances).
    level_norms = [scale.levels_norm(low) for low, _ in bounds]
    assert level_norms == [scale.levels_norm(high) for _, high in bounds], "levels normaliser varies with size"
    unit = math.lcm(*(len(need) for need in needs if need), scale.pairs_norm, *level_norms)
    model = cp_model.CpModel()
    people = range(len(candidates))
    x = {(i, k): model.new_bool_var(f"x{i}_{k}") for i in people for k in range(len(teams))}
    index = {c.id: i for i, c in enumerate(candidates)}
    for i in people:
        model.add_exactly_one(x[i, k] for k in range(len(teams)))
    team_scores = []
    for k in range(len(teams)):
        low, high = bounds[k]
        model.add_linear_constraint(sum(x[i, k] for i in people), low, high)
        for a, b in rules.apart:
            model.add(x[index[a], k] + x[index[b], k] <= 1)
        for a, b in rules.together:
            model.add(x[index[a], k] == x[index[b], k])
        terms = []
        constant = 0
        if needs[k]:
            for tag in needs[k]:
                holders = [x[i, k] for i, c in enumerate(candidates) if tag in c.expertise]
                if holders:
                    covered = model.new_bool_var("")
                    model.add(covered <= sum(holders))
                    terms.append(wc * (unit // len(needs[k])) * covered)
        else:
            constant += wc * unit
        constant += wo * unit
        per_org = {}
        for i, c in enumerate(candidates):
            if c.organisation:
                per_org.setdefault(c.organisation, []).append(i)
        for members in per_org.values():
            if len(members) < 2:
                continue
            # pairs of colleagues = count × (count - 1) / 2; each costs unit / pairs_norm
            count = model.new_int_var(0, min(len(members), high), "")
            model.add(count == sum(x[i, k] for i in members))
            square = model.new_int_var(0, min(len(members), high) ** 2, "")
            model.add_multiplication_equality(square, [count, count])
            pairs = model.new_int_var(0, min(len(members), high) ** 2, "")
            model.add(2 * pairs == square - count)
            terms.append(-wo * (unit // scale.pairs_norm) * pairs)
        if scale.levels_count:
            level_present = []
            for level in sorted({c.level for c in candidates if c.level}):
                present = model.new_bool_var("")
                model.add(present <= sum(x[i, k] for i, c in enumerate(candidates) if c.level == level))
                level_present.append(present)
            terms.append(wl * (unit // level_norms[k]) * sum(level_present))
        else:
            constant += wl * unit
        if scale.sectors_count:
            both = model.new_bool_var("")
            model.add(both <= sum(x[i, k] for i, c in enumerate(candidates) if c.sector == "publiek"))
            model.add(both <= sum(x[i, k] for i, c in enumerate(candidates) if c.sector == "privaat"))
            terms.append(ws * unit * both)
        else:
            constant += ws * unit
        score = model.new_int_var(-10 ** 9, 10 ** 9, f"score{k}")
        model.add(score == sum(terms) + constant)
        model.add(score <= (wc + wo + wl + ws) * unit)  # no team scores above 1: tightens the bound
        team_scores.append(score)
    weakest = model.new_int_var(-10 ** 9, 10 ** 9, "weakest")
    for score in team_scores:
        model.add(weakest <= score)
    t = len(teams)
    model.maximize(10 * sum(team_scores) + wf * t * weakest)
    denominator = 10 * t * (10 + wf) / 10 * (wc + wo + wl + ws) * unit
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    started = time.perf_counter()
    status = solver.solve(model)
    elapsed = time.perf_counter() - started
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.best_objective_bound / denominator, elapsed, "geen oplossing"
    assignment = {candidates[i].id: teams[k].id for (i, k), var in x.items() if solver.value(var)}
    best = evaluate(candidates, teams, assignment, weights=weights)
    # Same objective, checked: our scoring of its answer equals the model's value when it is proven
    # optimal; before that the model may not yet have switched on every "covered"/"present" variable,
    # so its value can only be lower (and we report our scoring of its answer, the fairer figure).
    model_value = solver.objective_value / denominator
    if status == cp_model.OPTIMAL:
        assert abs(best.score - model_value) < 1e-6, (best.score, model_value)
    else:
        assert best.score >= model_value - 1e-6, (best.score, model_value)
    assert not violations(candidates, teams, assignment, rules)
    return best, solver.best_objective_bound / denominator, elapsed, solver.status_name(status).lower()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(f"{n}/{t}" for n, t in SIZES))
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per exact model")
    parser.add_argument("--no-exact", action="store_true", help="only our algorithm and the cheap bound")
    args = parser.parse_args(argv)
    weights = Weights()
    worst_ratio = math.inf
    slowest: dict[tuple[int, int], float] = {}
    for size in args.sizes.split(","):
        n, t = (int(part) for part in size.split("/"))
        for seed in SEEDS:
            candidates, teams, rules = generate_instance(n, t, seed)
            started, cpu_started = time.perf_counter(), time.process_time()
            ours = form_teams(candidates, teams, weights=weights, rules=rules, seed=seed)
            our_time, our_cpu = time.perf_counter() - started, time.process_time() - cpu_started
            assert not violations(candidates, teams, ours.assignment, rules)
            slowest[n, t] = max(slowest.get((n, t), 0.0), our_cpu)
            cheap = upper_bound(candidates, teams, weights=weights)
            # CPU time as well: on a shared machine the wall clock also counts waiting for a core.
            line = (f"{n:>3}/{t:<2} seed {seed}: ours {ours.score:.4f} in {our_time:.2f} s (cpu {our_cpu:.2f} s)"
                    f" | cheap bound {cheap:.4f} (ours/cheap {ours.score / cheap:.4f})"
                    f" | weakest {ours.weakest:.3f} vs mean {ours.mean:.3f} ({ours.weakest / ours.mean:.2f})")
            if not args.no_exact:
                best, bound, exact_time, status = exact(candidates, teams, rules, weights, args.time_limit)
                best_score = best.score if best else float("nan")
                ratio = ours.score / best_score if best else math.inf
                worst_ratio = min(worst_ratio, ratio)
                line += (f" | exact best {best_score:.4f}, bound {bound:.4f} ({status}, {exact_time:.1f} s)"
                         f" | ratio {ratio:.4f}")
            else:
                line += f" | ratio to cheap bound {ours.score / cheap:.4f}"
                worst_ratio = min(worst_ratio, ours.score / cheap)
            print(line, flush=True)
    for (n, t), cpu in slowest.items():
        target = CPU_TARGETS.get((n, t))
        verdict = "" if target is None else f" (target {target:.0f} s: {'met' if cpu <= target else 'MISSED'})"
        print(f"{n}/{t}: slowest suggestion {cpu:.2f} s cpu{verdict}")
    print(f"worst ratio {worst_ratio:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

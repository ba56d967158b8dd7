"""Is the "three most similar interventions" suggestion useful? Measured on the demo data.

For every entry of the demo's intervention library, leave it out and ask for suggestions with
what a commissioner would write for a new vraagstuk on the same phenomenon: the entry's own theme
and expertise tags plus a title reworded by hand (QUERIES below, never the entry's own title).
Counts how often an entry on the same theme is the first suggestion and is among the three, how
often an unrelated query (FOILS) gets no suggestion at all, and the time per suggestion.

    python bench/similar_interventions.py
"""

import tempfile
import time
from pathlib import Path

from fieldlab import create_app
from fieldlab.cli import prepare_database
from fieldlab.extensions import db
from fieldlab.outcomes import library
from fieldlab.outcomes.models import TeamResult

# A new vraagstuk as a commissioner might write it, per demo entry (by its title).
QUERIES = {
    "Witwassen via vastgoed in de binnenstad": ("Contante aankopen van panden door stromannen", "vastgoed",
                                                ["witwassen"]),
    "Ondermijning op recreatieparken": ("Criminelen kopen chalets op vakantieparken", "vastgoed", ["handhaving"]),
    "Uitbuiting van arbeidsmigranten in de bouw": ("Arbeidsmigranten uitgebuit door onderaannemers",
                                                   "mensenhandel", ["arbeidsuitbuiting"]),
}
FOILS = [("Fietsendiefstal bij stations", "", []), ("Cybercrime tegen het mkb", "cyber", ["ict"])]


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(directory) / 'bench.sqlite'}",
                          "SECRET_KEY": "bench"})
        with app.app_context():
            prepare_database(demo=True)
            entries = {result.team.problem.title: result for result in db.session.scalars(
                library._entries()).unique()}
            first = among_three = 0
            started = time.perf_counter()
            for title, (query, theme, tags) in QUERIES.items():
                own = entries[title]
                suggestions = library.similar(title=query, theme=theme, tags=tags, exclude_team_id=None)
                ranked = [suggestion.result for suggestion in suggestions]
                same_theme = [result for result in ranked if library.theme_of(result) == library.theme_of(own)]
                first += bool(ranked) and library.theme_of(ranked[0]) == library.theme_of(own)
                among_three += own in ranked
                print(f"{query!r:55} → {[result.team.problem.title for result in ranked]}"
                      f"  (same theme: {len(same_theme)})")
            empty = sum(not library.similar(title=query, theme=theme, tags=tags) for query, theme, tags in FOILS)
            elapsed = (time.perf_counter() - started) / (len(QUERIES) + len(FOILS))
            print(f"\nentries in the library: {db.session.query(TeamResult).count()}")
            print(f"same theme first: {first}/{len(QUERIES)}; the intended entry among three: "
                  f"{among_three}/{len(QUERIES)}; unrelated queries without suggestions: {empty}/{len(FOILS)}")
            print(f"time per suggestion: {elapsed * 1000:.1f} ms")


if __name__ == "__main__":
    main()

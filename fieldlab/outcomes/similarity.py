"""Which earlier interventions resemble a new vraagstuk: TF-IDF over a few words, cosine similarity.

Why this and not more: the library holds tens to a few hundred entries, written in Dutch by civil
servants who reuse the same words for the same phenomena ("witwassen", "vastgoed",
"onderaannemers"). Weighted words from the title, the theme and the expertise tags, with accents,
case and the most common plural endings taken off, find those reliably, need no model and explain
themselves (the shared words are shown with each suggestion). Pure functions, so tests and the
benchmark (bench/similar_interventions.py) call them directly.
"""

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

STOPWORDS = frozenset("""
aan al alle als bij binnen dan dat de deze die dit door een en er geen het hoe in is je kan maar meer met
na naar niet nog of om onder ook op over per te tegen tot uit van veel voor wat wie wij wordt worden zijn zo
zij ze via zonder tussen rond rondom waar waarbij welke wanneer andere ander elk elke hun haar
the and for with from
""".split())

# How much a word counts, by where it was written: the theme names the phenomenon, tags the
# expertise; the title says most in the fewest words; longer texts only add context.
WEIGHTS = {"theme": 3.0, "title": 2.0, "tags": 2.0, "text": 0.5}
MINIMUM_SCORE = 0.05


def normalise(word: str) -> str:
    """Lower case, no accents, and the plural endings -en and -s off ("woningen" → "woning")."""
    word = unicodedata.normalize("NFKD", word.lower()).encode("ascii", "ignore").decode()
    if len(word) > 5 and word.endswith("en"):
        return word[:-2]
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    return [stem for stem, _ in written_words(text)]


def written_words(text: str) -> list[tuple[str, str]]:
    """(normalised word, the word as written, in lower case) for each word that counts: the
    normalised one is compared, the written one shown ("witwass" is no word to show a reader)."""
    pairs = []
    for written in re.findall(r"\w+", text.lower()):
        plain = unicodedata.normalize("NFKD", written).encode("ascii", "ignore").decode()
        for part in re.findall(r"[a-z0-9]+", plain):
            if len(part) > 2 and part not in STOPWORDS:
                pairs.append((normalise(part), written if part == plain else part))
    return pairs


def shown_as(*texts: str) -> dict[str, str]:
    """For the words of `texts` (what someone is writing), how they wrote each normalised word the
    first time: the shared words of a suggestion are shown in the reader's own spelling."""
    forms: dict[str, str] = {}
    for text in texts:
        for stem, written in written_words(text):
            forms.setdefault(stem, written)
    return forms


def bag(*, title: str = "", theme: str = "", tags=(), text: str = "") -> Counter:
    """The weighted words of one document (a library entry or a new vraagstuk)."""
    counts: Counter = Counter()
    for part, content in (("title", title), ("theme", theme), ("tags", " ".join(tags)), ("text", text)):
        for word in words(content):
            counts[word] += WEIGHTS[part]
    return counts


@dataclass(frozen=True)
class Match:
    key: object
    score: float
    shared: tuple[str, ...]


def rank(query: Counter, documents: dict, *, limit: int = 3) -> list[Match]:
    """The `limit` documents most like `query`, best first, each with the words they share.

    Words that occur in many documents count less (inverse document frequency), so "aanpak" in
    every entry does not make every entry similar."""
    if not query or not documents:
        return []
    count = len(documents)
    frequency: Counter = Counter()
    for document in documents.values():
        frequency.update(set(document))

    def idf(word: str) -> float:
        return math.log((1 + count) / (1 + frequency[word])) + 1

    def vector(document: Counter) -> dict[str, float]:
        return {word: weight * idf(word) for word, weight in document.items()}

    query_vector = vector(query)
    query_norm = math.sqrt(sum(value * value for value in query_vector.values()))
    matches = []
    for key, document in documents.items():
        document_vector = vector(document)
        shared = set(query_vector) & set(document_vector)
        if not shared:
            continue
        dot = sum(query_vector[word] * document_vector[word] for word in shared)
        norm = query_norm * math.sqrt(sum(value * value for value in document_vector.values()))
        score = dot / norm if norm else 0.0
        if score >= MINIMUM_SCORE:
            top = sorted(shared, key=lambda word: -query_vector[word] * document_vector[word])[:4]
            matches.append(Match(key, round(score, 3), tuple(top)))
    matches.sort(key=lambda match: (-match.score, str(match.key)))
    return matches[:limit]

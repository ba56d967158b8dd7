"""One function decides when two expertise tags are the same (`tag_key`), and one turns what a
person typed into the tags that are stored (`store_tags`). Team formation compares keys, so
"Juridisch", "juridisch " and "júridisch" are one tag and a vraagstuk that needs it finds it.
"""

import re
import unicodedata
from datetime import datetime
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from fieldlab import reference_cache
from fieldlab.expertise.models import ExpertiseTag
from fieldlab.extensions import db
from fieldlab.timeutil import utcnow

MAX_LENGTH = 60
_WORDS = re.compile(r"[^\W_]+")


def clean_label(text: str) -> str:
    """The spelling as typed, with spaces tidied: 'Financieel   onderzoek ' -> 'Financieel onderzoek'."""
    return " ".join((text or "").split())[:MAX_LENGTH]


def tag_key(text: str) -> str:
    """The canonical form: case, accents, punctuation and spaces do not count.
    'Júridisch-advies ' -> 'juridisch advies'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(_WORDS.findall(bare))[:MAX_LENGTH]


def parse_tags(text: str) -> list[str]:
    """'vastgoed, Witwassen ; VASTGOED' -> ['vastgoed', 'Witwassen']: cleaned, one per key, in order."""
    seen, tags = set(), []
    for part in (text or "").replace(";", ",").split(","):
        label = clean_label(part)
        key = tag_key(label)
        if key and key not in seen:
            seen.add(key)
            tags.append(label)
    return tags


def _resolve(tag: ExpertiseTag) -> ExpertiseTag:
    seen = set()
    while tag.merged_into is not None and tag.id not in seen:
        seen.add(tag.id)
        tag = tag.merged_into
    return tag


def tags_by_key(keys) -> dict[str, ExpertiseTag]:
    """The stored tag for each known key, merges followed."""
    keys = set(keys)
    if not keys:
        return {}
    # No autoflush: callers build objects around this (a vraagstuk being constructed).
    with db.session.no_autoflush:
        rows = db.session.scalars(select(ExpertiseTag).where(ExpertiseTag.key.in_(keys))).all()
        return {row.key: _resolve(row) for row in rows}


def _register(new: dict[str, str], now: datetime) -> None:
    """Insert tags not known yet; a tag someone else registers at the same moment wins quietly
    (ON CONFLICT DO NOTHING) instead of failing this request on the unique key."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(ExpertiseTag).values([{"key": key, "label": label, "created_at": now}
                                             for key, label in new.items()])
    with db.session.no_autoflush:
        db.session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
        # A Core statement: no flush sees these rows, so the kept tag list is told here.
        reference_cache.raise_version(db.session)


def store_tags(labels, *, now: datetime | None = None) -> list[str]:
    """What profiles and vraagstukken store: per key the one known spelling (a new key is
    registered with the spelling given), merges followed, duplicates dropped."""
    cleaned = [clean_label(label) for label in labels]
    keys = [tag_key(label) for label in cleaned]
    known = tags_by_key(keys)
    new = {}
    for key, label in zip(keys, cleaned, strict=True):
        if key and key not in known:
            new.setdefault(key, label)
    if new:
        _register(new, now or utcnow())
        known = tags_by_key(keys)
    stored, seen = [], set()
    for key in keys:
        if not key:
            continue
        tag = known[key]
        if tag.key not in seen:
            seen.add(tag.key)
            stored.append(tag.label)
    return stored


def labeller(labels):
    """A function from a stored tag to the spelling shown today (None for an empty tag), with one
    query for all of `labels`: team formation compares these, so spellings never split a tag. A key
    not registered (data from before normalisation) takes the first spelling met in `labels`."""
    labels = list(labels)
    known = {key: tag.label for key, tag in tags_by_key(tag_key(label) for label in labels).items()}
    for label in labels:
        if tag_key(label):
            known.setdefault(tag_key(label), clean_label(label))

    def label_of(label: str) -> str | None:
        key = tag_key(label)
        if not key:
            return None
        return known.get(key) or clean_label(label)

    return label_of


def display_labels(labels) -> list[str]:
    """Stored tags as shown today (a merge may have renamed them since); for data stored before
    tags were normalised, the key decides too. Order kept, duplicates dropped."""
    labels = [clean_label(label) for label in labels or ()]
    known = tags_by_key(tag_key(label) for label in labels)
    shown, seen = [], set()
    for label in labels:
        key = tag_key(label)
        if not key:
            continue
        tag = known.get(key)
        final_key, final_label = (tag.key, tag.label) if tag else (key, label)
        if final_key not in seen:
            seen.add(final_key)
            shown.append(final_label)
    return shown


def look_alike(labels, *, limit: int = 10) -> list[tuple[str, str]]:
    """Pairs of tags that may be one expertise spelled twice, for the facilitator to consider:
    every word of one starts a word of the other ('fin. onderzoek', 'financieel onderzoek'), or
    the two keys differ by a typo or an ending (similarity of 0.85 or more)."""
    keyed = [(tag_key(label), label) for label in dict.fromkeys(labels)]
    pairs = []
    for index, (key_a, label_a) in enumerate(keyed):
        for key_b, label_b in keyed[index + 1:]:
            if not key_a or not key_b or key_a == key_b:
                continue
            words_a, words_b = key_a.split(), key_b.split()
            abbreviated = len(words_a) == len(words_b) and all(
                a.startswith(b) or b.startswith(a) for a, b in zip(words_a, words_b, strict=True))
            if abbreviated or SequenceMatcher(None, key_a, key_b).ratio() >= 0.85:
                pairs.append((label_a, label_b))
                if len(pairs) == limit:
                    return pairs
    return pairs


def all_labels() -> list[str]:
    """Every tag people can choose, alphabetically: the options of the suggestion list."""
    return reference_cache.cached("expertise_labels", lambda: sorted(db.session.scalars(
        select(ExpertiseTag.label).where(ExpertiseTag.merged_into_id.is_(None))).all(), key=tag_key))


def suggestions(text: str, *, limit: int = 8) -> list[str]:
    """Completions for what is being typed in a comma-separated field: each is the whole field
    value with its last, unfinished part completed to a known tag (words starting with what was
    typed first, then tags containing it), leaving out tags already in the field."""
    parts = (text or "").replace(";", ",").split(",")
    typed = tag_key(parts[-1])
    done = [clean_label(part) for part in parts[:-1] if clean_label(part)]
    present = {tag_key(part) for part in done}
    prefix = "".join(f"{label}, " for label in done)
    starts, contains = [], []
    for label in all_labels():
        key = tag_key(label)
        if key in present:
            continue
        if not typed or key.startswith(typed) or f" {typed}" in f" {key}":
            starts.append(label)
        elif typed in key:
            contains.append(label)
    return [prefix + label for label in (starts + contains)[:limit]]

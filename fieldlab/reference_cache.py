"""Reference lists (organisations, kinds, themes, expertise tags) kept per app process, keyed by a
version number in the database.

Every form and list page used to read these lists again: five statements and the Python that
turns rows into translated, sorted choices, about a fifth of the Nieuw vraagstuk page's time,
while the lists change a few times a month. A time-to-live would be simple and wrong: a
facilitator adds an organisation and the next page, served by another worker, does not show it.

So the database holds one number, `reference_version`. A flush that adds, deletes or changes a
watched row (`watch`) raises it in the same transaction, so a change and its new number commit
together. A request reads the number once (one primary-key statement) before it reads any list;
a list is kept under (name, number, and whatever else its caller adds, such as the language) and
an old entry is never served once the number moved. Reading the number first matters: a list
read after it is at least as new as the number says. A signed-in request reads it along with its
user, in the login's query (`version_column`, `remember_version`): on PostgreSQL a statement of
its own was one more round trip on every page that shows a kept list.

Within an app context whose own session raised the number (the change is not committed yet and
may still roll back), lists are built fresh and not kept, so an uncommitted change is never
served to anyone else. Each worker keeps its own entries; they agree because the number comes
from the database. Changes made outside the ORM session (raw SQL, a data migration while the
app runs) do not raise the number: the app makes none; a migration is followed by a restart.
"""

import weakref
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import BigInteger, Column, Integer, Table, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from fieldlab.extensions import db

EXTENSION_KEY = "fieldlab.reference_cache"
ROW_ID = 1
_CHANGED_HERE = object()  # marker on `g`: this app context's session raised the number

reference_version = Table(
    "reference_version",
    db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)

# Built once: building a statement costs about as much as running this one.
_VERSION_QUERY = select(reference_version.c.version).where(reference_version.c.id == ROW_ID)

# Model class → the attributes whose change matters (None: any change, and every insert and delete).
_watched: dict[type, frozenset[str] | None] = {}


def watch(model: type, *attributes: str) -> None:
    """Raise the version when a row of `model` is added or deleted, or when one of `attributes`
    (any attribute when none are named) of an existing row changes."""
    _watched[model] = frozenset(attributes) or None


def _touches_watched(session: Session) -> bool:
    for instance in (*session.new, *session.deleted):
        if type(instance) in _watched:
            return True
    for instance in session.dirty:
        if type(instance) not in _watched:
            continue
        attributes = _watched[type(instance)]
        if attributes is None:
            if session.is_modified(instance):
                return True
            continue
        state = inspect(instance)
        if any(state.attrs[name].history.has_changes() for name in attributes):
            return True
    return False


# Engines whose database has the table. A database on an older schema (before its migration ran,
# or in a migration test) has none: then nothing is raised and nothing is kept. Only "has it" is
# remembered, so the table is found as soon as the migration created it.
_engines_with_table: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def has_table(connection: Connection) -> bool:
    """Whether `connection`'s database has the number's table (a database on an older schema
    has none); ask before selecting `version_column()` along."""
    if connection.engine in _engines_with_table:
        return True
    if inspect(connection).has_table(reference_version.name):
        _engines_with_table.add(connection.engine)
        return True
    return False


@event.listens_for(Session, "before_flush")
def _raise_version_on_flush(session: Session, flush_context, instances) -> None:
    if _watched and _touches_watched(session):
        raise_version(session)


def raise_version(session: Session) -> None:
    """Raise the number in `session`'s transaction. Flushes of watched rows do this by themselves;
    code that writes watched rows with a Core statement (an INSERT ... ON CONFLICT) calls it."""
    connection = session.connection()
    if not has_table(connection):
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(reference_version).values(id=ROW_ID, version=1)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[reference_version.c.id], set_={"version": reference_version.c.version + 1}))
    if has_app_context():
        g._reference_version = _CHANGED_HERE


def version_column():
    """The number as a column, for the first statement of a request to read along (the login's
    query, `auth.services.load_user_from_cookie_id`); give what it read to `remember_version`."""
    return _VERSION_QUERY.scalar_subquery().label("reference_version")


def remember_version(value: Any) -> None:
    """The number that a request's first statement read along: `current_version` asks no more
    in this app context. Only a first read counts (after a change here the marker stays)."""
    if "_reference_version" not in g:
        g._reference_version = value


def current_version() -> Any:
    """The number for this app context, read once; None when there is none yet (nothing is kept
    then) and `_CHANGED_HERE` after a change in this context."""
    if "_reference_version" not in g:
        connection = db.session.connection()
        g._reference_version = connection.execute(_VERSION_QUERY).scalar() if has_table(connection) else None
    return g._reference_version


# Entries kept per version at most. Some keys hold a value a request chose (a field's chosen
# option, a filter's value): a stream of made-up values must not grow the store without end.
MAX_ENTRIES = 1000


class ReferenceStore:
    """The kept lists of one app, newest version only: entries of an older version are dropped
    when a newer one is stored, and all of them when MAX_ENTRIES is reached (they are built again
    at the next use). Thread-safe (waitress serves with threads)."""

    def __init__(self) -> None:
        self._version: Any = None
        self._entries: dict[Hashable, Any] = {}
        self._lock = Lock()

    def get_or_build(self, version: int, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if self._version == version and key in self._entries:
                return self._entries[key]
        value = build()
        with self._lock:
            if self._version is None or version > self._version:
                self._version, self._entries = version, {}
            if version == self._version:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries = {}
                self._entries[key] = value
        return value


def init_app(app) -> None:
    app.extensions[EXTENSION_KEY] = ReferenceStore()


def cached(key: Hashable, build: Callable[[], Any]) -> Any:
    """`build()`'s value, kept for this reference version under `key` (add the language to the
    key when the value holds translated words). Values must not be ORM objects: they outlive the
    session."""
    version = current_version()
    if version is None or version is _CHANGED_HERE:
        return build()
    return current_app.extensions[EXTENSION_KEY].get_or_build(version, key, build)


class ReferenceList(list):
    """A kept list that knows the key it is kept under (`cached_list`): what is built from such a
    list alone, such as a field's options (`fieldlab.forms`), can be kept under that key and the
    same version, and is then never older than the list."""

    key: Hashable


def cached_list(key: Hashable, build: Callable[[], list]) -> ReferenceList:
    """`cached`, for a list, tagged with its key."""
    def tagged() -> ReferenceList:
        value = ReferenceList(build())
        value.key = key
        return value

    return cached(key, tagged)

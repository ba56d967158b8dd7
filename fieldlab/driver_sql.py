"""A Core statement asked on the driver's own cursor, for the one path where SQLAlchemy's work per
execution costs more than the query.

The board refresh asks every few seconds, for every open board, whether anything changed: one
indexed SELECT (`boards.refreshing.board_unchanged`). Measured in process on SQLite, that check
took 42 µs through `Connection.execute` and 14 µs this way. SQLAlchemy builds the statement's cache
key anew on each execution and hashes it (the refresh's key is about 49,000 characters: the access
rule and the two-factor gate in SQL), then an execution context and a result object, all for a
yes or no.

What stays SQLAlchemy's:
- the SQL text and the order of its parameters, compiled once per dialect;
- the types' bind processors;
- the connection: the pool with its checkout checks (`fieldlab.pool`), the isolation level the
  caller asked for, and the reset on return;
- the execution itself (`Connection._cursor_execute`, see `exists`): the cursor events, so
  statement counts and the reads-only check see it, and the errors (a driver error becomes
  `DBAPIError`, a lost connection is invalidated), as for `Connection.execute`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class _Compiled:
    compiled: SQLCompiler
    sql: str
    positions: tuple[str, ...] | None  # None: the driver takes named parameters
    processors: dict[str, Callable[[Any], Any]]

    @classmethod
    def of(cls, statement: Select, dialect: Dialect) -> "_Compiled":
        compiled = statement.compile(dialect=dialect)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("a DriverStatement needs SQL that is the same at every execution, not an IN list")
        processors: dict[str, Any] = {
            name: processor for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        return cls(compiled, str(compiled), tuple(compiled.positiontup or ()) if compiled.positional else None,
                   processors)

    def parameters(self, given: Mapping[str, Any]):
        """The driver's parameters: the statement's own values with `given`, through the types'
        bind processors, in the order of the SQL's placeholders where the driver wants one."""
        values = self.compiled.construct_params(given)
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        return values if self.positions is None else tuple(values[name] for name in self.positions)


class DriverStatement:
    """A SELECT that answers only whether it finds a row (`exists`). A statement with an IN list
    expanded per execution is refused when first compiled: its SQL is not fixed."""

    def __init__(self, statement: Select):
        self.statement = statement
        self._by_dialect: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()

    def exists(self, connection: Connection, parameters: Mapping[str, Any]) -> bool:
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect)
        if compiled is None:
            compiled = self._by_dialect[dialect] = _Compiled.of(self.statement, dialect)
        values = compiled.parameters(parameters)
        cursor = connection.connection.cursor()
        try:
            # SQLAlchemy's own way to run SQL text on a cursor it did not make (it runs sequences
            # and column defaults so): the cursor events, echo, the dialect's execute hooks, and
            # the error handling (DBAPIError, a lost connection invalidated). Private by name;
            # constraints.txt pins the version, and tests/test_driver_sql.py checks what we use.
            connection._cursor_execute(cursor, compiled.sql, values)
            return cursor.fetchone() is not None
        finally:
            cursor.close()

"""Statements compiled once per dialect and run straight on the driver, inside SQLAlchemy's transaction.

SQLAlchemy Core spends tens of microseconds per execution building cache keys and parameter sets; on the
hottest paths (a GetResponsePlan, the dozen writes of a StartIncident) that is most of the request. A
Prepared statement keeps SQLAlchemy as the author of the SQL, the types and the dialect differences, and
skips only the per-execution bookkeeping. Everything else keeps using SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # bind names in order, for qmark drivers; None for named ones
    defaults: dict[str, Any]  # values SQLAlchemy bound itself (LIMIT 1, literals)
    bind_processors: dict[str, Callable[[Any], Any]]
    result_processors: tuple[Callable[[Any], Any] | None, ...]
    returns_rows: bool


class Rows:
    """The outcome of one execution."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return self.rows[0][0] if self.rows else None


class Prepared:
    """One SQLAlchemy statement, compiled on first use for each dialect and set of parameter names."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._cache: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def run(self, conn: Connection, params: dict[str, Any]) -> Rows:
        """Execute with one set of parameters in the connection's current transaction."""
        dialect = conn.dialect
        compiled = self._compiled(dialect, params)
        arguments = _arguments(compiled, params)
        driver: Any = conn.connection.dbapi_connection
        try:
            # Both drivers' connections execute directly, returning the cursor they made.
            cursor = driver.execute(compiled.sql, arguments)
            try:
                rows = _process(compiled, cursor.fetchall()) if compiled.returns_rows else []
                return Rows(rows, cursor.rowcount)
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            raise _wrapped(conn, compiled.sql, arguments, error) from error

    def run_many(self, conn: Connection, param_list: Sequence[dict[str, Any]]) -> None:
        """Execute once per parameter set (all with the same names), e.g. a batch of inserts."""
        if not param_list:
            return
        compiled = self._compiled(conn.dialect, param_list[0])
        arguments = [_arguments(compiled, params) for params in param_list]
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(compiled.sql, arguments)
        except conn.dialect.loaded_dbapi.Error as error:
            raise _wrapped(conn, compiled.sql, arguments, error) from error
        finally:
            cursor.close()

    def rendered(self, dialect: Dialect, params: dict[str, Any]) -> tuple[str, Any]:
        """The SQL and driver arguments run() would send, for looking at a query plan."""
        compiled = self._compiled(dialect, params)
        return compiled.sql, _arguments(compiled, params)

    def _compiled(self, dialect: Dialect, params: dict[str, Any]) -> _Compiled:
        key = (dialect.name, tuple(params))
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = _compile(self.statement, dialect, list(params))
        return found


def _wrapped(conn: Connection, sql: str, arguments: Any, error: Exception) -> Exception:
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError, ...), so callers see one kind."""
    return exc.DBAPIError.instance(sql, arguments, error, conn.dialect.loaded_dbapi.Error)


def _compile(statement: ClauseElement, dialect: Dialect, keys: list[str]) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect, column_keys=keys)
    positional = tuple(compiled.positiontup) if compiled.positional else None
    defaults = {
        name: bind.value
        for name, bind in compiled.binds.items()
        if name not in keys and bind.value is not None and not bind.callable
    }
    result_processors = tuple(entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns)
    return _Compiled(
        sql=compiled.string,
        positional=positional,
        defaults=defaults,
        bind_processors=dict(compiled._bind_processors),
        result_processors=result_processors,
        returns_rows=bool(compiled._result_columns),
    )


def _arguments(compiled: _Compiled, params: dict[str, Any]) -> Any:
    values = {**compiled.defaults, **params} if compiled.defaults else dict(params)
    for name, processor in compiled.bind_processors.items():
        if name in values:
            values[name] = processor(values[name])
    if compiled.positional is None:
        return values
    return tuple(values[name] for name in compiled.positional)


def _process(compiled: _Compiled, rows: list[Any]) -> list[tuple[Any, ...]]:
    processors = compiled.result_processors
    if not any(processors):
        return [tuple(row) for row in rows]
    if len(processors) == 1:
        # A single column (a document, an id): the commonest shape, without zip and a generator per row.
        only: Callable[[Any], Any] = processors[0]  # type: ignore[assignment]  # not None: any() said so
        return [(only(row[0]),) for row in rows]
    return [
        tuple(value if process is None else process(value) for value, process in zip(row, processors, strict=True))
        for row in rows
    ]

"""PostgreSQL: an import's foreign keys checked once per value, not once per row.

``COPY`` fires PostgreSQL's foreign-key trigger for every row and every key that is set:
seven look-ups per opinion, about 40 % of the server's work for an import, although all
the rows of an import share one government, decision, consultation, draft version and
import record, and name a few dozen articles at most. So, when the session may set
``session_replication_role`` (a superuser, or ``SET`` granted on it) and ``opinion`` has
no trigger but those of its foreign keys, the rows are copied with that role set to
``replica`` for the ``COPY`` alone (the foreign-key triggers do not fire; CHECK
constraints, NOT NULL and unique indexes apply as always), and then each distinct value
of each foreign key is looked up once and locked ``FOR KEY SHARE``, exactly what each
trigger does for its row. A value that is missing raises the ``IntegrityError`` the
trigger would have raised, so the caller's savepoint rolls every row back; the lock held
to the end of the transaction keeps a referenced row from being deleted before the rows
are committed, as the triggers' locks do. Otherwise the triggers check every row as
usual. No other write is concerned: the role is set back right after the ``COPY``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

# psycopg is imported by the functions that use it (PostgreSQL only): SQLite never loads it.

#: The setting that lets a session skip the tables' triggers (those of foreign keys too).
_ROLE = "session_replication_role"


@dataclass
class KeyCheck:
    """One foreign key among the copied columns and the values the rows gave it."""

    column: str
    index: int  # its position in the copied row
    table: str  # the referenced table and column
    referenced: str
    values: set[Any] = field(default_factory=set)


def key_checks(table: sa.Table, columns: Iterable[str]) -> list[KeyCheck]:
    """A :class:`KeyCheck` for each single-column foreign key of ``table`` among
    ``columns`` (:func:`may_check_once` refuses a table with a composite key)."""
    positions = {name: index for index, name in enumerate(columns)}
    checks = []
    for constraint in table.foreign_key_constraints:
        if len(constraint.elements) != 1:
            continue
        (element,) = constraint.elements
        name = element.parent.name
        if name in positions:
            checks.append(KeyCheck(name, positions[name], element.column.table.name,
                                   element.column.name))
    return checks


def may_check_once(cursor, table: sa.Table) -> bool:
    """Whether the rows of one ``COPY`` into ``table`` may skip the per-row triggers:
    every foreign key is single-column, the table has no trigger of its own (only the
    internal ones of constraints) nor rule (the role would skip those too), and the
    session may set the replication role."""
    if any(len(constraint.elements) != 1 for constraint in table.foreign_key_constraints):
        return False
    cursor.execute(
        "SELECT current_setting('is_superuser') = 'on',"
        " current_setting('server_version_num')::int,"
        " (SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal)"
        " + (SELECT count(*) FROM pg_rewrite WHERE ev_class = %s::regclass)",
        (table.name, table.name))
    superuser, version, own_triggers_or_rules = cursor.fetchone()
    if own_triggers_or_rules:
        return False
    if superuser:
        return True
    if version < 150000:
        return False
    cursor.execute("SELECT has_parameter_privilege(%s, 'SET')", (_ROLE,))
    return bool(cursor.fetchone()[0])


def skip_triggers(cursor) -> str:
    """Set the replication role to ``replica`` for this transaction; returns the role
    to set back (:func:`restore_triggers`)."""
    cursor.execute(f"SELECT current_setting('{_ROLE}')")
    previous = cursor.fetchone()[0]
    cursor.execute(f"SET LOCAL {_ROLE} = replica")
    return previous


def restore_triggers(cursor, previous: str) -> None:
    from psycopg import sql

    cursor.execute(sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(_ROLE),
                                                      sql.Literal(previous)))


def check_keys(cursor, table_name: str, checks: list[KeyCheck]) -> None:
    """Look every value of ``checks`` up once, locking the rows found ``FOR KEY SHARE``
    as the foreign-key triggers do; raise psycopg's ``ForeignKeyViolation`` (the
    trigger's error) for the first value missing."""
    from psycopg import errors, sql

    for check in checks:
        values = sorted(value for value in check.values if value is not None)
        if not values:
            continue
        cursor.execute(
            sql.SQL("SELECT {column} FROM {table} WHERE {column} = ANY(%s) "
                    "ORDER BY {column} FOR KEY SHARE")
            .format(column=sql.Identifier(check.referenced),
                    table=sql.Identifier(check.table)),
            (values,))
        found = {row[0] for row in cursor.fetchall()}
        missing = [value for value in values if value not in found]
        if missing:
            raise errors.ForeignKeyViolation(
                f'insert or update on table "{table_name}" violates foreign key constraint'
                f' on "{check.column}": Key ({check.column})=({missing[0]}) is not present'
                f' in table "{check.table}".')

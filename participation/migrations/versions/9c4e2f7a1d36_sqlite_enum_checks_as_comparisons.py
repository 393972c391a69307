"""SQLite: every enum CHECK written as comparisons joined by OR instead of an IN list

``CHECK (channel IN ('online', 'hotline', …))`` becomes ``CHECK (channel = 'online' OR
channel = 'hotline' OR …)``, which says the same. SQLite builds a temporary index of an
IN list of more than two constants each time a statement runs, once per row of an
``executemany``: with its ten enum columns, 15 µs of every opinion an import inserts. The
models render the new form on SQLite (``participation.core.database``); this rewrites
the stored ``CREATE TABLE`` texts of existing databases to match, the procedure SQLite's
documentation gives for changing a constraint that every row already satisfies (rows are
stored the same). PostgreSQL keeps its checks: nothing to do there.

Revision ID: 9c4e2f7a1d36
Revises: 5d3e9a1b7c42
Create Date: 2026-12-04 19:30:00

"""
import re

from alembic import op


# revision identifiers, used by Alembic.
revision = '9c4e2f7a1d36'
down_revision = '5d3e9a1b7c42'
branch_labels = None
depends_on = None

_VALUE = r"'(?:[^']|'')*'"
_IN_LIST = re.compile(rf"CHECK \((\w+) IN \(({_VALUE}(?:, {_VALUE})+)\)\)")
_OR_CHAIN = re.compile(rf"CHECK \(((\w+) = {_VALUE}(?: OR \2 = {_VALUE})+)\)")


def _as_comparisons(match: re.Match) -> str:
    column, values = match.group(1), re.findall(_VALUE, match.group(2))
    return "CHECK (" + " OR ".join(f"{column} = {value}" for value in values) + ")"


def _as_in_list(match: re.Match) -> str:
    column = match.group(2)
    values = re.findall(_VALUE, match.group(1))
    return f"CHECK ({column} IN ({', '.join(values)}))"


def _rewrite(pattern: re.Pattern, replace) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    tables = bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%CHECK%'"
    ).all()
    changed = [(new, name) for name, sql in tables
               if (new := pattern.sub(replace, sql)) != sql]
    if not changed:
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    for new, name in changed:
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' "
                             "AND name = ?", (new, name))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    _rewrite(_IN_LIST, _as_comparisons)


def downgrade():
    _rewrite(_OR_CHAIN, _as_in_list)

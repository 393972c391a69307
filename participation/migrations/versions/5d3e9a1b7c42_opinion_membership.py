"""grouping: which group an opinion is in moves to its own narrow table

``opinion.group_id`` (and its two indexes) becomes ``opinion_membership``: one row per
opinion in a group, keyed by the opinion, indexed by group. A regrouping moves tens of
thousands of opinions at once; on PostgreSQL each move rewrote the opinion's wide row
and all of its thirty index entries (an update that changes an indexed column is never
HOT), 1.45 s per 20,000 opinions.

SQLite cannot drop a column named in a table constraint, so there the foreign key's
clause is first taken out of the stored ``CREATE TABLE`` text (the procedure SQLite's
documentation gives for removing a constraint: it does not change how rows are stored),
then the column is dropped.

Revision ID: 5d3e9a1b7c42
Revises: c4a8e1f20b37
Create Date: 2026-12-04 01:30:00

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d3e9a1b7c42'
down_revision = 'c4a8e1f20b37'
branch_labels = None
depends_on = None

_CONSTRAINT = ("CONSTRAINT fk_opinion_group_id_opinion_group FOREIGN KEY(group_id) "
               "REFERENCES opinion_group (id) ON DELETE SET NULL")
_FOREIGN_KEY = re.compile(r",\s*CONSTRAINT fk_opinion_group_id_opinion_group FOREIGN KEY\s*"
                          r"\(group_id\) REFERENCES opinion_group \(id\)(?: ON DELETE SET NULL)?")


def _sqlite_rewrite_table(change) -> None:
    """Replace the stored ``CREATE TABLE opinion`` text by ``change(text)`` (SQLite's
    documented way to remove or add a constraint without rebuilding the table)."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'opinion'").scalar()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' "
                         "AND name = 'opinion'", (change(sql),))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _without_foreign_key(sql: str) -> str:
    new, found = _FOREIGN_KEY.subn("", sql)
    if found != 1:
        raise RuntimeError("opinion.group_id's foreign key not found in the table's SQL")
    return new


def _with_foreign_key(sql: str) -> str:
    head, close = sql.rstrip().rsplit(")", 1)
    return f"{head.rstrip()}, \n\t{_CONSTRAINT}\n){close}"


def upgrade():
    op.create_table(
        'opinion_membership',
        sa.Column('opinion_id', sa.Integer(), autoincrement=False, nullable=False,
                  comment='no foreign key: opinions are never deleted (one check per row '
                          'saved)'),
        sa.Column('group_id', sa.Integer(), nullable=False,
                  comment='deleting a group leaves its members in no group'),
        sa.ForeignKeyConstraint(['group_id'], ['opinion_group.id'],
                                name=op.f('fk_opinion_membership_group_id_opinion_group'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('opinion_id', name=op.f('pk_opinion_membership')),
    )
    op.execute("INSERT INTO opinion_membership (opinion_id, group_id) "
               "SELECT id, group_id FROM opinion WHERE group_id IS NOT NULL ORDER BY id")
    op.create_index('ix_opinion_membership_group', 'opinion_membership',
                    ['group_id', 'opinion_id'])
    op.drop_index('ix_opinion_ws_group', table_name='opinion')
    op.drop_index('ix_opinion_group_id', table_name='opinion')
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_rewrite_table(_without_foreign_key)
        op.execute("ALTER TABLE opinion DROP COLUMN group_id")
    else:
        op.drop_column('opinion', 'group_id')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':  # the table constraint as it was
        op.execute("ALTER TABLE opinion ADD COLUMN group_id INTEGER")
        _sqlite_rewrite_table(_with_foreign_key)
    else:
        op.add_column('opinion', sa.Column(
            'group_id', sa.Integer(),
            sa.ForeignKey('opinion_group.id', name='fk_opinion_group_id_opinion_group',
                          ondelete='SET NULL'),
            nullable=True, comment='the group of opinions saying the same thing'))
    op.execute("UPDATE opinion SET group_id = (SELECT m.group_id FROM opinion_membership "
               "AS m WHERE m.opinion_id = opinion.id)")
    op.create_index('ix_opinion_group_id', 'opinion', ['group_id'],
                    sqlite_where=sa.text('group_id IS NOT NULL'),
                    postgresql_where=sa.text('group_id IS NOT NULL'))
    op.create_index('ix_opinion_ws_group', 'opinion', ['consultation_id', 'group_id', 'id'])
    op.drop_index('ix_opinion_membership_group', table_name='opinion_membership')
    op.drop_table('opinion_membership')

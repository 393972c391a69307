"""consultations: draft nodes continue the previous version's units; stored comparison

Revision ID: 5c0e7a1f9d2b
Revises: a3c9d7e1f205
Create Date: 2026-12-01 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c0e7a1f9d2b'
down_revision = 'a3c9d7e1f205'
branch_labels = None
depends_on = None


def upgrade():
    # On SQLite a batch "move and copy" of draft_node would fire the ON DELETE actions of
    # every table referencing it (child nodes, opinions) when the old table is dropped, so
    # the column is added in place: SQLite accepts a nullable column with REFERENCES.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "ALTER TABLE draft_node ADD COLUMN previous_node_id INTEGER"
            " CONSTRAINT fk_draft_node_previous_node_id_draft_node"
            " REFERENCES draft_node (id) ON DELETE SET NULL"
        )
    else:
        op.add_column('draft_node', sa.Column('previous_node_id', sa.Integer(), nullable=True, comment="the matching unit of the previous version, which this one continues"))
        op.create_foreign_key(op.f('fk_draft_node_previous_node_id_draft_node'), 'draft_node', 'draft_node', ['previous_node_id'], ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_draft_node_previous_node_id'), 'draft_node', ['previous_node_id'], unique=False)
    # A plain ADD COLUMN on every database (no batch copy of draft_version either).
    op.add_column('draft_version', sa.Column('changes', sa.JSON(), nullable=True, comment='comparison with the previous version, computed once when published'))
    _backfill()


def _backfill():
    """Store the comparison with the previous version and link the units of every later
    version to the previous version's, as publishing a revision now does (parsed again
    from the stored source texts)."""
    from participation.consultations.diff import compare_versions, matched_positions
    from participation.consultations.outline import parse_outline

    bind = op.get_bind()
    versions = bind.execute(sa.text(
        "SELECT id, draft_id, number, title, source_text FROM draft_version"
        " ORDER BY draft_id, number"
    )).all()
    previous = None
    for version in versions:
        if previous is not None and previous.draft_id == version.draft_id \
                and previous.number == version.number - 1:
            old_roots = parse_outline(previous.source_text)
            new_roots = parse_outline(version.source_text)
            changes, record = compare_versions(old_roots, new_roots, previous.title, version.title)
            bind.execute(
                sa.text("UPDATE draft_version SET changes = :changes WHERE id = :id")
                .bindparams(sa.bindparam("changes", type_=sa.JSON())),
                {"changes": record, "id": version.id},
            )
            positions = sa.text("SELECT position, id FROM draft_node WHERE version_id = :v")
            old_ids = dict(bind.execute(positions, {"v": previous.id}).tuples().all())
            new_ids = dict(bind.execute(positions, {"v": version.id}).tuples().all())
            links = [
                {"node": new_ids[new], "previous": old_ids[old]}
                for old, new in matched_positions(changes, old_roots, new_roots)
                if old in old_ids and new in new_ids
            ]
            if links:
                bind.execute(sa.text(
                    "UPDATE draft_node SET previous_node_id = :previous WHERE id = :node"
                ), links)
        previous = version


def downgrade():
    op.drop_index(op.f('ix_draft_node_previous_node_id'), table_name='draft_node')
    if op.get_bind().dialect.name == 'sqlite':
        # A batch copy: a later revision may have rebuilt draft_node with the foreign key
        # as a table constraint, which DROP COLUMN refuses. Foreign keys are off while
        # migrations run on SQLite (migrations/env.py), so the copy fires no ON DELETE.
        op.execute("ALTER TABLE draft_version DROP COLUMN changes")
        with op.batch_alter_table('draft_node', schema=None, recreate='always') as batch_op:
            batch_op.drop_column('previous_node_id')
    else:
        op.drop_column('draft_version', 'changes')
        op.drop_constraint(op.f('fk_draft_node_previous_node_id_draft_node'), 'draft_node', type_='foreignkey')
        op.drop_column('draft_node', 'previous_node_id')

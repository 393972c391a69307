"""opinion.submitter_kind: on whose behalf an opinion is given

A person (the default, and every opinion recorded so far), an enterprise, a trade
association or chamber of commerce, or another organisation: a policy affecting
enterprises is taken at a meeting only after enterprise opinions were heard. Added in
place on both databases (SQLite accepts a column with a default, NOT NULL and a CHECK),
so the opinion table is not rebuilt.

Revision ID: 9b2e4c6d8f01
Revises: 3c7d2a9e5f10
Create Date: 2026-12-02 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b2e4c6d8f01'
down_revision = '3c7d2a9e5f10'
branch_labels = None
depends_on = None

KINDS = ('person', 'enterprise', 'trade_association', 'organisation')
CHECK = "submitter_kind IN (" + ", ".join(f"'{kind}'" for kind in KINDS) + ")"


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE opinion ADD COLUMN submitter_kind VARCHAR(32) DEFAULT 'person'"
                   f" NOT NULL CONSTRAINT ck_opinion_submitterkind CHECK ({CHECK})")
        return
    op.execute("ALTER TABLE opinion ADD COLUMN submitter_kind VARCHAR(32) DEFAULT 'person'"
               " NOT NULL")
    op.execute(f"ALTER TABLE opinion ADD CONSTRAINT ck_opinion_submitterkind CHECK ({CHECK})")
    op.execute("COMMENT ON COLUMN opinion.submitter_kind IS 'given on behalf of a person, an "
               "enterprise, a trade association, another organisation'")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite drops a column with a CHECK by rebuilding the table; it cannot reflect
        # the expression index of the article filter, dropped before and created after.
        op.drop_index('ix_opinion_ws_article', table_name='opinion')
        with op.batch_alter_table('opinion', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_opinion_submitterkind'), type_='check')
            batch_op.drop_column('submitter_kind')
        op.create_index('ix_opinion_ws_article', 'opinion',
                        ['consultation_id', sa.text('coalesce(cited_node_id, node_id)'), 'id'])
        return
    op.execute("ALTER TABLE opinion DROP CONSTRAINT ck_opinion_submitterkind")
    op.execute("ALTER TABLE opinion DROP COLUMN submitter_kind")

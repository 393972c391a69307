"""revision date of published documents

Revision ID: a3c9d7e1f205
Revises: eb0806575b75
Create Date: 2026-12-01 21:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c9d7e1f205'
down_revision = 'eb0806575b75'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(), nullable=True, comment='when an approver last changed the published document (UTC); shown publicly'))


def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('revised_at')


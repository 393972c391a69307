"""jobs: the lease of every periodic job

Revision ID: 7d41b9e2c0a8
Revises: 3f9c2d7a1b64
Create Date: 2026-12-01 22:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d41b9e2c0a8'
down_revision = "3f9c2d7a1b64"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_lease',
        sa.Column('name', sa.String(length=64), nullable=False,
                  comment="the registered job's name"),
        sa.Column('leased_until', sa.DateTime(), nullable=True,
                  comment='the running host holds the job until (UTC)'),
        sa.Column('leased_by', sa.String(length=128), nullable=True,
                  comment='host and process running it'),
        sa.Column('last_started_at', sa.DateTime(), nullable=True,
                  comment='when its last run started (UTC)'),
        sa.Column('last_finished_at', sa.DateTime(), nullable=True,
                  comment='when its last run ended (UTC)'),
        sa.Column('last_error', sa.Text(), nullable=True,
                  comment='traceback of the last run when it failed'),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_lease')),
    )


def downgrade():
    op.drop_table('job_lease')

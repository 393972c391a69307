"""grouping queue: opinions waiting to be grouped by the worker

An opinion received online or recorded by hand is grouped by ``flask jobs worker``
instead of in the request that records it; ``grouping_queue`` holds it until then.
Opinions of a consultation that have no fingerprint yet are queued.

Revision ID: 5e1f0c7a9b3d
Revises: 0a6f4a0671fc
Create Date: 2026-12-02 07:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5e1f0c7a9b3d"
down_revision = "0a6f4a0671fc"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "grouping_queue",
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"],
                                name=op.f("fk_grouping_queue_consultation_id_consultation"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["opinion_id"], ["opinion.id"],
                                name=op.f("fk_grouping_queue_opinion_id_opinion"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("opinion_id", name=op.f("pk_grouping_queue")),
    )
    op.create_index("ix_grouping_queue_consultation_id", "grouping_queue",
                    ["consultation_id"], unique=False)
    op.execute(
        "INSERT INTO grouping_queue (opinion_id, consultation_id) "
        "SELECT o.id, o.consultation_id FROM opinion o "
        "WHERE o.consultation_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM opinion_fingerprint f WHERE f.opinion_id = o.id)")


def downgrade():
    op.drop_index("ix_grouping_queue_consultation_id", table_name="grouping_queue")
    op.drop_table("grouping_queue")

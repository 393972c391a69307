"""opinion: the index by received time alone goes

The officials' list of every channel by received time is merged from one scan per
channel of ``ix_opinion_channel_list`` (consultation, channel, received time, id), and
the import's re-import check names every channel to read the same index. The index
``ix_opinion_received_list`` (consultation, received time, id) served nothing else, and
cost a million-row import about 8 s: imported rows come in random time order.

Revision ID: d1e6a9c3f274
Revises: b7d2c5e8f013
Create Date: 2026-12-04 20:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd1e6a9c3f274'
down_revision = 'b7d2c5e8f013'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_opinion_received_list', table_name='opinion')


def downgrade():
    op.create_index('ix_opinion_received_list', 'opinion',
                    ['consultation_id', 'received_at', 'id'])

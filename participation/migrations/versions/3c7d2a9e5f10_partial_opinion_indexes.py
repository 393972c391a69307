"""partial indexes on opinion columns most rows leave empty

The eleven single-purpose indexes of opinion columns that most opinions leave NULL (the
author, the official who recorded it, the import, the attachment, topic, suggested topic,
group, cited and changed article, meeting and open day) cover only the rows where the
column is set: an insert (a POST, a million-row import) skips them, and lookups by value
and the foreign keys' checks still use them.

Revision ID: 3c7d2a9e5f10
Revises: 1e671791dd30
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c7d2a9e5f10'
down_revision = '1e671791dd30'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_opinion_author_list', ['author_id', 'id']),
    ('ix_opinion_open_day_list', ['open_day_id', 'id']),
    ('ix_opinion_recorded_by_id', ['recorded_by_id']),
    ('ix_opinion_attachment_file_id', ['attachment_file_id']),
    ('ix_opinion_topic_id', ['topic_id']),
    ('ix_opinion_group_id', ['group_id']),
    ('ix_opinion_import_id', ['import_id']),
    ('ix_opinion_cited_node_id', ['cited_node_id']),
    ('ix_opinion_suggested_topic_id', ['suggested_topic_id']),
    ('ix_opinion_change_node_id', ['change_node_id']),
    ('ix_opinion_meeting_id', ['meeting_id', 'id']),
]


def upgrade():
    for name, columns in INDEXES:
        op.drop_index(name, table_name='opinion')
        condition = sa.text(f"{columns[0]} IS NOT NULL")
        op.create_index(name, 'opinion', columns, unique=False,
                        sqlite_where=condition, postgresql_where=condition)


def downgrade():
    for name, columns in INDEXES:
        op.drop_index(name, table_name='opinion')
        op.create_index(name, 'opinion', columns, unique=False)

"""imports at scale: opinion.import_id, and the state, task, encoding and errors of an
import (checked and stored by a background task)

Revision ID: c41589633658
Revises: 4a964888e1fd
Create Date: 2026-12-02 01:25:51.582428

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41589633658'
down_revision = "4a964888e1fd"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_id', sa.Integer(), nullable=True, comment='the imported file it came from; null for every other channel'))
        batch_op.create_index('ix_opinion_import_id', ['import_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_opinion_import_id_opinion_import'), 'opinion_import', ['import_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('opinion_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.Enum('queued', 'checking', 'storing', 'refused', 'unconfirmed', 'imported', 'discarded', name='importstate', native_enum=False, create_constraint=True, length=32), server_default='imported', nullable=False))
        batch_op.add_column(sa.Column('task_id', sa.Integer(), nullable=True, comment='the background task running it (web uploads)'))
        batch_op.add_column(sa.Column('upload_key', sa.String(length=64), nullable=True, comment='the uploaded file kept while it is checked and stored; null once removed'))
        batch_op.add_column(sa.Column('encoding', sa.String(length=32), nullable=True, comment='how the text was read: UTF-8, GBK …'))
        batch_op.add_column(sa.Column('confirmed', sa.Boolean(), server_default=sa.false(), nullable=False, comment='the official confirmed importing the repeated opinions'))
        batch_op.add_column(sa.Column('rows_checked', sa.Integer(), server_default='0', nullable=False, comment='data rows read in the first pass'))
        batch_op.add_column(sa.Column('error_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('first_errors', sa.JSON(), nullable=True, comment='the first 1,000 errors as codes and parameters (translated when shown)'))
        batch_op.add_column(sa.Column('error_file', sa.String(length=64), nullable=True, comment='every error, for the download'))
        batch_op.add_column(sa.Column('duplicates', sa.JSON(), nullable=True, comment='what a valid file would import again'))
        batch_op.create_index('ix_opinion_import_task_id', ['task_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_opinion_import_task_id_task'), 'task', ['task_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('opinion_import', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_opinion_import_task_id_task'), type_='foreignkey')
        batch_op.drop_index('ix_opinion_import_task_id')
        batch_op.drop_constraint(batch_op.f('ck_opinion_import_importstate'), type_='check')
        batch_op.drop_column('duplicates')
        batch_op.drop_column('error_file')
        batch_op.drop_column('first_errors')
        batch_op.drop_column('error_count')
        batch_op.drop_column('rows_checked')
        batch_op.drop_column('confirmed')
        batch_op.drop_column('encoding')
        batch_op.drop_column('upload_key')
        batch_op.drop_column('task_id')
        batch_op.drop_column('state')

    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_opinion_import_id_opinion_import'), type_='foreignkey')
        batch_op.drop_index('ix_opinion_import_id')
        batch_op.drop_column('import_id')


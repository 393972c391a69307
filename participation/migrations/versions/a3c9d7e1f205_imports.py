"""opinion imports kept for re-import detection; revision date of published documents

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
    op.create_table('opinion_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False, comment='the consultation the opinions were imported into'),
    sa.Column('sha256', sa.String(length=64), nullable=False, comment="SHA-256 of the file's bytes, hex"),
    sa.Column('filename', sa.String(length=255), nullable=False, comment='file name as uploaded'),
    sa.Column('row_count', sa.Integer(), nullable=False, comment='opinions created from the file'),
    sa.Column('imported_by_id', sa.Integer(), nullable=True, comment='official who imported it; null from the command line'),
    sa.Column('created_at', sa.DateTime(), nullable=False, comment='when the row was created (UTC)'),
    sa.Column('updated_at', sa.DateTime(), nullable=False, comment='when the row last changed (UTC)'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_opinion_import_consultation_id_consultation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id'], name=op.f('fk_opinion_import_imported_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opinion_import'))
    )
    with op.batch_alter_table('opinion_import', schema=None) as batch_op:
        batch_op.create_index('ix_opinion_import_file', ['consultation_id', 'sha256'], unique=False)

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revised_at', sa.DateTime(), nullable=True, comment='when an approver last changed the published document (UTC); shown publicly'))


def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('revised_at')

    with op.batch_alter_table('opinion_import', schema=None) as batch_op:
        batch_op.drop_index('ix_opinion_import_file')

    op.drop_table('opinion_import')

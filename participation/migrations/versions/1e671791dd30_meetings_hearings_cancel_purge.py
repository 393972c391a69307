"""meetings: hearings, materials sent, cancellation, applicants' data erased

meeting.kind gains 'hearing' (its CHECK recreated); meeting.materials_sent_at, held_at,
cancelled_at and cancel_reason (held_at / cancelled_at filled from updated_at for the
meetings already held or cancelled); meeting_application.personal_data_erased_at.

Revision ID: 1e671791dd30
Revises: e41f0581db4b
Create Date: 2026-12-02 13:28:28.613993

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1e671791dd30'
down_revision = 'e41f0581db4b'
branch_labels = None
depends_on = None

KIND_BEFORE = "kind IN ('executive', 'plenary')"
KIND_AFTER = "kind IN ('executive', 'plenary', 'hearing')"


def upgrade():
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_meeting_meetingkind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_meeting_meetingkind'), KIND_AFTER)
        batch_op.add_column(sa.Column('materials_sent_at', sa.DateTime(), nullable=True, comment='UTC: when the materials were last sent to the selected participants'))
        batch_op.add_column(sa.Column('held_at', sa.DateTime(), nullable=True, comment='UTC: when it was recorded as held'))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True, comment='UTC: when it was cancelled'))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), server_default='', nullable=False, comment='why, shown publicly'))
    op.execute("UPDATE meeting SET held_at = updated_at WHERE state = 'held'")
    op.execute("UPDATE meeting SET cancelled_at = updated_at WHERE state = 'cancelled'")

    with op.batch_alter_table('meeting_application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal_data_erased_at', sa.DateTime(), nullable=True, comment='UTC: contact, free texts (and the unpublished name) erased after retention'))


def downgrade():
    with op.batch_alter_table('meeting_application', schema=None) as batch_op:
        batch_op.drop_column('personal_data_erased_at')

    # A hearing has no place in the older schema: it becomes an executive meeting.
    op.execute("UPDATE meeting SET kind = 'executive' WHERE kind = 'hearing'")
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('held_at')
        batch_op.drop_column('materials_sent_at')
        batch_op.drop_constraint(batch_op.f('ck_meeting_meetingkind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_meeting_meetingkind'), KIND_BEFORE)

"""jobs: the lease of every periodic job, background tasks, the outbox of messages

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
    op.create_table(
        'outbox_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False,
                  comment='email, sms or console'),
        sa.Column('recipient', sa.String(length=255), nullable=False,
                  comment='e-mail address or mobile number'),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('body', sa.Text(), nullable=False, comment='the text; emptied once sent'),
        sa.Column('dedupe_key', sa.String(length=128), nullable=True,
                  comment='queuing the same key again adds nothing'),
        sa.Column('state', sa.Enum('pending', 'sending', 'sent', 'failed',
                                   name='message_state', native_enum=False, length=32,
                                   create_constraint=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False, comment='sends started'),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False, comment='due from (UTC)'),
        sa.Column('locked_by', sa.String(length=128), nullable=True,
                  comment='worker sending it'),
        sa.Column('locked_until', sa.DateTime(), nullable=True, comment='its lease ends (UTC)'),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False,
                  comment='when the row was created (UTC)'),
        sa.Column('updated_at', sa.DateTime(), nullable=False,
                  comment='when the row last changed (UTC)'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_message_dedupe_key')),
    )
    op.create_table(
        'task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False,
                  comment="the registered handler's name"),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=128), nullable=True,
                  comment='enqueuing the same key again returns the existing task'),
        sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', name='task_state',
                                   native_enum=False, length=32, create_constraint=True),
                  nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('run_after', sa.DateTime(), nullable=False, comment='not run before (UTC)'),
        sa.Column('locked_by', sa.String(length=128), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('progress_done', sa.Integer(), nullable=False),
        sa.Column('progress_total', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True, comment='the last failure'),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('government_id', sa.Integer(), nullable=True,
                  comment='whose administrators may see the task'),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False,
                  comment='when the row was created (UTC)'),
        sa.Column('updated_at', sa.DateTime(), nullable=False,
                  comment='when the row last changed (UTC)'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_task_created_by_id_user_account'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['government_id'], ['government.id'],
                                name=op.f('fk_task_government_id_government'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_task')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_task_dedupe_key')),
    )
    op.create_index('ix_task_due', 'task', ['state', 'run_after'], unique=False)
    op.create_index(op.f('ix_task_created_by_id'), 'task', ['created_by_id'], unique=False)
    op.create_index(op.f('ix_task_government_id'), 'task', ['government_id'], unique=False)
    op.create_index('ix_outbox_message_due', 'outbox_message', ['state', 'next_attempt_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_outbox_message_due', table_name='outbox_message')
    op.drop_table('outbox_message')
    op.drop_index(op.f('ix_task_government_id'), table_name='task')
    op.drop_index(op.f('ix_task_created_by_id'), table_name='task')
    op.drop_index('ix_task_due', table_name='task')
    op.drop_table('task')
    op.drop_table('job_lease')

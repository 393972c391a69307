"""event feedback report: feedback_report generalised to an open-day subject

feedback_report.open_day_id (the event feedback report of an open day);
consultation_id and decision_id become nullable, with a CHECK that exactly one of
consultation_id and open_day_id is set; one draft per open day and versions unique per
open day. The partial index ix_opinion_other_sources (a decision's opinions without a
consultation source: statements at meetings, opinions heard at open days), for the
consultation workspace that takes them.

Revision ID: e41f0581db4b
Revises: 72fa89c4527a
Create Date: 2026-12-02 13:30:23.004653

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e41f0581db4b'
down_revision = '72fa89c4527a'
branch_labels = None
depends_on = None

DRAFT_WHERE = "state = 'draft'"
OPEN_DAY_DRAFT_WHERE = "state = 'draft' AND open_day_id IS NOT NULL"
OTHER_SOURCES_WHERE = "consultation_id IS NULL"
ONE_SUBJECT = "(consultation_id IS NULL) <> (open_day_id IS NULL)"


def upgrade():
    # The partial index of the consultations' drafts is dropped before the SQLite batch
    # rebuild and created again after it, so its WHERE clause is never lost.
    op.drop_index('uq_feedback_report_draft', table_name='feedback_report')
    with op.batch_alter_table('feedback_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_day_id', sa.Integer(), nullable=True, comment='subject: the open day reported on (the event feedback report)'))
        batch_op.alter_column('decision_id', existing_type=sa.INTEGER(), nullable=True,
                              comment='the decision (an open day\'s report: its linked decision, if any)')
        batch_op.alter_column('consultation_id', existing_type=sa.INTEGER(), nullable=True,
                              comment='subject: the consultation reported on')
        batch_op.create_index(batch_op.f('ix_feedback_report_open_day_id'), ['open_day_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_feedback_report_open_day_id_version'), ['open_day_id', 'version'])
        batch_op.create_foreign_key(batch_op.f('fk_feedback_report_open_day_id_open_day'), 'open_day', ['open_day_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_check_constraint(op.f('ck_feedback_report_one_subject'), ONE_SUBJECT)
    op.create_index('uq_feedback_report_draft', 'feedback_report', ['consultation_id'], unique=True,
                    sqlite_where=sa.text(DRAFT_WHERE), postgresql_where=sa.text(DRAFT_WHERE))
    op.create_index('uq_feedback_report_open_day_draft', 'feedback_report', ['open_day_id'], unique=True,
                    sqlite_where=sa.text(OPEN_DAY_DRAFT_WHERE),
                    postgresql_where=sa.text(OPEN_DAY_DRAFT_WHERE))
    op.create_index('ix_opinion_other_sources', 'opinion', ['decision_id', 'id'], unique=False,
                    sqlite_where=sa.text(OTHER_SOURCES_WHERE),
                    postgresql_where=sa.text(OTHER_SOURCES_WHERE))


def downgrade():
    op.drop_index('ix_opinion_other_sources', table_name='opinion')
    op.execute("DELETE FROM feedback_report WHERE open_day_id IS NOT NULL")
    op.drop_index('uq_feedback_report_open_day_draft', table_name='feedback_report')
    op.drop_index('uq_feedback_report_draft', table_name='feedback_report')
    with op.batch_alter_table('feedback_report', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_feedback_report_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_feedback_report_open_day_id_open_day'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_feedback_report_open_day_id_version'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_feedback_report_open_day_id'))
        batch_op.alter_column('consultation_id', existing_type=sa.INTEGER(), nullable=False, comment=None)
        batch_op.alter_column('decision_id', existing_type=sa.INTEGER(), nullable=False, comment=None)
        batch_op.drop_column('open_day_id')
    op.create_index('uq_feedback_report_draft', 'feedback_report', ['consultation_id'], unique=True,
                    sqlite_where=sa.text(DRAFT_WHERE), postgresql_where=sa.text(DRAFT_WHERE))

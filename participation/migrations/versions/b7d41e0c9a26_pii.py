"""personal data: stored public body and name of every opinion, and what was found

Adds ``opinion.public_body`` (the body with phone, ID-card and bank card numbers and
e-mail addresses masked), ``opinion.public_name`` (the display name masked the same way)
and ``opinion.pii_findings`` (JSON: kinds masked with counts, possible names and
addresses), then fills them for every existing opinion, in chunks of 2,000 rows by id.

Revision ID: b7d41e0c9a26
Revises: 7d41b9e2c0a8
Create Date: 2026-12-01 22:40:00

"""
from alembic import op
import sqlalchemy as sa

from participation.core.pii import analyse, mask_personal_data


# revision identifiers, used by Alembic.
revision = 'b7d41e0c9a26'
down_revision = "7d41b9e2c0a8"
branch_labels = None
depends_on = None

CHUNK = 2000


def upgrade():
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'public_body', sa.Text(), nullable=True,
            comment='the body with personal data masked, computed when written; null: old row'))
        batch_op.add_column(sa.Column(
            'public_name', sa.String(length=200), nullable=True,
            comment='display_name with personal data masked'))
        batch_op.add_column(sa.Column(
            'pii_findings', sa.JSON(), nullable=True,
            comment='personal data found in the body: kinds masked, possible names/addresses'))
    backfill(op.get_bind())


def backfill(connection) -> int:
    """Fill the three columns of every opinion still without a public body; return how
    many rows were filled."""
    opinion = sa.table('opinion', sa.column('id', sa.Integer), sa.column('body', sa.Text),
                       sa.column('display_name', sa.String),
                       sa.column('public_body', sa.Text),
                       sa.column('public_name', sa.String),
                       sa.column('pii_findings', sa.JSON))
    update = (opinion.update().where(opinion.c.id == sa.bindparam('row_id'))
              .values(public_body=sa.bindparam('pb'), public_name=sa.bindparam('pn'),
                      pii_findings=sa.bindparam('pf', type_=sa.JSON)))
    last, done = 0, 0
    while True:
        rows = connection.execute(
            sa.select(opinion.c.id, opinion.c.body, opinion.c.display_name)
            .where(opinion.c.id > last, opinion.c.public_body.is_(None))
            .order_by(opinion.c.id).limit(CHUNK)).all()
        if not rows:
            return done
        values = []
        for row_id, body, name in rows:
            public_body, findings = analyse(body)
            values.append({'row_id': row_id, 'pb': public_body, 'pf': findings,
                           'pn': mask_personal_data(name) if name else None})
        connection.execute(update, values)
        last, done = rows[-1][0], done + len(rows)


def downgrade():
    with op.batch_alter_table('opinion', schema=None) as batch_op:
        batch_op.drop_column('pii_findings')
        batch_op.drop_column('public_name')
        batch_op.drop_column('public_body')

"""opinion.public_body: null when nothing was masked

New opinions whose text holds no personal data no longer store a second copy of it
(``public_fields``): the column's comment says what null now means. Rows already stored
keep their copy (it is what they show). SQLite keeps no comments: nothing to do there.

Revision ID: b7d2c5e8f013
Revises: 9c4e2f7a1d36
Create Date: 2026-12-04 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d2c5e8f013'
down_revision = '9c4e2f7a1d36'
branch_labels = None
depends_on = None

_OLD = "the body with personal data masked, computed when written; null: old row"
_NEW = ("the body with personal data masked, computed when written; null: nothing masked "
        "(or, without pii_findings, a row written before)")


def _comment(new: str, old: str) -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    op.alter_column('opinion', 'public_body', existing_type=sa.Text(), existing_nullable=True,
                    comment=new, existing_comment=old)


def upgrade():
    _comment(_NEW, _OLD)


def downgrade():
    _comment(_OLD, _NEW)

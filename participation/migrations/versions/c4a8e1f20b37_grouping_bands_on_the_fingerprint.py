"""grouping: band hashes on the fingerprint; the band table a bare index

A full regrouping of opinions never fingerprinted writes one fingerprint and eight band
rows per opinion. Those rows were checked against two foreign keys each (on PostgreSQL a
trigger query per row) and the band rows went into three B-trees; now:

- ``opinion_fingerprint.bands``: the opinion's band hashes in band order (so a later
  regrouping reads them instead of hashing every text again); NULL for the fingerprints
  written before, which the next regrouping fills in. Its foreign keys go (opinions
  are never deleted, and the opinion's own key keeps the consultation).
- ``opinion_band``: no foreign keys and no index on ``opinion_id``; on SQLite a
  ``WITHOUT ROWID`` table clustered on its key (consultation, band hash, opinion).

Revision ID: c4a8e1f20b37
Revises: 9b2e4c6d8f01
Create Date: 2026-12-03 09:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a8e1f20b37'
down_revision = '9b2e4c6d8f01'
branch_labels = None
depends_on = None

BANDS_COMMENT = ('the LSH band hashes in band order (BANDS int64, little-endian); NULL when '
                 'written before 2026-12-03 (the next regrouping fills it in)')


def _sqlite_band_table(with_rowid: bool) -> None:
    """Rebuild ``opinion_band`` on SQLite (WITHOUT ROWID cannot be altered in place)."""
    keys = ""
    if with_rowid:
        keys = (", CONSTRAINT fk_opinion_band_consultation_id_consultation FOREIGN KEY"
                "(consultation_id) REFERENCES consultation (id) ON DELETE CASCADE"
                ", CONSTRAINT fk_opinion_band_opinion_id_opinion FOREIGN KEY(opinion_id) "
                "REFERENCES opinion (id) ON DELETE CASCADE")
    op.execute("CREATE TABLE opinion_band_new (consultation_id INTEGER NOT NULL, "
               "band_hash BIGINT NOT NULL, opinion_id INTEGER NOT NULL, "
               "CONSTRAINT pk_opinion_band PRIMARY KEY (consultation_id, band_hash, "
               f"opinion_id){keys})" + ("" if with_rowid else " WITHOUT ROWID"))
    op.execute("INSERT INTO opinion_band_new (consultation_id, band_hash, opinion_id) "
               "SELECT consultation_id, band_hash, opinion_id FROM opinion_band "
               "ORDER BY consultation_id, band_hash, opinion_id")
    op.execute("DROP TABLE opinion_band")
    op.execute("ALTER TABLE opinion_band_new RENAME TO opinion_band")
    if with_rowid:
        op.execute("CREATE INDEX ix_opinion_band_opinion_id ON opinion_band (opinion_id)")


def _sqlite_fingerprint_table(with_bands: bool) -> None:
    """Rebuild ``opinion_fingerprint`` on SQLite by hand (a batch operation would reflect
    the opinion table, whose expression index SQLAlchemy cannot reflect)."""
    columns = "opinion_id, consultation_id, exact_key, person_key, pinned"
    op.execute(
        "CREATE TABLE opinion_fingerprint_new (opinion_id INTEGER NOT NULL, "
        "consultation_id INTEGER NOT NULL, exact_key BIGINT NOT NULL, "
        "person_key VARCHAR(32) NOT NULL, pinned BOOLEAN DEFAULT 0 NOT NULL, "
        + ("bands BLOB, " if with_bands else "")
        + ("CONSTRAINT pk_opinion_fingerprint PRIMARY KEY (opinion_id))" if with_bands else
           "CONSTRAINT pk_opinion_fingerprint PRIMARY KEY (opinion_id), "
           "CONSTRAINT fk_opinion_fingerprint_consultation_id_consultation FOREIGN KEY"
           "(consultation_id) REFERENCES consultation (id) ON DELETE CASCADE, "
           "CONSTRAINT fk_opinion_fingerprint_opinion_id_opinion FOREIGN KEY(opinion_id) "
           "REFERENCES opinion (id) ON DELETE CASCADE)"))
    op.execute(f"INSERT INTO opinion_fingerprint_new ({columns}) "  # noqa: S608
               f"SELECT {columns} FROM opinion_fingerprint")
    op.execute("DROP TABLE opinion_fingerprint")
    op.execute("ALTER TABLE opinion_fingerprint_new RENAME TO opinion_fingerprint")
    op.execute("CREATE INDEX ix_opinion_fingerprint_exact ON opinion_fingerprint "
               "(consultation_id, exact_key)")
    op.execute("CREATE INDEX ix_opinion_fingerprint_person ON opinion_fingerprint "
               "(consultation_id, person_key)")


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_band_table(with_rowid=False)
        _sqlite_fingerprint_table(with_bands=True)
        return
    op.drop_index('ix_opinion_band_opinion_id', table_name='opinion_band')
    op.drop_constraint('fk_opinion_band_consultation_id_consultation', 'opinion_band',
                       type_='foreignkey')
    op.drop_constraint('fk_opinion_band_opinion_id_opinion', 'opinion_band',
                       type_='foreignkey')
    op.add_column('opinion_fingerprint', sa.Column('bands', sa.LargeBinary(), nullable=True,
                                                   comment=BANDS_COMMENT))
    op.drop_constraint('fk_opinion_fingerprint_consultation_id_consultation',
                       'opinion_fingerprint', type_='foreignkey')
    op.drop_constraint('fk_opinion_fingerprint_opinion_id_opinion', 'opinion_fingerprint',
                       type_='foreignkey')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_fingerprint_table(with_bands=False)
        _sqlite_band_table(with_rowid=True)
        return
    op.create_foreign_key('fk_opinion_fingerprint_opinion_id_opinion', 'opinion_fingerprint',
                          'opinion', ['opinion_id'], ['id'], ondelete='CASCADE')
    op.create_foreign_key('fk_opinion_fingerprint_consultation_id_consultation',
                          'opinion_fingerprint', 'consultation', ['consultation_id'], ['id'],
                          ondelete='CASCADE')
    op.drop_column('opinion_fingerprint', 'bands')
    op.create_foreign_key('fk_opinion_band_opinion_id_opinion', 'opinion_band', 'opinion',
                          ['opinion_id'], ['id'], ondelete='CASCADE')
    op.create_foreign_key('fk_opinion_band_consultation_id_consultation', 'opinion_band',
                          'consultation', ['consultation_id'], ['id'], ondelete='CASCADE')
    op.create_index('ix_opinion_band_opinion_id', 'opinion_band', ['opinion_id'], unique=False)

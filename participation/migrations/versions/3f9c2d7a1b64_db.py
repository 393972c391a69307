"""the database guards what the code promises: constraints, archive FKs, indexes

Unique and check constraints (opinion references, one administrator role per
government, catalogue positions, one draft per decision, counters never negative,
withheld documents name their ground, a consultation's version belongs to its draft,
an opinion has exactly one source), RESTRICT instead of CASCADE on the archive
(decisions, consultations, opinions and their dossier), and an index led by every
foreign key column plus the list queries at scale.

Before changing anything the upgrade looks for rows that break the new constraints;
when it finds any it lists them and stops, changing nothing.

Revision ID: 3f9c2d7a1b64
Revises: 5c0e7a1f9d2b
Create Date: 2026-12-01 21:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f9c2d7a1b64'
down_revision = "5c0e7a1f9d2b"
branch_labels = None
depends_on = None


class ConstraintViolations(RuntimeError):
    """Rows already in the database break the constraints this revision adds."""


# (what is wrong, query listing the offending rows). Each query returns at most a few
# columns that identify the rows; the upgrade prints them all and stops.
CHECKS = [
    ("opinions sharing a consultation, channel and reference (consultation_id, channel,"
     " reference, count)",
     "SELECT consultation_id, channel, reference, count(*) FROM opinion"
     " WHERE reference IS NOT NULL GROUP BY consultation_id, channel, reference"
     " HAVING count(*) > 1"),
    ("users holding the administrator role twice in one government (user_id,"
     " government_id, count)",
     "SELECT user_id, government_id, count(*) FROM membership"
     " WHERE role = 'administrator' GROUP BY user_id, government_id HAVING count(*) > 1"),
    ("decisions sharing a number in their catalogue (catalogue_id, position, count)",
     "SELECT catalogue_id, position, count(*) FROM decision"
     " GROUP BY catalogue_id, position HAVING count(*) > 1"),
    ("decisions with more than one draft (decision_id, count)",
     "SELECT decision_id, count(*) FROM draft GROUP BY decision_id HAVING count(*) > 1"),
    ("consultations with a negative counter (id, opinion_count, public_opinion_count)",
     "SELECT id, opinion_count, public_opinion_count FROM consultation"
     " WHERE opinion_count < 0 OR public_opinion_count < 0"),
    ("draft articles with a negative opinion counter (id, opinion_count)",
     "SELECT id, opinion_count FROM draft_node WHERE opinion_count < 0"),
    ("verification codes with a negative attempt counter (id, attempts)",
     "SELECT id, attempts FROM verification_code WHERE attempts < 0"),
    ("withheld documents without a legal ground (id, decision_id)",
     "SELECT id, decision_id FROM document"
     " WHERE disclosure = 'withheld' AND withheld_ground = ''"),
    ("consultations whose version belongs to another draft (id, draft_id,"
     " draft_version_id)",
     "SELECT c.id, c.draft_id, c.draft_version_id FROM consultation c"
     " JOIN draft_version v ON v.id = c.draft_version_id WHERE v.draft_id <> c.draft_id"),
    ("opinions without a source (id)",
     "SELECT id FROM opinion WHERE consultation_id IS NULL"),
]

SHOWN_ROWS = 50


def find_violations(connection) -> list[str]:
    """One paragraph per kind of violation, listing the rows (empty when all is well)."""
    problems = []
    for description, query in CHECKS:
        rows = connection.execute(sa.text(query)).all()
        if not rows:
            continue
        lines = [f"- {len(rows)} {description}:"]
        lines += ["    " + ", ".join(str(value) for value in row) for row in rows[:SHOWN_ROWS]]
        if len(rows) > SHOWN_ROWS:
            lines.append(f"    … and {len(rows) - SHOWN_ROWS} more")
        problems.append("\n".join(lines))
    return problems


def report_violations() -> None:
    problems = find_violations(op.get_bind())
    if problems:
        message = ("Revision 3f9c2d7a1b64 adds constraints that rows in this database "
                   "break. Nothing was changed; correct these rows (`flask opinions "
                   "recount` fixes the counters) and run the upgrade again:\n"
                   + "\n".join(problems))
        print(message)  # noqa: T201 - shown to whoever runs `flask db upgrade`
        raise ConstraintViolations(message)


def _fk(batch_op, table, column, referent, ondelete):
    name = f"fk_{table}_{column}_{referent}"
    batch_op.drop_constraint(name, type_="foreignkey")
    batch_op.create_foreign_key(name, referent, [column], ["id"], ondelete=ondelete)


# (table, column, referred table, old ondelete): the archive keeps its rows.
ARCHIVE_FKS = [
    ("catalogue", "government_id", "government", "CASCADE"),
    ("decision", "government_id", "government", "CASCADE"),
    ("decision", "catalogue_id", "catalogue", "CASCADE"),
    ("decision_stage_change", "decision_id", "decision", "CASCADE"),
    ("catalogue_change", "catalogue_id", "catalogue", "CASCADE"),
    ("catalogue_change", "decision_id", "decision", "CASCADE"),
    ("document", "government_id", "government", "CASCADE"),
    ("document", "decision_id", "decision", "CASCADE"),
    ("draft", "government_id", "government", "CASCADE"),
    ("draft", "decision_id", "decision", "CASCADE"),
    ("draft_version", "draft_id", "draft", "CASCADE"),
    ("consultation", "government_id", "government", "CASCADE"),
    ("consultation", "decision_id", "decision", "CASCADE"),
    ("opinion", "government_id", "government", "CASCADE"),
    ("opinion", "decision_id", "decision", "CASCADE"),
    ("opinion", "consultation_id", "consultation", "CASCADE"),
    ("opinion", "draft_version_id", "draft_version", "SET NULL"),
    ("opinion", "node_id", "draft_node", "SET NULL"),
]

# (table, index name, columns) added for foreign keys and list queries.
NEW_INDEXES = [
    ("audit_entry", "ix_audit_entry_actor_id", ["actor_id"]),
    ("unit", "ix_unit_parent_id", ["parent_id"]),
    ("membership", "ix_membership_unit_id", ["unit_id"]),
    ("decision_stage_change", "ix_decision_stage_change_actor_id", ["actor_id"]),
    ("catalogue_change", "ix_catalogue_change_decision", ["decision_id", "id"]),
    ("document", "ix_document_government_id", ["government_id"]),
    ("document_attachment", "ix_document_attachment_stored_file_id", ["stored_file_id"]),
    ("draft", "ix_draft_government_id", ["government_id"]),
    ("draft_node", "ix_draft_node_parent_id", ["parent_id"]),
    ("consultation", "ix_consultation_draft_version", ["draft_version_id", "draft_id"]),
    ("consultation", "ix_consultation_draft_id", ["draft_id"]),
    ("consultation", "ix_consultation_opened_by_id", ["opened_by_id"]),
    ("opinion", "ix_opinion_consultation_list", ["consultation_id", "id"]),
    ("opinion", "ix_opinion_received_list", ["consultation_id", "received_at", "id"]),
    ("opinion", "ix_opinion_channel_list", ["consultation_id", "channel", "received_at", "id"]),
    ("opinion", "ix_opinion_author_list", ["author_id", "id"]),
    ("opinion", "ix_opinion_draft_version_id", ["draft_version_id"]),
    ("opinion", "ix_opinion_recorded_by_id", ["recorded_by_id"]),
    ("opinion", "ix_opinion_attachment_file_id", ["attachment_file_id"]),
    ("opinion_import", "ix_opinion_import_imported_by_id", ["imported_by_id"]),
]

# (table, constraint name, condition)
NEW_CHECKS = [
    ("verification_code", "ck_verification_code_attempts_not_negative", "attempts >= 0"),
    ("document", "ck_document_withheld_needs_ground",
     "disclosure <> 'withheld' OR withheld_ground <> ''"),
    ("draft_node", "ck_draft_node_opinion_count_not_negative", "opinion_count >= 0"),
    ("consultation", "ck_consultation_opinion_count_not_negative", "opinion_count >= 0"),
    ("consultation", "ck_consultation_public_opinion_count_not_negative",
     "public_opinion_count >= 0"),
    ("opinion", "ck_opinion_one_source",
     "(CASE WHEN consultation_id IS NOT NULL THEN 1 ELSE 0 END) = 1"),
]

# The order in which tables are rebuilt (referred tables before the tables referring).
TABLES = ["audit_entry", "unit", "membership", "verification_code", "catalogue",
          "decision", "decision_stage_change", "catalogue_change", "document",
          "document_attachment", "draft", "draft_version", "draft_node", "consultation",
          "opinion", "opinion_import"]


def upgrade():
    report_violations()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for fk_table, column, referent, _old in ARCHIVE_FKS:
                if fk_table == table:
                    _fk(batch_op, table, column, referent, "RESTRICT")
            for check_table, name, condition in NEW_CHECKS:
                if check_table == table:
                    batch_op.create_check_constraint(op.f(name), condition)
            if table == "decision":
                batch_op.create_unique_constraint(
                    op.f("uq_decision_catalogue_id_position"), ["catalogue_id", "position"])
            if table == "draft":
                batch_op.drop_index("ix_draft_decision_id")
                batch_op.create_unique_constraint(op.f("uq_draft_decision_id"),
                                                  ["decision_id"])
            if table == "draft_version":
                batch_op.create_unique_constraint(op.f("uq_draft_version_id_draft_id"),
                                                  ["id", "draft_id"])
            if table == "consultation":
                batch_op.drop_constraint("fk_consultation_draft_version_id_draft_version",
                                         type_="foreignkey")
                batch_op.create_foreign_key(
                    "fk_consultation_draft_version_of_draft", "draft_version",
                    ["draft_version_id", "draft_id"], ["id", "draft_id"],
                    ondelete="RESTRICT")
            if table == "opinion":
                batch_op.drop_index("ix_opinion_author_id")
                batch_op.drop_index("ix_opinion_reference")
            for index_table, name, columns in NEW_INDEXES:
                if index_table == table:
                    batch_op.create_index(name, columns, unique=False)
    # Partial unique indexes, once the tables are rebuilt.
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(
            "uq_membership_administrator", ["user_id", "government_id"], unique=True,
            sqlite_where=sa.text("role = 'administrator'"),
            postgresql_where=sa.text("role = 'administrator'"))
    with op.batch_alter_table("opinion", schema=None) as batch_op:
        batch_op.create_index(
            "uq_opinion_reference", ["consultation_id", "channel", "reference"], unique=True,
            sqlite_where=sa.text("reference IS NOT NULL"),
            postgresql_where=sa.text("reference IS NOT NULL"))


def downgrade():
    with op.batch_alter_table("opinion", schema=None) as batch_op:
        batch_op.drop_index("uq_opinion_reference")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index("uq_membership_administrator")
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index_table, name, _columns in NEW_INDEXES:
                if index_table == table:
                    batch_op.drop_index(name)
            if table == "opinion":
                batch_op.create_index("ix_opinion_reference",
                                      ["consultation_id", "channel", "reference"],
                                      unique=False)
                batch_op.create_index(op.f("ix_opinion_author_id"), ["author_id"],
                                      unique=False)
            if table == "consultation":
                batch_op.drop_constraint("fk_consultation_draft_version_of_draft",
                                         type_="foreignkey")
                batch_op.create_foreign_key(
                    "fk_consultation_draft_version_id_draft_version", "draft_version",
                    ["draft_version_id"], ["id"], ondelete="RESTRICT")
            if table == "draft_version":
                batch_op.drop_constraint(op.f("uq_draft_version_id_draft_id"), type_="unique")
            if table == "draft":
                batch_op.drop_constraint(op.f("uq_draft_decision_id"), type_="unique")
                batch_op.create_index(op.f("ix_draft_decision_id"), ["decision_id"],
                                      unique=False)
            if table == "decision":
                batch_op.drop_constraint(op.f("uq_decision_catalogue_id_position"),
                                         type_="unique")
            for check_table, name, _condition in NEW_CHECKS:
                if check_table == table:
                    batch_op.drop_constraint(op.f(name), type_="check")
            for fk_table, column, referent, old in ARCHIVE_FKS:
                if fk_table == table:
                    _fk(batch_op, table, column, referent, old)

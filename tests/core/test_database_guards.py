"""The database itself refuses what the code promises never to store (issue 5, section 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from participation import create_app
from participation.accounts.models import Membership, Role, VerificationCode, VerificationPurpose
from participation.catalogue.models import Decision
from participation.consultations.models import Consultation, Draft, DraftNode, DraftVersion
from participation.core.database import utcnow
from participation.dossier.models import Disclosure, Document, DocumentKind
from participation.extensions import db
from participation.opinions import operations
from participation.opinions.models import Channel, Opinion
from tests import factories
from tests.conftest import make_config, scratch_database_url

# The revision just before the one adding the guards (3f9c2d7a1b64).
BEFORE_GUARDS = "5c0e7a1f9d2b"


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def _refused(statement_or_objects) -> None:
    """The database refuses the change (and the session stays usable)."""
    def change() -> None:
        with db.session.begin_nested():
            if isinstance(statement_or_objects, list):
                db.session.add_all(statement_or_objects)
                db.session.flush()
            else:
                db.session.execute(statement_or_objects)

    with pytest.raises(IntegrityError):
        change()


def _offline(consultation, reference="12345-1", channel=Channel.HOTLINE, **values):
    return operations.record_offline(consultation, {
        "channel": channel, "reference": reference,
        "received_at": utcnow() - timedelta(hours=1), "body": "来电反映的意见内容。",
        **values})


def test_every_foreign_key_column_leads_an_index():
    """A delete or join on any foreign key finds its rows through an index."""
    missing = []
    for table in db.metadata.sorted_tables:
        leading = {index.columns.values()[0].name for index in table.indexes}
        leading |= {constraint.columns.values()[0].name for constraint in table.constraints
                    if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint)}
        missing += [f"{table.name}.{fk.column_keys[0]}"
                    for fk in table.foreign_key_constraints if fk.column_keys[0] not in leading]
    assert missing == []


def test_the_list_queries_have_their_indexes(app):
    indexes = {table: {tuple(c.name for c in index.columns) for index in
                       db.metadata.tables[table].indexes}
               for table in ("opinion", "catalogue_change")}
    assert ("consultation_id", "id") in indexes["opinion"]
    # The received list of every channel is merged from one scan per channel of it.
    assert ("consultation_id", "channel", "received_at", "id") in indexes["opinion"]
    assert ("author_id", "id") in indexes["opinion"]
    assert ("decision_id", "id") in indexes["catalogue_change"]


def test_deleting_a_decision_with_opinions_is_refused(consultation):
    article = db.session.scalar(sa.select(DraftNode).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.kind == "article"))
    opinion = _offline(consultation, node_id=article.id)
    db.session.commit()
    _refused(sa.delete(Decision).where(Decision.id == consultation.decision_id))
    _refused(sa.delete(Consultation).where(Consultation.id == consultation.id))
    _refused(sa.delete(DraftNode).where(DraftNode.id == article.id))
    assert db.session.get(Opinion, opinion.id) is not None
    assert db.session.get(Decision, consultation.decision_id) is not None


def test_a_reference_is_recorded_once_per_consultation_and_channel(consultation):
    first = _offline(consultation)
    twin = Opinion(receipt_number="TWIN", government_id=first.government_id,
                   decision_id=first.decision_id, consultation_id=consultation.id,
                   channel=Channel.HOTLINE, reference="12345-1", received_at=utcnow(),
                   body="同一工单的第二次录入。")
    _refused([twin])
    # Another channel, or no reference at all, is fine.
    _offline(consultation, channel=Channel.LETTER)
    _offline(consultation, reference="")
    _offline(consultation, reference="")
    assert db.session.scalar(sa.select(sa.func.count(Opinion.id))) == 4


def test_a_duplicate_reference_slipping_past_the_check_is_a_field_error(
        client, consultation, world, monkeypatch):
    from tests.conftest import login

    _offline(consultation)
    db.session.commit()
    # As when two moderators record the same ticket at the same moment.
    monkeypatch.setattr(operations, "_reference_taken", lambda *args: False)
    login(client, world.moderator)
    received = (utcnow() + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/admin/consultations/{consultation.id}/opinions/new", data={
        "channel": "hotline", "reference": "12345-1", "received_at": received,
        "node_id": "0", "body": "并发录入的同一工单内容。"})
    assert response.status_code == 200
    assert 'id="reference-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Opinion.id))) == 1


def test_one_administrator_role_per_user_and_government(world):
    # The unit is NULL for administrators, which the (user, government, unit, role)
    # unique constraint does not see.
    _refused([Membership(user_id=world.admin.id, government_id=world.government.id,
                         unit_id=None, role=Role.ADMINISTRATOR)])
    # Other roles may be held on several units.
    db.session.add(Membership(user_id=world.editor.id, government_id=world.government.id,
                              unit_id=world.other_unit.id, role=Role.EDITOR))
    db.session.flush()


def test_catalogue_positions_are_unique(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    _refused(sa.update(Decision).where(Decision.id == decision.id)
             .values(position=catalogue.decisions[0].position))


def test_one_draft_per_decision(consultation):
    _refused([Draft(government_id=consultation.government_id,
                    decision_id=consultation.decision_id, title="第二份草案")])


def test_counters_are_never_negative(consultation):
    node = db.session.scalar(sa.select(DraftNode).where(
        DraftNode.version_id == consultation.draft_version_id))
    _refused(sa.update(Consultation).where(Consultation.id == consultation.id)
             .values(opinion_count=-1))
    _refused(sa.update(Consultation).where(Consultation.id == consultation.id)
             .values(public_opinion_count=-1))
    _refused(sa.update(DraftNode).where(DraftNode.id == node.id).values(opinion_count=-1))
    _refused([VerificationCode(token="t", purpose=VerificationPurpose.REGISTER,
                               destination="13900000000", code_hash="x",
                               expires_at=utcnow(), attempts=-1)])


def test_a_withheld_document_carries_its_legal_ground(consultation):
    def document(ground):
        return Document(government_id=consultation.government_id,
                        decision_id=consultation.decision_id, kind=DocumentKind.RISK_ASSESSMENT,
                        title="风险评估报告", disclosure=Disclosure.WITHHELD,
                        withheld_ground=ground)

    _refused([document("")])
    db.session.add(document("《政府信息公开条例》第十四条"))
    db.session.flush()


def test_the_consultation_version_belongs_to_its_draft(world, consultation):
    catalogue = factories.make_catalogue(world.government, year=2027)
    other = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    _refused(sa.update(Consultation).where(Consultation.id == consultation.id)
             .values(draft_version_id=other.draft_version_id))
    version = db.session.get(DraftVersion, consultation.draft_version_id)
    assert version.draft_id == consultation.draft_id


def test_an_opinion_has_exactly_one_source(consultation):
    opinion = _offline(consultation)
    assert opinion.source is consultation
    _refused(sa.update(Opinion).where(Opinion.id == opinion.id).values(consultation_id=None))


@pytest.mark.no_db_transaction
def test_the_migration_lists_rows_that_break_the_constraints_and_stops(tmp_path, capsys):
    url = scratch_database_url(tmp_path, "guards")
    app = create_app(make_config(url, tmp_path))
    with app.app_context():
        upgrade(revision=BEFORE_GUARDS)
        now = utcnow()
        stamps = {"created_at": now, "updated_at": now}
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO government (id, slug, name, short_name, postal_address, email,"
                " hotline, office_phone, created_at, updated_at) VALUES (1, 'g', '镇', '',"
                " '', '', '', '', :created_at, :updated_at)"), stamps)
            connection.execute(sa.text(
                "INSERT INTO user_account (id, display_name, is_active_account,"
                " session_version, created_at, updated_at) VALUES (7, '管理员', :yes, 1,"
                " :created_at, :updated_at)"), {**stamps, "yes": True})
            for membership_id in (1, 2):
                connection.execute(sa.text(
                    "INSERT INTO membership (id, user_id, government_id, unit_id, role,"
                    " created_at, updated_at) VALUES (:id, 7, 1, NULL, 'administrator',"
                    " :created_at, :updated_at)"), {**stamps, "id": membership_id})
        with pytest.raises(SystemExit):  # flask db upgrade exits with an error
            upgrade()
        shown = capsys.readouterr().out
        assert "Nothing was changed" in shown
        assert "users holding the administrator role twice" in shown
        assert "    7, 1, 2" in shown
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) \
                == BEFORE_GUARDS
            indexes = {ix["name"] for ix in sa.inspect(connection).get_indexes("membership")}
        assert "uq_membership_administrator" not in indexes
        db.engine.dispose()


ARCHIVE_TABLES = ("opinion", "consultation", "decision", "draft_node", "document",
                  "catalogue_change", "membership")


def _row_counts() -> dict[str, int]:
    with db.engine.connect() as connection:
        return {table: connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
                for table in ARCHIVE_TABLES}


@pytest.mark.no_db_transaction
def test_the_migration_keeps_every_row_of_a_populated_database(tmp_path):
    """SQLite rebuilds tables to change constraints; with foreign keys on, dropping the
    old consultation table would cascade into the opinions."""
    from flask_migrate import downgrade

    from participation.demo import loader

    url = scratch_database_url(tmp_path, "populated")
    app = create_app(make_config(url, tmp_path))
    with app.app_context():
        # The demo is written with today's models, so at the head; going down to before
        # the guards and up again rebuilds the tables with every row in them.
        upgrade()
        loader.load_demo()
        db.session.commit()
        db.session.remove()
        before = _row_counts()
        assert before["opinion"] > 300
        downgrade(revision=BEFORE_GUARDS)
        assert _row_counts() == before
        upgrade()
        assert _row_counts() == before
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":  # and foreign keys are on again
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()

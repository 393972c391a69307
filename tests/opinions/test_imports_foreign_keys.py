"""An import's foreign keys: on PostgreSQL checked once per value after the ``COPY``
(the per-row triggers skipped for it alone), else row by row; either way a row naming a
missing row keeps none of the file."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from participation.extensions import db
from participation.opinions.imports import foreign_keys, running
from participation.opinions.models import ImportState, Opinion
from tests import factories

HEADER = ["工单编号", "渠道", "收到时间", "条款", "意见内容", "姓名", "联系方式"]
MISSING = 987_654_321


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def _file(rows: int, article: str = "") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for number in range(rows):
        writer.writerow([f"12345-{number:06d}", "热线", "2026-03-02 10:00", article,
                         f"第{number}条热线意见：建议增设公交站点。", "", ""])
    return buffer.getvalue().encode("gbk")


def _import(consultation, data: bytes):
    return factories.import_file(consultation, data)


def _stored(consultation) -> int:
    return db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.consultation_id == consultation.id))


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.mark.parametrize("once", [True, False], ids=["checked-once", "row-by-row"])
def test_rows_naming_a_missing_article_keep_none_of_the_file(world, consultation,
                                                             monkeypatch, once):
    """The article of every row was deleted after the labels were resolved: the
    database refuses the rows (the triggers, or the check once per value), and none of
    the file's 2,500 rows stays."""
    if not once and not _postgres():
        pytest.skip("SQLite's foreign keys are always checked row by row")
    monkeypatch.setattr(running, "article_resolver", lambda version: lambda label: MISSING)
    if _postgres() and not once:
        monkeypatch.setattr(foreign_keys, "may_check_once", lambda cursor, table: False)
    with pytest.raises(IntegrityError):
        _import(consultation, _file(2500, article="第1条"))
    assert _stored(consultation) == 0


def test_each_distinct_value_is_checked_once_and_the_triggers_come_back(world,
                                                                        consultation,
                                                                        monkeypatch):
    """On PostgreSQL: one look-up per foreign key over its distinct values (the
    consultation's constants, the articles named), the replication role back to what it
    was after the ``COPY``, so the next write in the same transaction is checked by the
    triggers again."""
    if not _postgres():
        pytest.skip("PostgreSQL only")
    checked = []
    original = foreign_keys.check_keys

    def spy(cursor, table_name, checks):
        checked.extend(checks)
        return original(cursor, table_name, checks)

    monkeypatch.setattr(foreign_keys, "check_keys", spy)
    outcome = _import(consultation, _file(3000))
    assert outcome.record.state == ImportState.IMPORTED
    assert _stored(consultation) == 3000
    values = {check.column: check.values for check in checked}
    assert values["consultation_id"] == {consultation.id}
    assert values["government_id"] == {consultation.government_id}
    assert values["import_id"] == {outcome.record.id}
    assert values["node_id"] == {None}
    connection = db.session.connection()
    assert connection.exec_driver_sql(
        "SELECT current_setting('session_replication_role')").scalar() == "origin"
    with pytest.raises(IntegrityError), db.session.begin_nested():
        connection.exec_driver_sql(
            "UPDATE opinion SET node_id = %(node)s WHERE id = (SELECT min(id) FROM opinion"
            " WHERE import_id = %(import)s)", {"node": MISSING, "import": outcome.record.id})

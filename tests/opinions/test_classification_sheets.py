"""The spreadsheet round trip: export with the classification, edit offline, apply back
(all or nothing, errors by row), on the web and from the command line."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions import classification as ops
from participation.opinions import operations
from participation.opinions.models import Disposition, Opinion, Stance, Topic
from tests import factories
from tests.conftest import login


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    for n, body in enumerate(["建议第五条推迟施行，联系电话13912345678。", "支持本办法。",
                              "第三条的记录要求过于繁琐。"]):
        operations.record_offline(consultation, {
            "channel": "hotline", "received_at": utcnow() - timedelta(hours=n + 1),
            "reference": f"RX{n}", "node_id": None, "body": body, "display_name": "",
            "contact": ""})
    ops.add_default_topics(consultation)
    db.session.commit()
    return consultation


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_the_csv_export_has_the_original_text_and_the_classification(
        client, world, consultation):
    login(client, world.editor)
    response = client.get(f"/admin/consultations/{consultation.id}/opinions/export")
    assert response.status_code == 200
    assert response.is_streamed
    assert "original-text" in response.headers["Content-Disposition"]
    rows = _rows(response.get_data())
    assert rows[0][0] == "意见ID"
    assert "含个人信息" in rows[0][5]
    assert len(rows) == 4
    assert "13912345678" in rows[1][5]  # officials' export: the original text
    assert rows[1][1] == "RX0"
    assert "12345" in rows[1][2]
    assert rows[1][2] != "hotline"
    assert rows[1][4] == "第五条"  # the cited article


def test_the_edited_file_is_applied(client, world, consultation):
    login(client, world.editor)
    rows = _rows(client.get(f"/admin/consultations/{consultation.id}/opinions/export")
                 .get_data())
    rows[1][6], rows[1][7], rows[1][9], rows[1][10] = "程序问题", "建议", "采纳", ""
    rows[2][7], rows[2][9], rows[2][10] = "support", "予以解释说明", "已在说明中解释。"
    response = client.post(f"/admin/consultations/{consultation.id}/classification/import",
                           data={"file": (io.BytesIO(_csv(rows)), "edited.csv")})
    assert response.status_code == 302
    first = db.session.get(Opinion, int(rows[1][0]))
    second = db.session.get(Opinion, int(rows[2][0]))
    assert first.topic.name == "程序问题"  # a new name adds the topic
    assert first.stance == Stance.SUGGESTION
    assert first.disposition == Disposition.ADOPTED
    assert second.stance == Stance.SUPPORT
    assert second.disposition == Disposition.EXPLAINED
    assert second.disposition_reason == "已在说明中解释。"
    [entry] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "opinion.classification_applied")).all()
    assert entry.changes["count"] == 2
    assert entry.changes["new_topics"] == ["程序问题"]


def test_a_file_with_errors_changes_nothing(client, world, consultation):
    login(client, world.editor)
    rows = _rows(client.get(f"/admin/consultations/{consultation.id}/opinions/export")
                 .get_data())
    rows[1][7] = "支持"
    rows[2][9], rows[2][10] = "不予采纳", ""  # no reason
    rows[3][0] = "99999"  # not an opinion of the consultation
    response = client.post(f"/admin/consultations/{consultation.id}/classification/import",
                           data={"file": (io.BytesIO(_csv(rows)), "edited.csv")})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "第3行" in text or "Line 3" in text
    assert "99999" in text
    assert db.session.scalar(sa.select(sa.func.count()).where(
        Opinion.stance.is_not(None))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Topic).where(
        Topic.consultation_id == consultation.id)) == len(ops.DEFAULT_TOPICS)


def test_the_xlsx_export_round_trips(client, world, consultation):
    login(client, world.editor)
    response = client.get(f"/admin/consultations/{consultation.id}/opinions/export"
                          "?format=xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.active
    assert sheet.max_row == 4
    sheet.cell(row=2, column=8, value="反对")
    out = io.BytesIO()
    workbook.save(out)
    response = client.post(f"/admin/consultations/{consultation.id}/classification/import",
                           data={"file": (io.BytesIO(out.getvalue()), "edited.xlsx")})
    assert response.status_code == 302
    opinion_id = int(sheet.cell(row=2, column=1).value)
    assert db.session.get(Opinion, opinion_id).stance == Stance.OPPOSE


def test_the_command_line_exports_and_applies(runner, consultation, tmp_path):
    path = tmp_path / "out.csv"
    result = runner.invoke(args=["opinions", "export", "--consultation",
                                 str(consultation.id), str(path)])
    assert result.exit_code == 0, result.output
    rows = _rows(path.read_bytes())
    rows[1][6] = "法律责任"
    path.write_bytes(_csv(rows))
    result = runner.invoke(args=["opinions", "apply-classification", "--consultation",
                                 str(consultation.id), str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.get(Opinion, int(rows[1][0])).topic.name == "法律责任"
    rows[1][9] = "不存在的结果"
    path.write_bytes(_csv(rows))
    result = runner.invoke(args=["opinions", "apply-classification", "--consultation",
                                 str(consultation.id), str(path)])
    assert result.exit_code != 0
    assert "不存在的结果" in result.output
    xlsx = tmp_path / "out.xlsx"
    result = runner.invoke(args=["opinions", "export", "--consultation", str(consultation.id),
                                 "--format", "xlsx", str(xlsx)])
    assert result.exit_code == 0
    assert openpyxl.load_workbook(xlsx).active.max_row == 4

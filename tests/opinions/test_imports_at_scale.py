"""Imports at scale: encodings named, the background task and its progress page, the
first 1,000 errors and the full list, the kept file, one signal per import."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core import signals
from participation.core.database import utcnow
from participation.core.tasks import Task, run_one
from participation.core.uploads import temporary_path
from participation.extensions import db
from participation.opinions.imports.reading import UnreadableFile, inspect_file
from participation.opinions.imports.running import discard_unconfirmed_imports
from participation.opinions.models import ImportState, Opinion, OpinionImport
from participation.opinions.receipts import RECEIPT_ALPHABET, new_receipt_number
from tests import factories
from tests.conftest import login

HEADER = ["工单编号", "渠道", "收到时间", "条款", "意见内容", "姓名", "联系方式"]


def csv_bytes(rows, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def good_rows(count: int, start: int = 0) -> list[list[str]]:
    return [[f"12345-{start + n:06d}", "热线", "2026-03-02 10:00", "",
             f"第{n}条热线意见：建议增设公交站点。", "", ""] for n in range(count)]


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def _opinions(consultation) -> list[Opinion]:
    return db.session.scalars(sa.select(Opinion).where(
        Opinion.consultation_id == consultation.id).order_by(Opinion.id)).all()


# -- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "text", "name"), [
    ("utf-8", "建议延长公示期。", "UTF-8"),
    ("utf-8-sig", "建议延长公示期。", "UTF-8 BOM"),
    ("gbk", "建议延长公示期。", "GBK"),
    ("gb18030", "建议延长公示期，𠀀字库外的字。", "GB18030"),  # 𠀀 is not in GBK
    ("utf-16", "建议延长公示期。", "UTF-16"),
])
def test_the_encoding_read_is_detected_over_the_whole_file_and_named(encoding, text, name):
    data = csv_bytes([["channel", "received_at", "body"]]
                     + [["hotline", "2026-03-02", "一条意见。"]] * 2000
                     + [["hotline", "2026-03-02", text]], encoding)
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            data.decode("gbk")

    info = inspect_file("o.csv", data)

    assert (info.kind, info.encoding) == ("csv", name)
    assert info.estimated_rows == 2001


def test_a_file_broken_after_its_first_megabyte_is_unreadable():
    head = csv_bytes([["channel", "received_at", "body"]]
                     + [["hotline", "2026-03-02", "一条完全正常的意见。"]] * 40000)
    assert len(head) > 1 << 20
    with pytest.raises(UnreadableFile):
        inspect_file("o.csv", head + b"hotline,2026-03-02,\xff\xfe\xff broken\r\n")


def test_receipt_numbers_keep_their_format_and_alphabet():
    numbers = {new_receipt_number() for _ in range(2000)}
    assert len(numbers) == 2000
    for number in numbers:
        groups = number.split("-")
        assert [len(group) for group in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set(RECEIPT_ALPHABET)
    # Every symbol of the alphabet turns up (the base32 mapping covers all 32).
    assert set("".join(numbers).replace("-", "")) == set(RECEIPT_ALPHABET)


# -- the page and the task -------------------------------------------------------------------


# -- storing ------------------------------------------------------------------------------

#: Columns an import and a one-by-one record may differ in.
_OWN_COLUMNS = {"id", "receipt_number", "reference", "import_id", "created_at", "updated_at",
                "group_id"}


def _stored_values(opinion_id: int) -> dict:
    """The row as the database holds it (no ORM type between)."""
    row = db.session.execute(sa.text("SELECT * FROM opinion WHERE id = :id"),
                             {"id": opinion_id}).mappings().one()
    return {key: value for key, value in row.items() if key not in _OWN_COLUMNS}


@pytest.mark.parametrize("body", [
    "建议第3条延长公示期，联系电话139 1234 5678，我叫王小明。",
    "建议延长公示期。",  # nothing found: the JSON columns' cached texts
])
def test_an_imported_row_is_stored_as_a_recorded_opinion_is(client, world, consultation, body):
    """The bulk path writes plain tuples (COPY or executemany): every column holds what
    the ORM stores for the same opinion recorded one by one, derived columns included."""
    from datetime import datetime

    from participation.opinions.operations import record_offline

    recorded = record_offline(consultation, {
        "channel": "hotline", "reference": "12345-000001",
        "received_at": datetime(2026, 3, 2, 2, 0), "body": body,
        "display_name": "王先生", "contact": "13912345678", "consent_to_publish": True,
    }, actor=world.moderator)
    db.session.commit()
    login(client, world.moderator)
    data = csv_bytes([[*HEADER, "同意公开"],
                      ["12345-000002", "热线", "2026-03-02 10:00", "", body, "王先生",
                       "13912345678", "是"]], "gbk")
    record = factories.import_through_page(client, consultation, data).record
    assert record.state == ImportState.UNCONFIRMED  # the same opinion: asked first
    assert _opinions(consultation) == [recorded]
    client.post(f"/admin/consultations/{consultation.id}/opinions/imports/{record.id}/confirm",
                data={"allow_duplicates": "y"})
    assert run_one() is True
    db.session.expire_all()
    assert record.state == ImportState.IMPORTED
    (imported,) = [o for o in _opinions(consultation) if o.import_id == record.id]
    assert _stored_values(imported.id) == _stored_values(recorded.id)
    assert ("139****5678" in imported.shown_body) == ("139" in body)
    assert imported.receipt_number != recorded.receipt_number
    factories.assert_counters_agree()


def test_an_error_after_thousands_of_stored_rows_keeps_none_of_them(client, world,
                                                                    consultation):
    """Rows are stored while the file is read; an error in its last row rolls them all
    back and the rest of the file is still checked."""
    rows = [*good_rows(2500), ["12345-X", "微博", "2026-03-02", "", "一条意见的内容。", "", ""]]
    login(client, world.moderator)
    page = factories.import_through_page(client, consultation,
                                         csv_bytes([HEADER, *rows], "gbk"))
    assert page.record.state == ImportState.REFUSED
    assert page.record.rows_checked == 2501
    assert [(e["line"], e["code"]) for e in page.record.first_errors] == [
        (2502, "unknown_channel")]
    assert _opinions(consultation) == []
    factories.assert_counters_agree()


def test_the_upload_returns_at_once_to_a_page_that_refreshes_until_done(client, world,
                                                                        consultation):
    login(client, world.editor)
    response = factories.upload_import(client, consultation,
                                       csv_bytes([HEADER, *good_rows(3)], "gbk"), "热线.csv")
    assert response.status_code == 302
    record = db.session.scalar(sa.select(OpinionImport).order_by(OpinionImport.id.desc()))
    assert record.state == ImportState.QUEUED
    assert temporary_path(record.upload_key).exists()  # kept while the task runs
    assert _opinions(consultation) == []
    waiting = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert "<progress" in waiting
    assert "等待开始" in waiting
    assert f'href="/admin/tasks/{record.task_id}"' in waiting

    assert run_one() is True
    db.session.expire_all()
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done
    assert "已导入 3 条意见。" in done
    assert "GBK" in done
    assert record.upload_key is None
    assert [o.import_id for o in _opinions(consultation)] == [record.id] * 3
    task_page = client.get(f"/admin/tasks/{record.task_id}").get_data(as_text=True)
    assert "已处理 3 / 3 行" in task_page
    factories.assert_counters_agree()


def test_more_than_a_thousand_errors_show_the_first_and_download_them_all(client, world,
                                                                         consultation):
    rows = [[f"T-{n}", "微博", "2026-03-02", "", "一条意见的内容。", "", ""] for n in range(1005)]
    login(client, world.editor)
    page = factories.import_through_page(client, consultation, csv_bytes([HEADER, *rows]))
    record = page.record
    text = page.get_data(as_text=True)
    assert record.state == ImportState.REFUSED
    assert (record.error_count, len(record.first_errors)) == (1005, 1000)
    assert "共发现 1005 处错误。" in text
    assert "下面列出前 1000 处。" in text
    errors_part = text.split('id="import-errors"')[1].split("</div>")[0]
    assert errors_part.count("<li>") == 1000
    assert record.upload_key is None  # nothing to confirm: the file is removed

    download = client.get(f"/admin/consultations/{consultation.id}/opinions/imports/"
                          f"{record.id}/errors.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert lines[0] == ["line", "column", "message"]
    assert len(lines) == 1006
    assert lines[1][:2] == ["2", "渠道"]
    assert lines[-1][0] == "1006"
    assert lines[-1][2].startswith("第1006行“渠道”列：")
    assert _opinions(consultation) == []

    client.post("/logout")
    login(client, world.other_approver)
    assert client.get(f"/admin/consultations/{consultation.id}/opinions/imports/"
                      f"{record.id}/errors.csv").status_code == 403
    assert client.get(f"/admin/consultations/{consultation.id}/opinions/imports/"
                      f"{record.id}").status_code == 403


def test_one_signal_for_the_whole_import_and_none_per_row(client, world, consultation):
    received, imported = [], []

    def on_received(sender, **kwargs):
        received.append(sender)

    def on_imported(sender, **kwargs):
        imported.append((sender, kwargs["opinion_ids"]))

    login(client, world.editor)
    with signals.opinion_received.connected_to(on_received), \
            signals.opinions_imported.connected_to(on_imported):
        factories.import_through_page(client, consultation, csv_bytes([HEADER, *good_rows(4)]))
    ids = [o.id for o in _opinions(consultation)]
    assert received == []
    assert imported == [(consultation, (min(ids), max(ids)))]
    assert len(ids) == 4


def test_a_large_file_is_accepted_by_the_import_page_only(app, client, world, consultation):
    data = csv_bytes([HEADER, *good_rows(300)])
    assert len(data) > 20_000
    login(client, world.editor)
    previous = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    try:
        assert factories.import_through_page(client, consultation, data).record.row_count == 300
        other = client.post(f"/admin/consultations/{consultation.id}/opinions/new",
                            data={"body": "x" * 20_000, "channel": "hotline"})
        assert other.status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = previous


def test_an_unconfirmed_import_is_discarded_after_a_day(client, world, consultation):
    data = csv_bytes([["channel", "received_at", "body"],
                      ["letter", "2026-03-06", "来信建议公布投诉电话。"],
                      ["letter", "2026-03-06", "来信建议公布投诉电话。"]])
    login(client, world.editor)
    record = factories.import_through_page(client, consultation, data).record
    assert record.state == ImportState.UNCONFIRMED
    path = temporary_path(record.upload_key)
    assert path.exists()
    assert discard_unconfirmed_imports(utcnow()) == 0  # not a day yet
    assert discard_unconfirmed_imports(utcnow() + timedelta(days=1, minutes=1)) == 1
    db.session.expire_all()
    assert (record.state, record.upload_key) == (ImportState.DISCARDED, None)
    assert not path.exists()
    page = client.get(f"/admin/consultations/{consultation.id}/opinions/imports/{record.id}")
    assert "未在期限内确认" in page.get_data(as_text=True)
    response = client.post(f"/admin/consultations/{consultation.id}/opinions/imports/"
                           f"{record.id}/confirm", data={"allow_duplicates": "y"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Task.id)).where(
        Task.kind == "opinions.import")) == 1  # no second task
    assert _opinions(consultation) == []


def test_an_xlsx_workbook_goes_through_the_same_task(client, world, consultation):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in [HEADER, *good_rows(5)]:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    login(client, world.editor)
    page = factories.import_through_page(client, consultation, buffer.getvalue(), "热线.xlsx")
    assert page.record.state == ImportState.IMPORTED
    assert (page.record.row_count, page.record.encoding) == (5, None)
    assert [o.reference for o in _opinions(consultation)] == [f"12345-{n:06d}"
                                                              for n in range(5)]


def _import_three_good_rows(runner, consultation, tmp_path):
    """``flask opinions import`` of a valid GBK file of three rows; its result."""
    path = tmp_path / "good.csv"
    path.write_bytes(csv_bytes([HEADER, *good_rows(3)], "gbk"))
    result = runner.invoke(args=["opinions", "import", "--consultation", str(consultation.id),
                                 str(path)])
    assert result.exit_code == 0, result.output
    return result


def test_the_command_line_writes_every_error_and_shows_progress(runner, consultation,
                                                               tmp_path):
    rows = [[f"T-{n}", "微博", "2026-03-02", "", "一条意见的内容。", "", ""] for n in range(1002)]
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([HEADER, *rows], "gb18030"))
    errors = tmp_path / "errors.csv"
    result = runner.invoke(args=["opinions", "import", "--consultation", str(consultation.id),
                                 "--errors", str(errors), str(path)])
    assert result.exit_code != 0
    assert "1002 error(s); nothing was imported." in result.output
    assert "… 2 more." in result.output
    assert "Checking rows" in result.output
    with errors.open(encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle))) == 1003
    result = _import_three_good_rows(runner, consultation, tmp_path)
    assert "Read as GBK." in result.output
    assert "Storing rows" in result.output
    assert len(_opinions(consultation)) == 3
    factories.assert_counters_agree()



def test_the_command_line_shows_the_preparation_for_grouping_of_a_large_import(
        runner, consultation, tmp_path, monkeypatch):
    """An import left to a background grouping task is fingerprinted before it commits:
    the command line shows that pass with a bar of its own, and it is done."""
    from participation.opinions.grouping import incremental
    from participation.opinions.grouping.models import OpinionFingerprint

    monkeypatch.setattr(incremental, "INLINE_IMPORT_LIMIT", 2)
    result = _import_three_good_rows(runner, consultation, tmp_path)
    assert "Preparing them for grouping" in result.output
    ids = [o.id for o in _opinions(consultation)]
    assert len(ids) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpinionFingerprint)
                             .where(OpinionFingerprint.opinion_id.in_(ids))) == 3


def test_the_kept_file_of_a_failed_task_is_removed_a_day_later(client, world, consultation):
    from participation.core.tasks import TaskState

    login(client, world.editor)
    factories.upload_import(client, consultation, csv_bytes([HEADER, *good_rows(2)]))
    record = db.session.scalar(sa.select(OpinionImport).order_by(OpinionImport.id.desc()))
    path = temporary_path(record.upload_key)
    task = db.session.get(Task, record.task_id)
    task.state, task.error = TaskState.FAILED, "RuntimeError: the worker ran out of disk"
    db.session.commit()
    page = client.get(f"/admin/consultations/{consultation.id}/opinions/imports/{record.id}")
    text = page.get_data(as_text=True)
    assert "导入因出错而中止" in text
    assert "ran out of disk" in text
    assert 'http-equiv="refresh"' not in text
    assert discard_unconfirmed_imports(utcnow() + timedelta(days=2)) == 1
    db.session.expire_all()
    assert record.state == ImportState.DISCARDED
    assert not path.exists()


def test_the_submitter_kind_column_is_read_and_checked(client, world, consultation):
    """提出者类型: 企业, 商会 … are stored with each opinion (an empty cell: a person); a
    value that is none of them is an error naming the line and what to write."""
    header = [*HEADER, "提出者类型"]
    bad = [header, *[[*row, kind] for row, kind in zip(good_rows(2), ["企业", "政府"],
                                                         strict=True)]]
    login(client, world.editor)
    refused = factories.import_through_page(client, consultation, csv_bytes(bad))
    assert refused.record.state == ImportState.REFUSED
    assert "第3行“提出者类型”列：“政府”不是提出者类型。" in refused.get_data(as_text=True)
    rows = [[*row, kind] for row, kind in zip(good_rows(3, start=10), ["企业", "", "商会"],
                                              strict=True)]
    done = factories.import_through_page(client, consultation, csv_bytes([header, *rows]))
    assert done.record.state == ImportState.IMPORTED
    assert [o.submitter_kind.value for o in _opinions(consultation)] == [
        "enterprise", "person", "trade_association"]

"""Bulk import of offline opinions from CSV and XLSX files."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import Babel

from participation.core import tasks
from participation.core.audit import AuditEntry
from participation.core.timeutil import utc_to_local
from participation.extensions import db
from participation.opinions import imports
from participation.opinions.imports import (
    CHANNEL_ALIASES,
    CHANNEL_CODES,
    ERROR_CODES,
    ImportRow,
    RowError,
    parse_opinion_file,
    template_csv,
)
from participation.opinions.models import ImportState, Opinion, OpinionImport
from tests import factories
from tests.conftest import login

NOW = datetime(2026, 3, 20, 12, 0)

HEADER = ["reference", "channel", "received_at", "article", "body", "name", "contact"]
CHINESE_HEADER = ["工单编号", "渠道", "收到时间", "条款", "意见内容", "署名", "联系方式"]
BODY = "建议延长公示期至三十日。"

ARTICLES = {
    "第十二条": 12,
    "第12条": 12,
    "12": 12,
    "十二": 12,
    "第十二条之一": 121,
    "（一）": 1001,
}


def resolve(label: str) -> int | None:
    return ARTICLES.get(label)


def parse(filename: str, data: bytes, **kwargs):
    kwargs.setdefault("resolve_article", resolve)
    kwargs.setdefault("now", NOW)
    return parse_opinion_file(filename, data, **kwargs)


def csv_bytes(rows, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(
    reference="",
    channel="hotline",
    received_at="2026-03-12 14:30",
    article="",
    body=BODY,
    name="",
    contact="",
):
    return [reference, channel, received_at, article, body, name, contact]


def codes(result) -> list[tuple[int, str | None, str]]:
    return [(error.line, error.column, error.code) for error in result.errors]


@pytest.fixture
def babel_app():
    app = Flask(__name__)
    Babel(app)
    return app


# --------------------------------------------------------------------------------------------
# Encodings and formats
# --------------------------------------------------------------------------------------------


def test_utf8_csv_parses_every_field():
    data = csv_bytes(
        [
            HEADER,
            row(
                "20260312001",
                "12345热线",
                "2026-03-12 14:30",
                "第12条",
                BODY,
                "张三",
                "13800000000",
            ),
            row("", "letter", "2026-03-13", "", "同意草案。\n补充一点意见。", "", ""),
        ]
    )

    result = parse("opinions.csv", data)

    assert result.ok, codes(result)
    assert result.rows == [
        ImportRow(
            line=2,
            reference="20260312001",
            channel="hotline",
            received_at=datetime(2026, 3, 12, 14, 30),
            article_id=12,
            article_label="第12条",
            body=BODY,
            name="张三",
            contact="13800000000",
        ),
        ImportRow(
            line=3,
            reference=None,
            channel="letter",
            received_at=datetime(2026, 3, 13),
            article_id=None,
            article_label=None,
            body="同意草案。\n补充一点意见。",
            name=None,
            contact=None,
        ),
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings(encoding):
    data = csv_bytes(
        [CHINESE_HEADER, row("A-1", "来信", "2026年3月12日", "第十二条", BODY, "李四")], encoding
    )
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")

    result = parse("opinions.csv", data)

    assert result.ok, codes(result)
    (parsed,) = result.rows
    assert parsed.channel == "letter"
    assert parsed.reference == "A-1"
    assert parsed.received_at == datetime(2026, 3, 12)
    assert parsed.article_id == 12
    assert parsed.consent_to_publish is False
    assert parsed.body == BODY
    assert parsed.name == "李四"


def test_tab_separated_text():
    data = csv_bytes([HEADER, row(body="意见，包含逗号, and commas")], delimiter="\t")

    for filename in ("opinions.tsv", "opinions.txt"):
        result = parse(filename, data)
        assert result.ok, codes(result)
        assert result.rows[0].body == "意见，包含逗号, and commas"


def test_quoted_multiline_body_counts_as_one_spreadsheet_row():
    data = csv_bytes(
        [HEADER, row(body="第一段意见。\r\n第二段意见。"), row(channel="微博"), row(body="短")]
    )

    result = parse("opinions.csv", data)

    assert codes(result) == [(3, "channel", "unknown_channel"), (4, "body", "body_too_short")]
    assert result.rows[0].body == "第一段意见。\n第二段意见。"


def test_xlsx_with_datetime_cells_and_numeric_references(tmp_path):
    serial_date = (date(2026, 3, 12) - date(1899, 12, 30)).days  # Excel's serial number
    path = tmp_path / "opinions.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(CHINESE_HEADER)
    sheet.append([20260312001, "热线", datetime(2026, 3, 12, 14, 30), 12, BODY, None, 13800000000])
    sheet.append([20260312002.0, "信函", date(2026, 3, 11), "第十二条之一", BODY, "王五", None])
    sheet.append([None, "座谈会", datetime(2026, 3, 10, 9, 0, 0, 999_999), None, BODY])
    # A date whose format openpyxl does not know (e.g. Chinese built-in formats) is a number.
    sheet.append([None, "走访", serial_date + 14.5 / 24, None, BODY])
    sheet.append([None, "问卷", 20260309, None, BODY])
    sheet.append([None, 12345, "2026/3/8 9:05", "（一）", BODY])
    workbook.save(path)

    result = parse("opinions.xlsx", path.read_bytes())

    assert result.ok, codes(result)
    assert [(r.line, r.reference, r.channel, r.received_at, r.article_id) for r in result.rows] == [
        (2, "20260312001", "hotline", datetime(2026, 3, 12, 14, 30), 12),
        (3, "20260312002", "letter", datetime(2026, 3, 11), 121),
        (4, None, "symposium", datetime(2026, 3, 10, 9, 0, 1), None),
        (5, None, "field_visit", datetime(2026, 3, 12, 14, 30), None),
        (6, None, "questionnaire", datetime(2026, 3, 9), None),
        (7, None, "hotline", datetime(2026, 3, 8, 9, 5), 1001),
    ]
    assert result.rows[0].contact == "13800000000"
    assert result.rows[1].name == "王五"


def test_xlsx_reads_first_worksheet_and_skips_empty_rows():
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.append(HEADER)
    first.append(row(body="第一张表的意见。"))
    first.append([None] * 7)
    first.append(["", "  ", None])
    first.append(row(body="第一张表的第二条意见。"))
    first["B20"] = "hotline"
    first["C20"] = datetime(2026, 3, 1)
    first["E20"] = "远处的一行意见。"
    workbook.create_sheet("other").append(["something", "else"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = parse("opinions.XLSX", buffer.getvalue())

    assert result.ok, codes(result)
    assert [(r.line, r.body) for r in result.rows] == [
        (2, "第一张表的意见。"),
        (5, "第一张表的第二条意见。"),
        (20, "远处的一行意见。"),
    ]


def test_xlsx_escaped_carriage_returns_are_unescaped():
    data = xlsx_bytes([HEADER, row(body="第一行_x000D_\n第二行")])

    result = parse("opinions.xlsx", data)

    assert result.ok, codes(result)
    assert result.rows[0].body == "第一行\n第二行"


GARBAGE = bytes(range(256)) * 8


def _not_a_workbook_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        pytest.param("opinions.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), id="xls"),
        pytest.param("opinions.xls", csv_bytes([HEADER, row()]), id="xls-extension"),
        pytest.param("opinions.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", id="pdf-as-xlsx"),
        pytest.param("opinions.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", id="pdf-as-csv"),
        pytest.param("opinions.csv", GARBAGE, id="garbage-csv"),
        pytest.param("opinions.xlsx", GARBAGE, id="garbage-xlsx"),
        pytest.param("opinions.xlsx", xlsx_bytes([HEADER, row()])[:300], id="truncated-zip"),
        pytest.param("opinions.xlsx", _not_a_workbook_zip(), id="zip-not-workbook"),
        pytest.param("opinions.csv", xlsx_bytes([HEADER, row()]), id="xlsx-as-csv"),
        pytest.param("opinions.pdf", b"%PDF-1.7\n", id="pdf"),
        pytest.param("opinions", csv_bytes([HEADER, row()]), id="no-extension"),
    ],
)
def test_unreadable_files(babel_app, filename, data):
    result = parse(filename, data)

    assert not result.ok
    assert result.rows == []
    assert codes(result) == [(0, None, "unreadable_file")]
    with babel_app.test_request_context():
        assert filename in result.errors[0].message


# --------------------------------------------------------------------------------------------
# Header
# --------------------------------------------------------------------------------------------


def test_chinese_headers_in_any_order_with_aliases():
    header = ["意见内容", "收到时间", "渠道", "参考编号", "姓名", "条款", "联系方式"]
    data = csv_bytes([header, [BODY, "2026-03-12", "电子邮件", "X-9", "赵六", "十二", "a@b.cn"]])

    result = parse("opinions.csv", data)

    assert result.ok, codes(result)
    (parsed,) = result.rows
    assert (parsed.reference, parsed.channel, parsed.name, parsed.contact) == (
        "X-9",
        "email",
        "赵六",
        "a@b.cn",
    )
    assert (parsed.article_id, parsed.article_label) == (12, "十二")


def test_header_names_ignore_case_spaces_and_optional_columns():
    data = csv_bytes([[" Channel ", "Received At", "BODY*"], ["hotline", "2026-03-12", BODY]])

    result = parse("opinions.csv", data)

    assert result.ok, codes(result)
    assert result.rows[0].reference is None
    assert result.rows[0].article_id is None


def test_missing_columns_reject_the_file_with_one_error(babel_app):
    data = csv_bytes([["reference", "渠道", "article"], ["1", "外星频道", "第九十九条"]])

    result = parse("opinions.csv", data)

    assert codes(result) == [(0, None, "missing_columns")]
    with babel_app.test_request_context():
        message = result.errors[0].message
    assert "received_at (收到时间)" in message
    assert "body (意见内容)" in message
    assert "channel" not in message


def test_unknown_columns_listed_once_and_rows_still_checked(babel_app):
    data = csv_bytes(
        [
            [*HEADER, "备注", "remarks"],
            [*row(), "x", "y"],
            [*row(channel="未知"), "x", "y"],
            [*row(), "", ""],
        ]
    )

    result = parse("opinions.csv", data)

    assert codes(result) == [(0, None, "unknown_columns"), (3, "channel", "unknown_channel")]
    with babel_app.test_request_context():
        assert "“备注”, “remarks”" in result.errors[0].message


def test_duplicate_columns_reject_the_file():
    data = csv_bytes(
        [["channel", "received_at", "body", "意见内容"], ["hotline", "2026-03-12", BODY, BODY]]
    )

    result = parse("opinions.csv", data)

    assert codes(result) == [(0, None, "duplicate_columns")]


def test_values_beyond_the_header_are_reported():
    text = "channel,received_at,body\r\nhotline,2026-03-12,我赞成这个方案, 但建议修改第三条。\r\n"

    result = parse("opinions.csv", text.encode())

    assert codes(result) == [(2, None, "extra_values")]


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


def test_several_errors_all_reported_with_line_numbers(babel_app):
    data = csv_bytes(
        [
            HEADER,  # line 1
            row(body="这一行没有问题。"),  # line 2
            [""] * 7,  # line 3: skipped
            row(channel="微博", received_at="明天"),  # line 4
            row(article="第九十九条", body="太短"),  # line 5
            row(received_at="", body=""),  # line 6
            row(channel="", name="名" * 101),  # line 7
            row(received_at="2026-04-01"),  # line 8
            row(body="最后一行也没有问题。"),  # line 9
        ]
    )

    result = parse("opinions.csv", data)

    assert codes(result) == [
        (4, "channel", "unknown_channel"),
        (4, "received_at", "bad_date"),
        (5, "article", "unknown_article"),
        (5, "body", "body_too_short"),
        (6, "received_at", "missing_value"),
        (6, "body", "missing_value"),
        (7, "channel", "missing_value"),
        (7, "name", "too_long"),
        (8, "received_at", "future_date"),
    ]
    assert [r.line for r in result.rows] == [2, 9]
    with babel_app.test_request_context():
        messages = [error.message for error in result.errors]
    assert messages[0].startswith("Line 4, column channel: unknown channel “微博”.")
    assert messages[1].startswith("Line 4, column received_at: “明天” is not a valid date.")


def test_error_messages_name_the_column_as_written(babel_app):
    data = csv_bytes([CHINESE_HEADER, row(channel="微博")])

    result = parse("opinions.csv", data)

    with babel_app.test_request_context():
        assert result.errors[0].message.startswith("Line 2, column 渠道: unknown channel “微博”.")


def test_empty_rows_are_skipped_silently():
    data = csv_bytes([[], HEADER, [], [""] * 7, [" ", "\t", "", "", "  ", "", ""], row(), []])

    result = parse("opinions.csv", data)

    assert result.ok, codes(result)
    assert [r.line for r in result.rows] == [6]


@pytest.mark.parametrize(
    "channel", sorted(alias for alias, code in CHANNEL_ALIASES.items() if code != "online")
)
def test_every_channel_alias(channel):
    result = parse("opinions.csv", csv_bytes([HEADER, row(channel=channel)]))

    assert result.ok, codes(result)
    assert result.rows[0].channel == CHANNEL_ALIASES[channel]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("HOTLINE", "hotline"),
        (" Field Visit ", "field_visit"),
        ("open-day", "open_day"),
        ("１２３４５热线", "hotline"),
        ("  座 谈 会 ", "symposium"),
    ],
)
def test_channels_are_case_and_space_insensitive(text, code):
    result = parse("opinions.csv", csv_bytes([HEADER, row(channel=text)]))

    assert result.ok, codes(result)
    assert result.rows[0].channel == code


@pytest.mark.parametrize(
    "channel", sorted(alias for alias, code in CHANNEL_ALIASES.items() if code == "online")
)
def test_online_channel_is_refused_naming_the_row_and_the_allowed_channels(babel_app, channel):
    result = parse("opinions.csv", csv_bytes([HEADER, row(), row(channel=f" {channel} ")]))

    assert codes(result) == [(3, "channel", "online_channel")]
    assert [r.line for r in result.rows] == [2]
    with babel_app.test_request_context():
        message = result.errors[0].message
    assert message.startswith("Line 3, column channel:")
    assert "hotline, letter, email" in message
    assert "online," not in message


def test_channel_codes():
    assert CHANNEL_CODES == (
        "online",
        "hotline",
        "letter",
        "email",
        "symposium",
        "hearing",
        "field_visit",
        "questionnaire",
        "poll",
        "open_day",
        "representative",
    )
    assert set(CHANNEL_ALIASES.values()) == set(CHANNEL_CODES)
    assert all(CHANNEL_ALIASES[code] == code for code in CHANNEL_CODES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-12", datetime(2026, 3, 12)),
        ("2026-03-12 14:30", datetime(2026, 3, 12, 14, 30)),
        ("2026-03-12 14:30:05", datetime(2026, 3, 12, 14, 30, 5)),
        ("2026-03-12T14:30:05", datetime(2026, 3, 12, 14, 30, 5)),
        ("2026/3/12", datetime(2026, 3, 12)),
        ("2026/3/12 9:05", datetime(2026, 3, 12, 9, 5)),
        ("2026.3.12", datetime(2026, 3, 12)),
        ("2026年3月12日", datetime(2026, 3, 12)),
        ("2026年3月12日 14时30分", datetime(2026, 3, 12, 14, 30)),
        ("2026年3月12日14:30", datetime(2026, 3, 12, 14, 30)),
        ("２０２６年３月１２日", datetime(2026, 3, 12)),
        ("20260312", datetime(2026, 3, 12)),
        (" 2026-03-12 ", datetime(2026, 3, 12)),
    ],
)
def test_date_formats(text, expected):
    result = parse("opinions.csv", csv_bytes([HEADER, row(received_at=text)]))

    assert result.ok, codes(result)
    assert result.rows[0].received_at == expected


@pytest.mark.parametrize(
    "text",
    ["2026-02-30", "12/03/2026", "昨天", "2026-03-12 25:00", "46093", "2026-03", "2026-03-12 下午"],
)
def test_bad_dates(text):
    result = parse("opinions.csv", csv_bytes([HEADER, row(received_at=text)]))

    assert codes(result) == [(2, "received_at", "bad_date")]


def test_future_dates_relative_to_now():
    data = csv_bytes(
        [
            HEADER,
            row(received_at="2026-03-20"),
            row(received_at="2026-03-20 12:00"),
            row(received_at="2026-03-20 12:00:01"),
            row(received_at="2026-03-21"),
        ]
    )

    result = parse("opinions.csv", data)

    assert codes(result) == [(4, "received_at", "future_date"), (5, "received_at", "future_date")]
    assert [r.line for r in result.rows] == [2, 3]


def test_a_received_time_written_again_is_judged_again_the_same_way(monkeypatch):
    """Received times are parsed once per text written (the parser keeps them, a
    bounded number at a time): rows repeating a good, a bad or a future time get the
    same verdict every time, also after the kept times are forgotten."""
    from participation.opinions.imports import rows as rows_module

    monkeypatch.setattr(rows_module, "_DATES_KEPT", 2)
    times = ["2026-03-12 14:30", "2026-02-30", "2026-03-21", "2026-03-12 14:30"] * 3
    data = csv_bytes([HEADER, *(row(received_at=text) for text in times)])

    result = parse("opinions.csv", data)

    assert codes(result) == [
        (line, "received_at", code)
        for line, text in enumerate(times, start=2)
        if (code := {"2026-02-30": "bad_date", "2026-03-21": "future_date"}.get(text))]
    assert [r.received_at for r in result.rows] == [datetime(2026, 3, 12, 14, 30)] * 6


def test_aware_now_is_converted_to_local_time():
    data = csv_bytes([HEADER, row(received_at="2026-03-20 15:00")])

    # 07:30 UTC is 15:30 in Shanghai
    assert parse("opinions.csv", data, now=datetime(2026, 3, 20, 7, 30, tzinfo=UTC)).ok
    assert not parse("opinions.csv", data, now=datetime(2026, 3, 20, 6, 30, tzinfo=UTC)).ok


def test_xlsx_future_datetime_cell():
    data = xlsx_bytes([HEADER, row(received_at=NOW + timedelta(minutes=1))])

    assert codes(parse("opinions.xlsx", data)) == [(2, "received_at", "future_date")]


def test_article_labels_are_normalised_before_resolving():
    seen = []

    def record(label):
        seen.append(label)
        return resolve(label)

    data = csv_bytes(
        [
            HEADER,
            row(article=" 第１２条 "),
            row(article="第 十二 条"),
            row(article="（一）"),
            row(article="１２"),
            row(article="   "),
        ]
    )

    result = parse("opinions.csv", data, resolve_article=record)

    assert result.ok, codes(result)
    assert seen == ["第12条", "第十二条", "（一）", "12"]
    assert [(r.article_id, r.article_label) for r in result.rows] == [
        (12, "第12条"),
        (12, "第十二条"),
        (1001, "（一）"),
        (12, "12"),
        (None, None),
    ]


def test_unknown_article(babel_app):
    result = parse("opinions.csv", csv_bytes([HEADER, row(article="第九十九条")]))

    assert codes(result) == [(2, "article", "unknown_article")]
    with babel_app.test_request_context():
        assert "“第九十九条”" in result.errors[0].message


def test_body_is_cleaned_but_html_kept():
    body = "  <b>加粗</b>\x01意见\x7f内容\r\n第二行\r第三行\t制表  "

    result = parse("opinions.csv", csv_bytes([HEADER, row(body=body, name="张\x1b三\n先生")]))

    assert result.ok, codes(result)
    assert result.rows[0].body == "<b>加粗</b>意见内容\n第二行\n第三行\t制表"
    assert result.rows[0].name == "张三 先生"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("一二三四五", None),
        ("  一二三四  ", "body_too_short"),
        ("\x01\x02一二三四\x03", "body_too_short"),
        ("长" * 5000, None),
        ("长" * 5001, "body_too_long"),
        ("   ", "missing_value"),
    ],
)
def test_body_length_limits(body, code):
    result = parse("opinions.csv", csv_bytes([HEADER, row(body=body)]))

    assert codes(result) == ([] if code is None else [(2, "body", code)])


@pytest.mark.parametrize(
    ("column", "limit"), [("name", 100), ("contact", 200), ("reference", 100), ("article", 50)]
)
def test_length_limits(babel_app, column, limit):
    ok = parse("opinions.csv", csv_bytes([HEADER, row(**{column: "1" * limit}), row()]))
    assert all(error.code != "too_long" for error in ok.errors)

    result = parse("opinions.csv", csv_bytes([HEADER, row(**{column: "1" * (limit + 1)})]))

    assert codes(result) == [(2, column, "too_long")]
    assert result.errors[0].params["length"] == limit + 1
    with babel_app.test_request_context():
        assert f"at most {limit} are allowed" in result.errors[0].message


def test_duplicate_references_within_the_file(babel_app):
    data = csv_bytes(
        [
            HEADER,
            row(reference="T-1"),
            row(reference="T-2"),
            row(reference="T-1", channel="letter"),  # another channel: another ticket
            row(reference=" T-1 ", channel="12345热线"),
            row(reference="T-2", body="短"),
        ]
    )

    result = parse("opinions.csv", data)

    assert codes(result) == [
        (5, "reference", "duplicate_reference"),
        (6, "reference", "duplicate_reference"),
        (6, "body", "body_too_short"),
    ]
    assert result.errors[0].params["first_line"] == 2
    with babel_app.test_request_context():
        assert "already appears on line 3" in result.errors[1].message


def test_references_already_imported(babel_app):
    data = xlsx_bytes(
        [
            HEADER,
            row(reference=20260312001),
            row(reference=20260312001, channel="letter"),
            row(reference="20260312002"),
        ]
    )

    result = parse(
        "opinions.xlsx",
        data,
        existing_references={("hotline", "20260312001"), ("email", "20260312002")},
    )

    assert codes(result) == [(2, "reference", "duplicate_reference")]
    assert [r.line for r in result.rows] == [3, 4]
    with babel_app.test_request_context():
        assert "has already been imported" in result.errors[0].message


def test_too_many_rows():
    rows = [HEADER, row(), [], row(), row()]

    assert parse("opinions.csv", csv_bytes(rows), max_rows=3).ok
    result = parse("opinions.csv", csv_bytes([*rows, row()]), max_rows=3)

    assert codes(result) == [(0, None, "too_many_rows")]
    assert result.rows == []
    assert result.errors[0].params["max"] == 3


def test_default_row_limit_is_a_million():
    import inspect

    assert imports.DEFAULT_MAX_ROWS == 1_000_000
    default = inspect.signature(parse_opinion_file).parameters["max_rows"].default
    assert default == imports.DEFAULT_MAX_ROWS


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes([HEADER]),
        csv_bytes([HEADER, [], ["", "", ""]]),
        b"",
        b"\xef\xbb\xbf\r\n\r\n",
        xlsx_bytes([HEADER]),
    ],
)
def test_no_rows(data):
    filename = "opinions.xlsx" if data.startswith(b"PK") else "opinions.csv"

    assert codes(parse(filename, data)) == [(0, None, "no_rows")]


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------

REQUIRED_CODES = {
    "unreadable_file",
    "missing_columns",
    "unknown_columns",
    "no_rows",
    "too_many_rows",
    "missing_value",
    "unknown_channel",
    "online_channel",
    "bad_date",
    "future_date",
    "unknown_article",
    "body_too_short",
    "body_too_long",
    "too_long",
    "duplicate_reference",
}


def _file_producing_every_error() -> dict[str, object]:
    """One parse result per error code."""
    return {
        "unreadable_file": parse("opinions.xls", b"\xd0\xcf\x11\xe0"),
        "missing_columns": parse("a.csv", csv_bytes([["body"], [BODY]])),
        "duplicate_columns": parse("a.csv", csv_bytes([[*HEADER, "意见"], [*row(), BODY]])),
        "unknown_columns": parse("a.csv", csv_bytes([[*HEADER, "备注"], [*row(), ""]])),
        "no_rows": parse("a.csv", csv_bytes([HEADER])),
        "too_many_rows": parse("a.csv", csv_bytes([HEADER, row(), row()]), max_rows=1),
        "extra_values": parse("a.csv", csv_bytes([HEADER, [*row(), "多余"]])),
        "missing_value": parse("a.csv", csv_bytes([HEADER, row(channel="")])),
        "unknown_channel": parse("a.csv", csv_bytes([HEADER, row(channel="微博")])),
        "online_channel": parse("a.csv", csv_bytes([HEADER, row(channel="网上")])),
        "bad_date": parse("a.csv", csv_bytes([HEADER, row(received_at="上周")])),
        "future_date": parse("a.csv", csv_bytes([HEADER, row(received_at="2027-01-01")])),
        "unknown_article": parse("a.csv", csv_bytes([HEADER, row(article="第一百条")])),
        "body_too_short": parse("a.csv", csv_bytes([HEADER, row(body="好")])),
        "body_too_long": parse("a.csv", csv_bytes([HEADER, row(body="长" * 5001)])),
        "too_long": parse("a.csv", csv_bytes([HEADER, row(contact="1" * 201)])),
        "duplicate_reference": parse("a.csv", csv_bytes([HEADER, row(reference="1")] * 2)),
        "bad_consent": parse("a.csv", csv_bytes([[*HEADER, "同意公开"], [*row(), "也许"]])),
        "bad_submitter_kind": parse("a.csv", csv_bytes([[*HEADER, "提出者类型"],
                                                         [*row(), "政府"]])),
    }


def test_every_error_code_has_its_own_message(babel_app):
    results = _file_producing_every_error()
    assert REQUIRED_CODES <= set(ERROR_CODES)
    assert set(results) == set(ERROR_CODES)

    messages = {}
    with babel_app.test_request_context():
        for code, result in results.items():
            assert code in {error.code for error in result.errors}, (code, codes(result))
            error = next(error for error in result.errors if error.code == code)
            messages[code] = error.message
            assert "%(" not in messages[code]
            assert messages[code].endswith(".")
            if error.line:
                assert messages[code].startswith(f"Line {error.line}")
    assert len(set(messages.values())) == len(messages)


def test_messages_are_translated_when_read(monkeypatch):
    error = RowError(line=3, column="channel", code="unknown_channel", params={"value": "x"})
    seen = []

    def fake_gettext(msgid, **variables):
        seen.append(msgid)
        return "translated"

    monkeypatch.setattr(imports.messages, "gettext", fake_gettext)

    assert error.message == "translated"
    assert seen == [
        "Line %(line)d, column %(column)s: unknown channel “%(value)s”. Use one of: %(allowed)s."
    ]


def test_template_csv_round_trips(babel_app):
    data = template_csv()

    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join([*HEADER, "consent_to_publish", "submitter_kind"])
    assert len(lines) == 2
    result = parse("template.csv", data)
    assert result.ok, codes(result)
    (parsed,) = result.rows
    assert parsed.channel == "hotline"
    assert parsed.reference == "20260312001"
    assert parsed.received_at == datetime(2026, 3, 12, 14, 30)
    assert parsed.article_id == 12
    assert parsed.submitter_kind == "person"


# --------------------------------------------------------------------------------------------
# Consent to publish
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("是", True), ("同意", True), ("1", True), ("true", True), ("TRUE", True),
        ("yes", True), (" Yes ", True), ("否", False), ("不同意", False), ("0", False),
        ("false", False), ("no", False), ("", False),
    ],
)
@pytest.mark.parametrize("header", ["consent_to_publish", "同意公开"])
def test_consent_column_in_chinese_and_english_forms(header, answer, expected):
    result = parse("a.csv", csv_bytes([[*HEADER, header], [*row(), answer]]))

    assert result.ok, codes(result)
    assert result.rows[0].consent_to_publish is expected


def test_consent_defaults_to_not_public_and_reads_xlsx_booleans_and_numbers():
    without = parse("a.csv", csv_bytes([HEADER, row()]))
    assert without.rows[0].consent_to_publish is False
    data = xlsx_bytes([[*HEADER, "同意公开"], [*row(), True], [*row(), False], [*row(), 1],
                       [*row(), 0], [*row(), None]])
    result = parse("a.xlsx", data)
    assert result.ok, codes(result)
    assert [r.consent_to_publish for r in result.rows] == [True, False, True, False, False]


def test_an_unclear_consent_is_an_error_naming_the_line(babel_app):
    result = parse("a.csv", csv_bytes([[*HEADER, "同意公开"], [*row(), "是"], [*row(), "可以吧"]]))

    assert codes(result) == [(3, "consent_to_publish", "bad_consent")]
    with babel_app.test_request_context():
        assert result.errors[0].message.startswith("Line 3, column 同意公开:")


# --------------------------------------------------------------------------------------------
# Importing into a consultation (web page and command line)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def stored_opinions(consultation) -> list[Opinion]:
    return db.session.scalars(sa.select(Opinion).where(Opinion.consultation_id
                                                       == consultation.id)
                              .order_by(Opinion.id)).all()


def test_imported_consent_is_stored_and_only_consenting_opinions_are_public(
        client, world, consultation):
    data = csv_bytes([
        ["渠道", "收到时间", "意见内容", "署名", "同意公开"],
        ["热线", "2026-03-02 10:00", "同意公开的热线意见内容。", "王先生", "同意"],
        ["信函", "2026-03-03", "不同意公开的来信意见内容。", "赵女士", "不同意"],
        ["座谈会", "2026-03-04", "没有填写是否公开的意见。", "", ""],
    ])
    login(client, world.moderator)
    page = factories.import_through_page(client, consultation, data)
    assert "已导入 3 条意见。" in page.get_data(as_text=True)
    opinions = stored_opinions(consultation)
    assert [o.consent_to_publish for o in opinions] == [True, False, False]
    assert {o.import_id for o in opinions} == {page.record.id}
    db.session.refresh(consultation)
    assert consultation.opinion_count == 3
    assert consultation.public_opinion_count == 1
    client.post("/logout")
    page = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    assert "同意公开的热线意见内容" in page
    assert "不同意公开的来信意见内容" not in page
    assert "没有填写是否公开的意见" not in page


# -- re-imports: the same file again, identical rows --------------------------------------

NO_REFERENCES = csv_bytes([
    ["channel", "received_at", "body", "name"],
    ["热线", "2026-03-02 10:00", "建议在镇区增设垃圾分类投放点。", "王先生"],
    ["座谈会", "2026-03-05 15:00", "希望延长过渡期至六个月。", ""],
])


def imports_of(consultation, state: ImportState | None = ImportState.IMPORTED
               ) -> list[OpinionImport]:
    query = sa.select(OpinionImport).where(OpinionImport.consultation_id == consultation.id)
    if state is not None:
        query = query.where(OpinionImport.state == state)
    return db.session.scalars(query.order_by(OpinionImport.id)).all()


def confirm(client, consultation, record, **form):
    return client.post(f"/admin/consultations/{consultation.id}/opinions/imports/{record.id}"
                       "/confirm", data=form)


def test_a_reimported_file_is_detected_and_imported_only_when_confirmed(
        client, world, consultation):
    login(client, world.moderator)
    factories.import_through_page(client, consultation, NO_REFERENCES, "热线.csv")
    (first,) = imports_of(consultation)
    assert first.sha256 == hashlib.sha256(NO_REFERENCES).hexdigest()
    assert (first.filename, first.row_count) == ("热线.csv", 2)
    assert first.imported_by_id == world.moderator.id

    response = factories.import_through_page(client, consultation, NO_REFERENCES,
                                             "热线-副本.csv")
    page = response.get_data(as_text=True)
    second = response.record
    assert second.state == ImportState.UNCONFIRMED
    day = utc_to_local(first.created_at).strftime("%Y-%m-%d")
    assert f"此文件已于{day}" in page
    assert "导入过（“热线.csv”，2条意见）" in page
    assert "2行与已录入的意见完全相同：第2, 3行" in page
    assert 'type="checkbox"' in page
    assert 'name="allow_duplicates"' in page
    assert f"/opinions/imports/{second.id}/confirm" in page
    assert len(stored_opinions(consultation)) == 2
    assert len(imports_of(consultation)) == 1

    assert confirm(client, consultation, second, allow_duplicates="y").status_code == 302
    assert tasks.run_one() is True
    db.session.expire_all()
    assert second.state == ImportState.IMPORTED
    assert second.upload_key is None  # the kept file is removed once imported
    assert len(stored_opinions(consultation)) == 4
    assert [i.filename for i in imports_of(consultation)] == ["热线.csv", "热线-副本.csv"]
    db.session.refresh(consultation)
    assert consultation.opinion_count == 4
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action
                                                          == "opinion.imported")
                              .order_by(AuditEntry.id.desc()))
    assert entry.changes["confirmed_duplicates"]["identical_lines"] == [2, 3]
    assert entry.changes["confirmed_duplicates"]["earlier_imports"] == [first.id]
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "opinion.import_confirmed", AuditEntry.object_id == second.id)) == 1


def test_confirming_needs_the_box_and_a_waiting_import(client, world, consultation):
    login(client, world.moderator)
    factories.import_through_page(client, consultation, NO_REFERENCES)
    waiting = factories.import_through_page(client, consultation, NO_REFERENCES).record
    response = confirm(client, consultation, waiting)  # the box not ticked
    assert response.status_code == 302
    assert tasks.run_one() is False
    db.session.expire_all()
    assert waiting.state == ImportState.UNCONFIRMED
    assert "勾选" in client.get(response.headers["Location"]).get_data(as_text=True)
    (done,) = imports_of(consultation)
    confirm(client, consultation, done, allow_duplicates="y")  # imported already
    assert tasks.run_one() is False
    assert len(stored_opinions(consultation)) == 2


def test_identical_rows_in_another_file_are_asked_about(client, world, consultation):
    login(client, world.moderator)
    factories.import_through_page(client, consultation, NO_REFERENCES)
    data = csv_bytes([
        ["渠道", "收到时间", "意见内容", "姓名"],
        ["信函", "2026-03-06", "来信建议公布投诉电话。", ""],
        ["12345", "2026/3/2 10:00", "建议在镇区增设垃圾分类投放点。", "王先生"],
        # Not identical: another name, another time, another channel.
        ["热线", "2026-03-02 10:00", "建议在镇区增设垃圾分类投放点。", "李女士"],
        ["热线", "2026-03-02 10:01", "建议在镇区增设垃圾分类投放点。", "王先生"],
        ["信函", "2026-03-02 10:00", "建议在镇区增设垃圾分类投放点。", "王先生"],
    ])
    page = factories.import_through_page(client, consultation, data).get_data(as_text=True)
    assert "1行与已录入的意见完全相同：第3行" in page
    assert "此文件已于" not in page
    assert len(stored_opinions(consultation)) == 2


def test_rows_repeated_within_the_file_are_asked_about(client, world, consultation):
    repeated = csv_bytes([
        ["channel", "received_at", "body"],
        ["letter", "2026-03-06", "来信建议公布投诉电话。"],
        ["hotline", "2026-03-06", "建议增加夜间公交班次。"],
        ["letter", "2026-03-06", "来信建议公布投诉电话。"],
    ])
    login(client, world.moderator)
    response = factories.import_through_page(client, consultation, repeated)
    assert "1行与文件中前面的行完全相同：第4行" in response.get_data(as_text=True)
    assert stored_opinions(consultation) == []
    confirm(client, consultation, response.record, allow_duplicates="y")
    assert tasks.run_one() is True
    assert len(stored_opinions(consultation)) == 3


def test_a_file_without_duplicates_imports_at_once(client, world, consultation):
    login(client, world.moderator)
    factories.import_through_page(client, consultation, NO_REFERENCES)
    data = csv_bytes([["channel", "received_at", "body"],
                      ["letter", "2026-03-06", "来信建议公布投诉电话。"]])
    assert factories.import_through_page(client, consultation, data).record.state \
        == ImportState.IMPORTED
    assert len(stored_opinions(consultation)) == 3


def test_the_command_line_refuses_a_reimport_unless_allowed(runner, consultation, tmp_path):
    path = tmp_path / "hotline.csv"
    path.write_bytes(NO_REFERENCES)
    command = ["opinions", "import", "--consultation", str(consultation.id), str(path)]
    assert runner.invoke(args=command).exit_code == 0
    result = runner.invoke(args=command)
    assert result.exit_code != 0
    assert "此文件已于" in result.output
    assert "2行与已录入的意见完全相同：第2, 3行" in result.output
    assert "--allow-duplicates" in result.output
    assert len(stored_opinions(consultation)) == 2
    result = runner.invoke(args=[*command[:-1], "--allow-duplicates", str(path)])
    assert result.exit_code == 0, result.output
    assert len(stored_opinions(consultation)) == 4
    assert [i.row_count for i in imports_of(consultation)] == [2, 2]
    assert [i.state for i in imports_of(consultation, None)] == [
        ImportState.IMPORTED, ImportState.DISCARDED, ImportState.IMPORTED]


def test_a_reference_recorded_meanwhile_refuses_the_whole_import(client, world, consultation,
                                                                monkeypatch):
    """Two officials at once: the database's unique reference decides, nothing of the file
    is kept and the page names the row (not a server error)."""
    from participation.opinions import operations as opinion_ops
    from participation.opinions.imports import running

    real = running.ReferenceIndex
    calls = []

    def another_official_records_the_same_ticket(*args, **kwargs):
        # Once the file's references were read, before its rows go in.
        index = real(*args, **kwargs)
        if not calls:
            calls.append(1)
            with db.session.no_autoflush:
                opinion_ops.record_offline(consultation, {
                    "channel": "hotline", "reference": "12345-0001",
                    "received_at": datetime(2026, 3, 1, 2, 0),
                    "body": "另一位工作人员同时登记的热线意见。",
                })
        return index

    monkeypatch.setattr(running, "ReferenceIndex", another_official_records_the_same_ticket)
    data = csv_bytes([["工单编号", "渠道", "收到时间", "意见内容"],
                      ["12345-0001", "热线", "2026-03-02 10:00", "文件里的同一张工单的意见内容。"],
                      ["12345-0002", "热线", "2026-03-02 11:00", "文件里另一张工单的意见内容。"]])
    login(client, world.moderator)
    response = factories.import_through_page(client, consultation, data)
    assert response.status_code == 200
    assert response.record.state == ImportState.REFUSED
    assert [(e["line"], e["code"]) for e in response.record.first_errors] == [
        (2, "duplicate_reference")]
    assert "第2行“工单编号”列：该渠道编号为“12345-0001”的意见已导入过。" in \
        response.get_data(as_text=True)
    assert not [o for o in stored_opinions(consultation) if o.reference == "12345-0002"]
    factories.assert_counters_agree()

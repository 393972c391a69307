"""Text extraction from Word (.docx) drafts."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from participation.consultations.docx_text import DraftFileError, docx_lines
from participation.consultations.outline import iter_nodes, parse_outline


def build_docx() -> bytes:
    document = docx.Document()
    document.add_heading("某镇村庄规划管理办法（征求意见稿）", level=1)
    document.add_paragraph("")
    document.add_paragraph("   ")
    document.add_paragraph("第一章　总则")
    document.add_paragraph("　第一条　为了加强村庄规划管理，制定本办法。　")
    paragraph = document.add_paragraph("第二条　本办法适用于本镇行政区域。")
    paragraph.add_run().add_break()
    paragraph.add_run("本办法所称村庄规划，是指村庄建设的总体安排。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "第三条"
    table.cell(0, 1).text = "村庄规划应当征求村民意见。"
    merged = table.cell(1, 0).merge(table.cell(1, 1))
    merged.text = "第四条　本办法自发布之日起施行。"
    document.add_paragraph("某镇人民政府")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


EXPECTED = [
    "某镇村庄规划管理办法（征求意见稿）",
    "第一章　总则",
    "第一条　为了加强村庄规划管理，制定本办法。",
    "第二条　本办法适用于本镇行政区域。",
    "本办法所称村庄规划，是指村庄建设的总体安排。",
    "第三条",
    "村庄规划应当征求村民意见。",
    "第四条　本办法自发布之日起施行。",
    "某镇人民政府",
]


def test_lines_in_document_order_from_bytes() -> None:
    assert docx_lines(build_docx()) == EXPECTED


def test_lines_from_a_file_object() -> None:
    assert docx_lines(io.BytesIO(build_docx())) == EXPECTED


def test_extracted_lines_feed_the_parser() -> None:
    nodes = parse_outline("\n".join(docx_lines(build_docx())))
    articles = [n for n in iter_nodes(nodes) if n.kind == "article"]
    assert [a.label for a in articles] == ["第一条", "第二条", "第三条", "第四条"]
    assert [c.label for c in articles[1].children] == ["第二款"]


def test_nested_table() -> None:
    document = docx.Document()
    outer = document.add_table(rows=1, cols=1)
    outer.cell(0, 0).text = "外层"
    inner = outer.cell(0, 0).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "内层一"
    inner.cell(0, 1).text = "内层二"
    document.add_paragraph("表后")
    buffer = io.BytesIO()
    document.save(buffer)
    assert docx_lines(buffer.getvalue()) == ["外层", "内层一", "内层二", "表后"]


def test_tracked_changes_content_controls_and_vertical_merges() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("第一条　公示期为")
    inserted = OxmlElement("w:ins")
    inserted.set(qn("w:id"), "1")
    inserted.set(qn("w:author"), "起草组")
    inserted.append(run_element("十五"))
    deleted = OxmlElement("w:del")
    deleted.set(qn("w:id"), "2")
    deleted.set(qn("w:author"), "起草组")
    deleted.append(run_element("七", tag="w:delText"))
    paragraph._p.append(deleted)
    paragraph._p.append(inserted)
    paragraph.add_run("日。")

    control = OxmlElement("w:sdt")
    content = OxmlElement("w:sdtContent")
    inner = document.add_paragraph("第二条　由镇政府负责解释。")._p
    content.append(inner)  # moves the paragraph into the content control
    control.append(content)
    document.element.body.insert(len(document.element.body) - 1, control)

    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "合并单元格"
    table.cell(0, 1).text = "右上"
    table.cell(1, 1).text = "右下"
    buffer = io.BytesIO()
    document.save(buffer)
    assert docx_lines(buffer.getvalue()) == [
        "第一条　公示期为十五日。",
        "第二条　由镇政府负责解释。",
        "合并单元格",
        "右上",
        "右下",
    ]


def run_element(text: str, tag: str = "w:t"):
    run = OxmlElement("w:r")
    node = OxmlElement(tag)
    node.text = text
    run.append(node)
    return run


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "docx_empty"),
        (b"plain text, not a Word file", "docx_unreadable"),
        (b"PK\x03\x04 truncated", "docx_unreadable"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "docx_legacy_format"),
        (zip_bytes({"hello.txt": b"hi"}), "docx_unreadable"),
        (zip_bytes({"word/document.xml": b"<not xml"}), "docx_unreadable"),
    ],
)
def test_invalid_files(data: bytes, code: str) -> None:
    with pytest.raises(DraftFileError) as caught:
        docx_lines(data)
    assert caught.value.code == code
    assert caught.value.message
    assert str(caught.value) == caught.value.message


def test_corrupted_docx_part() -> None:
    original = zipfile.ZipFile(io.BytesIO(build_docx()))
    files = {name: original.read(name) for name in original.namelist()}
    files["word/document.xml"] = b"<w:document>broken"
    with pytest.raises(DraftFileError) as caught:
        docx_lines(zip_bytes(files))
    assert caught.value.code == "docx_unreadable"


def test_uncompressed_size_limit() -> None:
    data = build_docx()
    with pytest.raises(DraftFileError) as caught:
        docx_lines(data, max_uncompressed=1000)
    assert caught.value.code == "docx_too_large"


def test_text_mode_file_is_rejected() -> None:
    with pytest.raises(DraftFileError) as caught:
        docx_lines(io.StringIO("第一条"))  # type: ignore[arg-type]
    assert caught.value.code == "docx_unreadable"


def test_empty_document_gives_no_lines() -> None:
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    assert docx_lines(buffer.getvalue()) == []

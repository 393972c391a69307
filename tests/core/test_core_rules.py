"""Cross-cutting rules: masking, sanitizing, uploads, secrets, headers, CSRF, errors."""

from __future__ import annotations

import io
import os
import re
import zipfile

import pytest

from participation import create_app
from participation.config import load_secret_key
from participation.core.errors import DomainError
from participation.core.pii import mask_personal_data
from participation.core.sanitize import document_html, plain_text
from participation.core.uploads import DOCX, ODT, PDF, PNG, XLSX, sniff, store_upload
from tests.conftest import make_config


@pytest.mark.parametrize(("text", "hidden", "shown"), [
    ("请回电13912345678", "13912345678", "139****5678"),
    ("手机：+86 139-1234-5678。", "1234-5678", "139****5678"),
    ("身份证号110101199003071233", "110101199003071233", "1101**********1233"),
    ("证件 11010519491231002X 已提供", "11010519491231002X", "1101**********002X"),
    ("办公电话0739-5550128", "5550128", "0739-****0128"),
    ("邮箱 zhang.san@example.com", "zhang.san@", "z***@example.com"),
])
def test_personal_numbers_are_masked(text, hidden, shown):
    masked = mask_personal_data(text)
    assert hidden not in masked
    assert shown in masked


def test_ordinary_numbers_are_not_masked():
    text = "第十二条规定的2026年补贴标准为每户300元，共计1200户。"
    assert mask_personal_data(text) == text


def test_plain_text_keeps_what_people_typed_but_drops_control_characters():
    assert plain_text("<b>粗体</b>\x00\u202e 文本\r\n第二行") == "<b>粗体</b> 文本\n第二行"
    assert plain_text("  多个   空格 \n 换行 ", multiline=False) == "多个 空格 换行"


def test_document_html_is_reduced_to_the_allow_list():
    html = document_html('<p onclick="x()">正文<script>alert(1)</script>'
                         '<a href="javascript:alert(1)">链接</a><img src=x onerror=y>'
                         '<table><tr><td>表格</td></tr></table></p>')
    assert "onclick" not in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "<img" not in html
    assert "<table>" in html
    assert "<p>" in html


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_file_types_are_judged_by_content():
    assert sniff(b"%PDF-1.7\n...") is PDF
    assert sniff(b"\x89PNG\r\n\x1a\n....") is PNG
    assert sniff(_zip({"word/document.xml": b"<w/>"})) is DOCX
    assert sniff(_zip({"xl/workbook.xml": b"<x/>"})) is XLSX
    assert sniff(_zip({"mimetype": b"application/vnd.oasis.opendocument.text"})) is ODT
    assert sniff(b"<html><script>alert(1)</script>") is None
    assert sniff(b"MZ\x90\x00 an executable") is None
    with pytest.raises(DomainError) as error:
        sniff(_zip({"word/document.xml": b"<w/>", "word/vbaProject.bin": b"macro"}))
    assert error.value.code == "macros"


def test_uploads_are_stored_once_by_hash_and_checked(app):
    data = b"%PDF-1.4 test document"
    first = store_upload(data)
    second = store_upload(data)
    assert first.id == second.id
    assert first.path.read_bytes() == data
    assert first.path.name == first.sha256
    with pytest.raises(DomainError) as error:
        store_upload(b"#!/bin/sh\nrm -rf /")
    assert error.value.code == "type_not_allowed"
    with pytest.raises(DomainError) as error:
        store_upload(b"")
    assert error.value.code == "empty"
    app.config["MAX_UPLOAD_BYTES"], limit = 10, app.config["MAX_UPLOAD_BYTES"]
    try:
        with pytest.raises(DomainError) as error:
            store_upload(b"%PDF-1.4 bigger than ten bytes")
        assert error.value.code == "too_large"
    finally:
        app.config["MAX_UPLOAD_BYTES"] = limit


def test_secret_key_is_generated_once_and_never_fixed(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PARTICIPATION_SECRET_KEY", raising=False)
    first = load_secret_key(tmp_path)
    assert len(first) >= 64
    assert load_secret_key(tmp_path) == first
    assert oct(os.stat(tmp_path / "secret_key").st_mode)[-3:] == "600"
    assert load_secret_key(tmp_path / "other") != first
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert load_secret_key(tmp_path) == "from-the-environment"


def test_pages_send_security_headers_and_load_nothing_from_elsewhere(client, world):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    page = response.get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert 'lang="zh-CN"' in page


def test_the_english_locale_is_one_click_away(client, world):
    response = client.get("/locale/en?next=/catalogue")
    assert response.headers["Location"] == "/catalogue"
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Decision catalogue" in page


def test_forms_refuse_posts_without_a_csrf_token(database_url, tmp_path, world):
    app = create_app(make_config(database_url, tmp_path, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    response = client.post("/login", data={"identifier": world.citizen.mobile,
                                           "password": "x"})
    assert response.status_code == 400
    assert "reload" in response.get_data(as_text=True) or "刷新" in response.get_data(
        as_text=True)
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_api_errors_are_json_with_a_code_and_message(client, world):
    response = client.get("/api/v1/decisions/999999")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    assert error["message"]
    response = client.get("/api/v1/decisions?stage=nonsense")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_parameter"
    response = client.get("/api/v1/consultations?per_page=100000")
    assert response.get_json()["error"]["code"] == "bad_parameter"
    assert client.get("/api/v1/nothing-here").get_json()["error"]["code"] == "not_found"


def test_html_errors_are_pages_in_the_users_language(client, world):
    response = client.get("/decisions/999999")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)

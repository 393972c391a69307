"""Form errors speak our own words, and every form with errors starts with a summary
that links to each field and takes the focus."""

from __future__ import annotations

import html
import importlib
import inspect
import re

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange

from participation.dossier.models import Document
from participation.extensions import db
from participation.opinions.models import Opinion
from tests import factories
from tests.conftest import login

DOMAINS = ["accounts", "catalogue", "consultations", "dossier", "opinions"]
# What WTForms says by itself, in its Chinese catalogue and in English.
LIBRARY_WORDS = ["字段长度必须介于", "该字段是必填字段", "This field is required",
                 "Field must be between", "Not a valid"]


def _summary(page: str) -> str:
    match = re.search(r'<div class="form-errors error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def _form_classes():
    for domain in DOMAINS:
        module = importlib.import_module(f"participation.{domain}.forms")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__:
                yield cls


def test_every_validator_of_every_form_carries_its_own_message(app):
    missing = []
    with app.test_request_context("/"):
        for cls in _form_classes():
            form = cls(meta={"csrf": False})
            for field in form:
                for validator in field.validators:
                    if isinstance(validator, DataRequired | Length | NumberRange | Email
                                  | EqualTo) and not validator.message:
                        missing.append(f"{cls.__name__}.{field.name}: {type(validator).__name__}")
                    if type(validator).__name__ == "FileRequired" and not validator.message:
                        missing.append(f"{cls.__name__}.{field.name}: FileRequired")
    assert not missing, "validators with the library's default message:\n" + "\n".join(missing)


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def test_a_too_short_opinion_says_what_to_do_and_the_summary_links_to_the_field(
        client, consultation):
    response = client.post(f"/consultations/{consultation.id}/opinions/new",
                           data={"body": "好", "node_id": "0", "submission_key": "k"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Opinion)) == 0
    summary = _summary(page)
    assert 'role="alert"' in summary
    assert 'tabindex="-1"' in summary
    assert "autofocus" in summary
    assert "有1处问题需要修改" in summary
    assert 'href="#body"' in summary
    assert "请填写意见内容，5至5000个字。" in html.unescape(summary)
    for words in LIBRARY_WORDS:
        assert words not in page
    # The summary comes first in the form's reading order, before the first field.
    form = page[page.index('id="opinion-form"'):]
    assert form.index("error-summary") < form.index('id="node_id"')


def test_an_empty_opinion_asks_for_one(client, consultation):
    page = client.post(f"/consultations/{consultation.id}/opinions/new",
                       data={"body": "", "node_id": "0", "submission_key": "k"}
                       ).get_data(as_text=True)
    assert "请填写意见内容，至少5个字。" in html.unescape(_summary(page))


def test_sign_in_without_anything_lists_both_problems(client, world):
    page = client.post("/login", data={"identifier": "", "password": ""}).get_data(as_text=True)
    summary = html.unescape(_summary(page))
    assert "有2处问题需要修改" in summary
    assert 'href="#identifier"' in summary
    assert 'href="#password"' in summary
    assert "请填写手机号码或电子邮箱。" in summary
    assert "请填写密码。" in summary
    for words in LIBRARY_WORDS:
        assert words not in page


def test_the_document_form_without_a_title(client, world):
    decision = factories.make_decision(factories.make_catalogue(world.government), world.unit)
    login(client, world.editor)
    response = client.post(f"/admin/decisions/{decision.id}/documents/new", data={
        "kind": "expert_review", "title": "", "body_html": "<p>正文</p>",
        "disclosure": "proactive", "withheld_ground": ""})
    assert response.status_code in (200, 400)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0
    summary = html.unescape(_summary(response.get_data(as_text=True)))
    assert 'href="#title"' in summary
    assert "请填写文件标题。" in summary


def test_an_unreadable_date_is_explained_in_our_words(client, world):
    decision = factories.make_decision(factories.make_catalogue(world.government), world.unit)
    login(client, world.editor)
    values = factories.decision_values(world.unit)
    values.update({"planned_completion": "31/12/2026", "reason": "调整"})
    response = client.post(f"/admin/decisions/{decision.id}/edit", data={
        k: str(v) for k, v in values.items() if v is not None})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code in (200, 400)
    assert "请按2026-03-31的格式填写日期。" in _summary(page)
    assert 'href="#planned_completion"' in _summary(page)
    assert "Not a valid date" not in page


def test_english_visitors_read_english_messages(client, consultation):
    client.set_cookie("locale", "en")
    page = client.post(f"/consultations/{consultation.id}/opinions/new",
                       data={"body": "ab", "node_id": "0", "submission_key": "k"}
                       ).get_data(as_text=True)
    summary = html.unescape(_summary(page))
    assert "There is 1 problem" in summary
    assert "Write your opinion in 5 to 5,000 characters." in summary

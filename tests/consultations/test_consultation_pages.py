"""Opening consultations from pasted text and .docx, the public page, revisions."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import docx
import pytest
import sqlalchemy as sa

from participation.catalogue.models import Stage
from participation.consultations.models import Consultation, DraftNode, DraftVersion
from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.core.timeutil import utc_to_local
from participation.dossier import operations as dossier_ops
from participation.extensions import db
from tests import factories
from tests.conftest import login


@pytest.fixture
def decision(world):
    catalogue = factories.make_catalogue(world.government)
    return factories.make_decision(catalogue, world.unit, title="农村生活垃圾分类管理办法")


def _period(days: int, start_offset_hours: int = 0) -> dict:
    start = utc_to_local(utcnow()) + timedelta(hours=start_offset_hours)
    return {"opens_at": start.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (start + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")}


def _open(client, decision, **data):
    form = {"title": "农村生活垃圾分类管理办法（征求意见稿）", "text": factories.LEGAL_DRAFT,
            "postal_address": "青禾镇禾兴路18号", "email": "zwgk@example.gov.cn",
            "hotline": "12345", "opinions_public": "y", **_period(30)}
    form.update(data)
    return client.post(f"/admin/decisions/{decision.id}/consultations/new", data=form,
                       content_type="multipart/form-data")


def test_an_official_opens_a_consultation_from_a_pasted_draft(client, world, decision):
    login(client, world.approver)
    response = _open(client, decision)
    assert response.status_code == 302
    consultation = db.session.scalar(sa.select(Consultation))
    assert decision.stage == Stage.PUBLIC_CONSULTATION
    labels = db.session.scalars(sa.select(DraftNode.label).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.kind == "article")
        .order_by(DraftNode.position)).all()
    assert labels == ["第一条", "第二条", "第三条", "第四条", "第五条"]
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    for anchor in ("article-1", "article-5"):
        assert f'id="{anchor}"' in page
    assert "青禾镇禾兴路18号" in page
    assert "zwgk@example.gov.cn" in page
    assert "12345" in page
    assert f"/consultations/{consultation.id}/opinions/new" in page
    entry = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "consultation.opened"))
    assert entry.actor_id == world.approver.id


def test_a_period_shorter_than_30_days_needs_a_public_reason(client, world, decision):
    login(client, world.approver)
    response = _open(client, decision, **_period(10))
    assert response.status_code == 200
    assert 'id="short_period_reason-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 0
    response = _open(client, decision, short_period_reason="防汛工作紧急，需在汛期前出台。",
                     **_period(10))
    assert response.status_code == 302
    consultation = db.session.scalar(sa.select(Consultation))
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "防汛工作紧急，需在汛期前出台。" in page


def test_bad_periods_and_empty_drafts_are_refused_beside_the_field(client, world, decision):
    login(client, world.approver)
    start = utc_to_local(utcnow())
    page = _open(client, decision, opens_at=start.strftime("%Y-%m-%dT%H:%M"),
                 closes_at=(start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    assert 'id="closes_at-error"' in page.get_data(as_text=True)
    page = _open(client, decision, text="   ")
    assert 'id="text-error"' in page.get_data(as_text=True)
    page = _open(client, decision, opens_at="not a date")
    assert page.status_code == 200
    assert 'id="opens_at-error"' in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 0


def _docx_bytes(lines: list[str]) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_docx_draft_is_parsed_into_articles(client, world, decision):
    login(client, world.approver)
    data = _docx_bytes(["第一章　总则", "第一条　为了规范管理，制定本办法。",
                        "第二条　本办法适用于本镇。", "第二章　附则",
                        "第三条　本办法自发布之日起施行。"])
    response = _open(client, decision, text="", docx=(io.BytesIO(data), "draft.docx"))
    assert response.status_code == 302
    version = db.session.scalar(sa.select(DraftVersion))
    assert version.source_kind.value == "docx"
    kinds = db.session.scalars(sa.select(DraftNode.kind).where(
        DraftNode.version_id == version.id).order_by(DraftNode.position)).all()
    assert kinds.count("chapter") == 2
    assert kinds.count("article") == 3


def test_a_file_that_is_not_docx_is_refused(client, world, decision):
    login(client, world.approver)
    response = _open(client, decision, text="", docx=(io.BytesIO(b"%PDF-1.4 fake"), "d.docx"))
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 0


def test_the_page_shows_explanation_background_and_time_left(client, world, decision):
    consultation = factories.make_consultation(decision)
    for kind, title in (("explanation", "起草说明"), ("background", "制订背景")):
        dossier_ops.publish_document(dossier_ops.create_document(
            decision, {"kind": kind, "title": title, "body_html": f"<p>{title}正文</p>"}))
    db.session.commit()
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "起草说明正文" in page
    assert "制订背景正文" in page
    assert 'class="time-left"' in page


def test_upcoming_and_closed_consultations_do_not_offer_the_form(client, decision):
    consultation = factories.make_consultation(decision, opens_delta_days=3)
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert f"/consultations/{consultation.id}/opinions/new?node=" not in page
    assert client.get("/api/v1/consultations?status=upcoming").get_json()["total"] == 1
    factories.close(consultation)
    assert client.get("/api/v1/consultations?status=closed").get_json()["total"] == 1
    assert client.get("/api/v1/consultations?status=open").get_json()["total"] == 0


REVISED = factories.LEGAL_DRAFT.replace("第四条　违反本办法第三条规定的，由镇人民政府责令改正。",
                                        "第四条　违反本办法第三条规定的，由镇人民政府责令限期改正。"
                                        "\n第五条　镇人民政府应当公开测试结果。").replace(
    "第五条　本办法自发布之日起施行。", "第六条　本办法自2027年1月1日起施行。")


def test_a_revised_version_is_compared_article_by_article(client, world, decision):
    consultation = factories.make_consultation(decision)
    login(client, world.approver)
    response = client.post(f"/admin/consultations/{consultation.id}/revisions",
                           data={"text": REVISED, "change_note": "根据意见修改第四条"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert consultation.draft_version.number == 2
    page = client.get(f"/consultations/{consultation.id}/compare").get_data(as_text=True)
    assert "<ins>" in page
    assert "限期" in page
    assert "diff-added" in page
    assert "根据意见修改第四条" in page
    public = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert 'id="article-6"' in public
    assert client.get(f"/consultations/{consultation.id}/compare?from=9&to=x").status_code == 200


def test_closing_early_and_extending_are_recorded(client, world, decision):
    consultation = factories.make_consultation(decision)
    login(client, world.approver)
    later = utc_to_local(consultation.closes_at + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/admin/consultations/{consultation.id}/extend",
                       data={"closes_at": later}).status_code == 302
    assert client.post(f"/admin/consultations/{consultation.id}/close",
                       data={"reason": "决策事项调整"}).status_code == 302
    assert consultation.status.value == "closed"
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"consultation.extended", "consultation.closed_early"} <= actions


def test_api_returns_the_article_tree(client, decision):
    consultation = factories.make_consultation(decision)
    data = client.get(f"/api/v1/consultations/{consultation.id}").get_json()
    chapters = [node for node in data["articles"] if node["kind"] == "chapter"]
    assert [c["label"] for c in chapters] == ["第一章", "第二章"]
    article = chapters[0]["children"][0]
    assert article["label"] == "第一条"
    assert article["opinion_count"] == 0
    assert data["ways_to_comment"]["hotline"] == "12345"
    assert json.dumps(data, ensure_ascii=False).count("第五条") == 1


def test_outline_command_prints_the_structure(runner, tmp_path):
    path = tmp_path / "draft.txt"
    path.write_text(factories.LEGAL_DRAFT, encoding="gbk")
    result = runner.invoke(args=["drafts", "outline", str(path)])
    assert result.exit_code == 0, result.output
    nodes = json.loads(result.output)
    chapter = next(n for n in nodes if n["kind"] == "chapter")
    assert chapter["label"] == "第一章"
    assert chapter["heading"] == "总则"
    assert chapter["children"][0]["label"] == "第一条"
    assert {"kind", "label", "ordinal", "heading", "text", "children"} <= set(chapter)

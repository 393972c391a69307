"""The dossier tells apart a stage not yet reached, a stage without material, a withheld
document (with its legal ground) and a document disclosed on request (how to ask)."""

from __future__ import annotations

import html
import re

import pytest

from participation.catalogue import operations
from participation.catalogue.models import Stage
from participation.dossier import operations as dossier_ops
from participation.extensions import db
from tests import factories

GROUND = "《中华人民共和国政府信息公开条例》第十四条"


@pytest.fixture
def decision(world):
    decision = factories.make_decision(factories.make_catalogue(world.government), world.unit)
    operations.move_to_stage(decision, Stage.PUBLIC_CONSULTATION)
    operations.move_to_stage(decision, Stage.EXPERT_REVIEW)
    operations.move_to_stage(decision, Stage.RISK_ASSESSMENT)
    db.session.commit()
    return decision


def _stage(page: str, stage: Stage) -> str:
    match = re.search(rf'<li id="stage-{stage.value}".*?</li>\s*(?=<li id="stage-|</ol>)',
                      page, re.S)
    assert match, stage
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(0)))


def test_reached_stages_and_stages_not_yet_reached_read_differently(client, decision):
    page = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    assert "尚未公开" in _stage(page, Stage.EXPERT_REVIEW)
    assert "尚未进行" not in _stage(page, Stage.EXPERT_REVIEW)
    assert "尚未进行：决策事项尚未进入本环节。" in _stage(page, Stage.LEGALITY_REVIEW)
    assert "尚未公开" not in _stage(page, Stage.LEGALITY_REVIEW)
    assert "尚未进行" in _stage(page, Stage.EVALUATED)


def test_a_withheld_document_says_so_with_its_ground_but_not_its_title(client, decision):
    dossier_ops.publish_document(dossier_ops.create_document(decision, {
        "kind": "risk_assessment", "title": "不予公开的评估", "disclosure": "withheld",
        "withheld_ground": GROUND}))
    db.session.commit()
    page = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    stage = _stage(page, Stage.RISK_ASSESSMENT)
    assert f"不予公开（依据：{GROUND}）" in stage
    assert "尚未公开" not in stage
    assert "不予公开的评估" not in page


def test_an_on_request_document_shows_its_title_and_how_to_ask(client, world, decision):
    dossier_ops.publish_document(dossier_ops.create_document(decision, {
        "kind": "expert_review", "title": "专家论证意见汇总", "body_html": "<p>论证正文</p>",
        "disclosure": "on_request"}))
    db.session.commit()
    page = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    stage = _stage(page, Stage.EXPERT_REVIEW)
    assert "专家论证意见汇总" in stage
    assert ("依申请公开：可依据《中华人民共和国政府信息公开条例》"
            f"向{world.unit.name}提出申请。") in stage
    assert "论证正文" not in page

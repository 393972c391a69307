"""The public catalogue, its history and the dossier; confidential entries never show."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from participation.catalogue import operations
from participation.catalogue.models import CatalogueChange, ChangeKind, Stage
from participation.catalogue.operations import CatalogueError, StageError
from participation.core.audit import AuditEntry
from participation.dossier import operations as dossier_ops
from participation.extensions import db
from tests import factories
from tests.conftest import login


@pytest.fixture
def catalogue(world):
    catalogue = factories.make_catalogue(world.government, published=False)
    factories.make_decision(catalogue, world.unit, title="农村生活垃圾分类管理办法")
    factories.make_decision(catalogue, world.other_unit, title="集镇农贸市场改造方案",
                            category="经济发展")
    factories.make_decision(catalogue, world.unit, title="应急物资储备库选址方案",
                            confidential=True)
    operations.publish_catalogue(catalogue, date(2026, 2, 1))
    db.session.commit()
    return catalogue


def test_catalogue_lists_public_decisions_with_unit_and_stage(client, catalogue):
    page = client.get("/catalogue?year=2026").get_data(as_text=True)
    assert "农村生活垃圾分类管理办法" in page
    assert "集镇农贸市场改造方案" in page
    assert "农业农村办公室" in page


def test_confidential_entries_appear_nowhere_public(client, catalogue):
    secret = next(d for d in catalogue.decisions if d.confidential)
    assert "应急物资储备库" not in client.get("/catalogue?year=2026").get_data(as_text=True)
    assert client.get(f"/decisions/{secret.id}").status_code == 404
    api = client.get("/api/v1/decisions?year=2026").get_json()
    assert secret.id not in [item["id"] for item in api["items"]]
    assert api["total"] == 2
    assert client.get(f"/api/v1/decisions/{secret.id}").status_code == 404
    assert "应急物资储备库" not in client.get("/catalogue/history?year=2026").get_data(
        as_text=True)


def test_public_numbering_leaves_no_gap_for_confidential_entries(client, world):
    catalogue = factories.make_catalogue(world.government, year=2024, published=False)
    for title, confidential in (("甲事项", False), ("保密事项", True), ("乙事项", False)):
        factories.make_decision(catalogue, world.unit, title=title, confidential=confidential)
    operations.publish_catalogue(catalogue, date(2024, 2, 1))
    db.session.commit()
    page = client.get("/catalogue?year=2024").get_data(as_text=True)
    numbers = re.findall(r"<td[^>]*>(\d+)</td>\s*<th scope=\"row\"[^>]*>", page)
    assert numbers == ["1", "2"]
    assert "保密事项" not in page


def test_officials_of_the_unit_can_preview_a_confidential_entry(client, catalogue, world):
    secret = next(d for d in catalogue.decisions if d.confidential)
    login(client, world.editor)
    response = client.get(f"/decisions/{secret.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unpublished_catalogue_is_not_public(client, world):
    catalogue = factories.make_catalogue(world.government, year=2027, published=False)
    decision = factories.make_decision(catalogue, world.unit, title="尚未公布的事项")
    db.session.commit()
    assert "尚未公布的事项" not in client.get("/catalogue?year=2027").get_data(as_text=True)
    assert client.get(f"/decisions/{decision.id}").status_code == 404


def test_filters_by_unit_stage_and_category(client, catalogue, world):
    page = client.get(f"/catalogue?year=2026&unit={world.other_unit.id}").get_data(as_text=True)
    assert "集镇农贸市场改造方案" in page
    assert "农村生活垃圾分类管理办法" not in page
    page = client.get("/catalogue?year=2026&category=经济发展").get_data(as_text=True)
    assert "集镇农贸市场改造方案" in page
    assert "农村生活垃圾分类管理办法" not in page
    page = client.get("/catalogue?year=2026&stage=decided").get_data(as_text=True)
    assert "集镇农贸市场改造方案" not in page
    # Unknown filter values are ignored, not errors.
    assert client.get("/catalogue?year=abc&stage=nonsense&unit=x").status_code == 200


def test_unit_filter_includes_nested_units(client, world):
    catalogue = factories.make_catalogue(world.government, year=2025)
    factories.make_decision(catalogue, world.sub_unit, title="农技推广站建设方案")
    db.session.commit()
    page = client.get(f"/catalogue?year=2025&unit={world.unit.id}").get_data(as_text=True)
    assert "农技推广站建设方案" in page


def test_changes_after_publication_need_a_reason_and_are_public(client, catalogue, world):
    with pytest.raises(CatalogueError) as error:
        factories.make_decision(catalogue, world.unit, reason=None, title="年中增列事项")
    assert error.value.code == "reason_required"
    factories.make_decision(catalogue, world.unit, reason="县政府部署新增", title="年中增列事项")
    decision = next(d for d in catalogue.decisions if d.title.startswith("农村"))
    values = factories.decision_values(world.unit, title=decision.title,
                                       planned_completion=date(2026, 11, 30))
    operations.adjust_decision(decision, values, "上位规划批复推迟")
    operations.withdraw_decision(
        next(d for d in catalogue.decisions if d.title.startswith("集镇")), "移交县级管理")
    db.session.commit()
    history = client.get("/catalogue/history?year=2026").get_data(as_text=True)
    for text in ("年中增列事项", "县政府部署新增", "上位规划批复推迟", "移交县级管理"):
        assert text in history
    kinds = set(db.session.scalars(sa.select(CatalogueChange.kind)))
    assert kinds == {ChangeKind.ADDED, ChangeKind.ADJUSTED, ChangeKind.WITHDRAWN}
    # A withdrawn entry leaves the list but keeps its dossier and history.
    assert "集镇农贸市场改造方案" not in client.get("/catalogue?year=2026").get_data(
        as_text=True)


def test_stage_moves_refuse_impossible_moves(world, catalogue):
    decision = catalogue.decisions[0]
    with pytest.raises(StageError) as error:
        operations.move_to_stage(decision, Stage.COLLECTIVE_DELIBERATION)
    assert error.value.code == "legality_review_required"
    operations.move_to_stage(decision, Stage.LEGALITY_REVIEW, date.today() - timedelta(days=3))
    with pytest.raises(StageError) as error:
        operations.move_to_stage(decision, Stage.DRAFTING)
    assert error.value.code == "backwards"
    with pytest.raises(StageError) as error:
        operations.move_to_stage(decision, Stage.DECIDED)
    assert error.value.code == "deliberation_required"
    with pytest.raises(StageError) as error:
        operations.move_to_stage(decision, Stage.COLLECTIVE_DELIBERATION,
                                 date.today() + timedelta(days=2))
    assert error.value.code == "future_date"
    operations.move_to_stage(decision, Stage.COLLECTIVE_DELIBERATION)
    assert decision.stage == Stage.COLLECTIVE_DELIBERATION
    assert operations.stage_dates(decision)[Stage.LEGALITY_REVIEW] == \
        date.today() - timedelta(days=3)


def test_no_deliberation_while_the_consultation_is_open(world, catalogue):
    decision = catalogue.decisions[0]
    factories.make_consultation(decision)
    operations.move_to_stage(decision, Stage.PUBLIC_CONSULTATION) if \
        decision.stage != Stage.PUBLIC_CONSULTATION else None
    with pytest.raises(StageError) as error:
        operations.move_to_stage(decision, Stage.LEGALITY_REVIEW)
    assert error.value.code == "consultation_open"


def test_stage_change_through_the_form_is_audited(client, world, catalogue):
    decision = catalogue.decisions[0]
    login(client, world.approver)
    response = client.post(f"/admin/decisions/{decision.id}/stage",
                           data={"stage": "expert_review", "occurred_on": "2026-03-01"})
    assert response.status_code == 302
    assert decision.stage == Stage.EXPERT_REVIEW
    entry = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "decision.stage_changed"))
    assert entry.actor_id == world.approver.id
    assert entry.changes["stage"] == ["drafting", "expert_review"]
    # An impossible move through the form is refused with a message, nothing changes.
    response = client.post(f"/admin/decisions/{decision.id}/stage",
                           data={"stage": "decided"}, follow_redirects=True)
    assert decision.stage == Stage.EXPERT_REVIEW
    assert response.status_code == 200


def test_dossier_shows_every_stage_in_order_with_documents(client, world, catalogue):
    decision = catalogue.decisions[0]
    background = dossier_ops.create_document(decision, {
        "kind": "background", "title": "制订背景说明", "body_html": "<p>背景正文</p>"})
    dossier_ops.publish_document(background)
    dossier_ops.create_document(decision, {"kind": "expert_review", "title": "未发布的论证意见"})
    dossier_ops.publish_document(dossier_ops.create_document(decision, {
        "kind": "risk_assessment", "title": "不予公开的评估", "disclosure": "withheld",
        "withheld_ground": "《政府信息公开条例》第十四条"}))
    db.session.commit()
    page = client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    positions = [page.index(f'id="stage-{stage.value}"') for stage in Stage]
    assert positions == sorted(positions)
    assert "制订背景说明" in page
    assert "未发布的论证意见" not in page
    assert "不予公开的评估" not in page
    assert page.count("stage-") >= len(Stage)
    catalogue_page = client.get("/catalogue?year=2026").get_data(as_text=True)
    assert f"/decisions/{decision.id}#stage-drafting" in catalogue_page
    assert f"/decisions/{decision.id}#stage-expert_review" not in catalogue_page

"""Opinions given on an earlier version count on the matching article of the current one;
the migration links (and compares) the versions already stored."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from participation.consultations import operations as consultation_ops
from participation.consultations.models import (
    Consultation,
    DraftNode,
    DraftVersion,
    SourceKind,
)
from participation.demo import loader
from participation.extensions import db
from participation.opinions import operations as opinion_ops
from participation.opinions.models import Opinion
from tests import factories
from tests.conftest import migrated_scratch_app

RENUMBERED = [("第二条　本办法适用于", "第三条　本办法适用于"),
              ("第三条　测试单位", "第四条　测试单位"),
              ("第四条　违反本办法第三条", "第五条　违反本办法第三条"),
              ("第五条　本办法自", "第六条　本办法自")]
REVISED = factories.LEGAL_DRAFT
for _old, _new in RENUMBERED:
    REVISED = REVISED.replace(_old, _new)
REVISED = REVISED.replace(
    "第一条　为了规范测试工作，制定本办法。",
    "第一条　为了规范测试工作，保障公众健康，制定本办法。\n第二条　本办法所称测试，是指抽样检测。")


def _article(version_id: int, label: str) -> DraftNode:
    return db.session.scalar(sa.select(DraftNode).where(
        DraftNode.version_id == version_id, DraftNode.label == label))


def _count_on_page(page: str, anchor: str) -> int:
    match = re.search(rf'id="{anchor}" data-opinion-count="(\d+)"', page)
    return int(match.group(1))


def _opinion(consultation, node, body: str) -> Opinion:
    opinion, _created = opinion_ops.submit_online(
        consultation, body=body, node_id=node.id, consent_to_publish=True,
        display_name="李女士", contact=None, submission_key=body)
    return opinion


@pytest.fixture
def revised(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    first = consultation.draft_version_id
    _opinion(consultation, _article(first, "第一条"), "第一条的目的写得太窄了。")
    _opinion(consultation, _article(first, "第二条"), "第二条应包括各行政村。")
    consultation_ops.publish_revision(consultation, REVISED, SourceKind.PASTED, "新增第二条")
    db.session.commit()
    return consultation, first


def test_the_page_and_the_api_count_opinions_of_the_earlier_version(client, revised):
    consultation, first = revised
    current = consultation.draft_version_id
    # 第一条 changed in place; old 第二条 is now 第三条 (unchanged); 第二条 is new.
    assert _article(current, "第三条").previous_node_id == _article(first, "第二条").id
    assert _article(current, "第一条").previous_node_id == _article(first, "第一条").id
    assert _article(current, "第二条").previous_node_id is None
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert _count_on_page(page, _article(current, "第一条").anchor) == 1
    assert _count_on_page(page, _article(current, "第二条").anchor) == 0
    assert _count_on_page(page, _article(current, "第三条").anchor) == 1
    data = client.get(f"/api/v1/consultations/{consultation.id}").get_json()
    articles = {a["label"]: a["opinion_count"]
                for chapter in data["articles"] for a in chapter["children"]}
    assert articles["第一条"] == 1
    assert articles["第二条"] == 0
    assert articles["第三条"] == 1
    # The stored per-node counters keep meaning "on exactly this node".
    assert _article(current, "第三条").opinion_count == 0


def test_the_article_list_shows_earlier_opinions_with_their_version(client, revised):
    consultation, first = revised
    node = _article(consultation.draft_version_id, "第三条")
    page = client.get(f"/consultations/{consultation.id}/opinions?node={node.id}")
    text = page.get_data(as_text=True)
    assert "第二条应包括各行政村。" in text
    assert "第一条的目的写得太窄了。" not in text
    assert "意见针对第1版征求意见稿" in text
    # Its old label is not linked to the current page, where #article-2 is another article.
    assert f'/consultations/{consultation.id}#article-2">第二条' not in text
    assert "<span>第二条</span>" in text
    assert "1条意见" in text or "收到1条" in text
    api = client.get(f"/api/v1/consultations/{consultation.id}/opinions?article={node.id}")
    assert [o["body"] for o in api.get_json()["items"]] == ["第二条应包括各行政村。"]


def test_the_receipt_says_which_version_the_opinion_was_given_on(client, revised):
    consultation, _first = revised
    opinion = db.session.scalar(sa.select(Opinion).where(Opinion.body.like("第二条应%")))
    page = client.get(f"/receipts/{opinion.receipt_number}").get_data(as_text=True)
    assert "意见针对第1版征求意见稿" in page
    fresh = _opinion(consultation, _article(consultation.draft_version_id, "第二条"),
                     "新增的第二条很好。")
    db.session.commit()
    page = client.get(f"/receipts/{fresh.receipt_number}").get_data(as_text=True)
    assert "意见针对第" not in page


def test_the_demo_closed_consultation_counts_per_article(client, app):
    loader.load_demo()
    db.session.commit()
    closed = db.session.scalars(sa.select(Consultation).where(
        Consultation.opinion_count >= 300)).one()
    page = client.get(f"/consultations/{closed.id}").get_data(as_text=True)
    counts = [int(n) for n in re.findall(r'data-opinion-count="(\d+)"', page)]
    assert sum(counts) > 100
    data = client.get(f"/api/v1/consultations/{closed.id}").get_json()

    def walk(nodes):
        for node in nodes:
            yield node
            yield from walk(node["children"])

    assert sum(n["opinion_count"] or 0 for n in walk(data["articles"])) == sum(counts)


@pytest.mark.no_db_transaction
def test_the_migration_links_existing_versions(tmp_path):
    app = migrated_scratch_app(tmp_path, "lineage")
    with app.app_context():
        world = factories.make_world()
        catalogue = factories.make_catalogue(world.government)
        decision = factories.make_decision(catalogue, world.unit)
        consultation = factories.make_consultation(decision)
        consultation_ops.publish_revision(consultation, REVISED, SourceKind.PASTED, "新增第二条")
        db.session.commit()
        expected = dict(db.session.execute(sa.select(DraftNode.id, DraftNode.previous_node_id)
                                           .where(DraftNode.previous_node_id.is_not(None)))
                        .tuples().all())
        assert len(expected) >= 5
        stored = db.session.scalar(sa.select(DraftVersion.changes)
                                   .where(DraftVersion.number == 2))
        assert stored is not None
        db.session.remove()
        downgrade(revision="eb0806575b75")
        upgrade()
        linked = dict(db.session.execute(sa.select(DraftNode.id, DraftNode.previous_node_id)
                                         .where(DraftNode.previous_node_id.is_not(None)))
                      .tuples().all())
        assert linked == expected
        assert db.session.scalar(sa.select(DraftVersion.changes)
                                 .where(DraftVersion.number == 2)) == stored
        db.session.remove()
        db.engine.dispose()

"""The opinion form quotes the whole article: every paragraph and item, also after errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation.consultations.models import DraftNode
from participation.extensions import db
from tests import factories

DRAFT = """青禾镇测试管理办法（征求意见稿）
第一条　为了规范测试工作，制定本办法。
第九条　测试单位应当履行下列义务：
（一）如实记录测试数据；
（二）按时报告测试结果；
（三）妥善保管测试样品；
（四）接受镇人民政府监督检查。
第十二条　镇人民政府负责组织实施本办法。
各村民委员会协助做好宣传工作。
"""


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision, text=DRAFT)


def _article(consultation, label: str) -> DraftNode:
    return db.session.scalar(sa.select(DraftNode).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.label == label))


def _quote(page: str) -> str:
    start = page.index('class="quoted-article"')
    return page[start:page.index("</blockquote>", start)]


@pytest.mark.parametrize(("label", "parts"), [
    ("第九条", ["测试单位应当履行下列义务", "（一）如实记录测试数据", "（二）按时报告测试结果",
               "（三）妥善保管测试样品", "（四）接受镇人民政府监督检查"]),
    ("第十二条", ["镇人民政府负责组织实施本办法", "各村民委员会协助做好宣传工作"]),
])
def test_the_form_quotes_every_paragraph_and_item(client, consultation, label, parts):
    node = _article(consultation, label)
    page = client.get(f"/consultations/{consultation.id}/opinions/new?node={node.id}")
    quote = _quote(page.get_data(as_text=True))
    for part in parts:
        assert part in quote
    # After a validation error the same quote is shown again beside the error.
    response = client.post(f"/consultations/{consultation.id}/opinions/new",
                           data={"body": "短", "node_id": str(node.id), "submission_key": "k"})
    assert response.status_code == 400
    quote = _quote(response.get_data(as_text=True))
    for part in parts:
        assert part in quote


def test_the_article_opinion_list_quotes_the_whole_article(client, consultation):
    node = _article(consultation, "第九条")
    page = client.get(f"/consultations/{consultation.id}/opinions?node={node.id}")
    assert "（四）接受镇人民政府监督检查" in _quote(page.get_data(as_text=True))


def test_an_odd_node_value_after_an_error_quotes_nothing(client, consultation):
    for value in ("abc", "99999999999999999999", "0"):
        response = client.post(f"/consultations/{consultation.id}/opinions/new",
                               data={"body": "短", "node_id": value, "submission_key": "k"})
        assert response.status_code == 400
        assert 'class="quoted-article"' not in response.get_data(as_text=True)

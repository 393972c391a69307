"""The officials' received-opinion list: sorted by received time, filtered by channel,
article and text, with readable columns."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from participation.consultations import operations as consultation_ops
from participation.consultations.models import DraftNode
from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions import operations
from participation.opinions.models import Opinion
from tests import factories
from tests.conftest import login


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    now = utcnow()
    article_2 = _article(consultation, 2)
    for hours, channel, node, body in [
        (30, "hotline", article_2, "热线来电：第二条的适用范围应包括各行政村。"),
        (20, "letter", None, "来信建议延长过渡期，联系电话13912345678。"),
        (10, "symposium", article_2, "座谈会上企业代表认为第二条过宽。"),
    ]:
        operations.record_offline(consultation, {
            "channel": channel, "received_at": now - timedelta(hours=hours),
            "node_id": node.id if node else None, "body": body,
            "display_name": "张先生", "contact": ""})
    db.session.commit()
    return consultation


def _article(consultation, ordinal: int) -> DraftNode:
    return db.session.scalar(sa.select(DraftNode).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.kind == "article",
        DraftNode.ordinal == ordinal))


def _rows(client, consultation, query: str = "") -> list[str]:
    response = client.get(f"/admin/consultations/{consultation.id}/opinions{query}")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return [re.sub(r"<[^>]+>", " ", row) for row in body.split("<tr>")[1:]]


def test_newest_first_by_received_time_and_oldest_first_on_request(client, world, consultation):
    login(client, world.moderator)
    rows = _rows(client, consultation)
    assert [("座谈会" in r, "来信" in r, "热线" in r) for r in rows] == [
        (True, False, False), (False, True, False), (False, False, True)]
    oldest = _rows(client, consultation, "?order=oldest")
    assert "热线来电" in oldest[0]
    assert "座谈会上" in oldest[-1]


def test_filter_by_channel_and_an_unknown_channel_is_ignored(client, world, consultation):
    login(client, world.moderator)
    rows = _rows(client, consultation, "?channel=letter")
    assert len(rows) == 1
    assert "来信建议" in rows[0]
    assert "139****5678" in rows[0]  # the excerpt is masked
    assert "13912345678" not in rows[0]
    assert len(_rows(client, consultation, "?channel=bogus")) == 3
    assert len(_rows(client, consultation, "?channel=%E2%81%B0&node=abc&order=x")) == 3


def test_filter_by_article_and_text(client, world, consultation):
    login(client, world.moderator)
    article = _article(consultation, 2)
    rows = _rows(client, consultation, f"?node={article.id}")
    assert len(rows) == 2
    assert all("第二条" in r for r in rows)
    assert len(_rows(client, consultation, "?q=过渡期")) == 1
    assert len(_rows(client, consultation, f"?node={article.id}&q=企业")) == 1
    # LIKE wildcards are taken literally.
    assert "没有符合筛选条件的意见。" in _rows(client, consultation, "?q=%25")[0]


def test_opinions_on_an_earlier_version_count_for_the_same_article(client, world, consultation):
    first_version_article = _article(consultation, 2)
    consultation_ops.publish_revision(
        consultation, factories.LEGAL_DRAFT.replace("测试活动", "测试和检验活动"), "pasted",
        change_note="扩大适用范围")
    db.session.commit()
    current = _article(consultation, 2)
    assert current.id != first_version_article.id
    login(client, world.moderator)
    assert len(_rows(client, consultation, f"?node={current.id}")) == 2


def test_the_columns_are_labelled_and_not_one_character_wide(client, world, consultation):
    login(client, world.moderator)
    page = client.get(f"/admin/consultations/{consultation.id}/opinions").get_data(as_text=True)
    for column in ("col-receipt", "col-time", "col-channel", "col-article", "col-body",
                   "col-name", "col-late"):
        assert f'<th scope="col" class="{column}">' in page
    assert "回执编号或来件编号" in page
    stylesheet = (Path(__file__).parents[2] / "static" / "css" / "site.css").read_text()
    assert re.search(r"\.received-opinions \.col-body \{ min-width: \d+rem", stylesheet)


def test_every_page_of_all_channels_follows_received_time_across_channels(
        client, world, consultation):
    """The list of every channel is merged from one scan per channel: page after page,
    newest first or oldest first, the opinions come in received-time order (ties by id)
    whatever their channel, none twice and none left out."""
    now = utcnow()
    channels = ["hotline", "letter", "email", "symposium", "poll", "field_visit"]
    for n in range(130):
        operations.record_offline(consultation, {
            "channel": channels[(n * 7) % len(channels)],
            "received_at": now - timedelta(hours=40 + (n * 37) % 97),  # ties included
            "node_id": None, "body": f"第{n}号来件的意见内容。", "display_name": "",
            "contact": ""})
    db.session.commit()
    login(client, world.moderator)
    expected = db.session.execute(sa.select(Opinion.id).where(
        Opinion.consultation_id == consultation.id)
        .order_by(Opinion.received_at.desc(), Opinion.id.desc())).scalars().all()
    for order, wanted in (("", expected), ("&order=oldest", expected[::-1])):
        seen, cursor = [], None
        while True:
            query = f"?cursor={cursor}{order}" if cursor else f"?{order.lstrip('&')}"
            response = client.get(f"/admin/consultations/{consultation.id}/opinions{query}")
            page = response.get_data(as_text=True)
            seen += [int(i) for i in re.findall(r'href="/admin/opinions/(\d+)"', page)]
            found = re.search(r'cursor=([0-9]+-[0-9]+)', html.unescape(page))
            if not found:
                break
            cursor = found.group(1)
        assert seen == wanted

"""The comparison page: changes only by default, whole paragraphs, numbers as units, the
title change, and the comparison stored when the revision is published."""

from __future__ import annotations

import pytest
from sqlalchemy.orm.attributes import flag_modified

from participation.consultations import operations as consultation_ops
from participation.consultations import views as consultation_views
from participation.consultations.models import SourceKind
from participation.extensions import db
from tests import factories

FIRST = """青禾镇集市管理办法（征求意见稿）
第一条　为了规范集市管理，制定本办法。
第二条　本办法适用于本镇行政区域内的集市。
第三条　摊位申请人应当提交下列材料：
（一）身份证明；
（二）经营品种说明。
第四条　镇人民政府应当在收到申请之日起30日内作出决定。
第五条　集市经营者应当保持场地整洁。
第六条　集市经营者应当遵守交通秩序。
第七条　本办法自发布之日起施行。
"""
SECOND = (FIRST.replace("（征求意见稿）", "（征求意见稿第二稿）")
          .replace("30日内", "15日内")
          .replace("第三条　摊位申请人应当提交下列材料：\n", "")
          .replace("（一）身份证明；\n（二）经营品种说明。\n", "")
          .replace("第四条", "第三条").replace("第五条", "第四条").replace("第六条", "第五条")
          .replace("第七条", "第六条"))


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision, text=FIRST)
    consultation_ops.publish_revision(consultation, SECOND, SourceKind.PASTED, "缩短办理期限")
    db.session.commit()
    return consultation


def _page(client, consultation, query: str = "") -> str:
    return client.get(f"/consultations/{consultation.id}/compare{query}").get_data(as_text=True)


def test_numbers_change_as_units_and_removed_articles_keep_their_paragraphs(client,
                                                                             consultation):
    page = _page(client, consultation, "?view=all")
    assert "<del>30</del><ins>15</ins>日内" in page
    for part in ("摊位申请人应当提交下列材料：", "（一）身份证明；", "（二）经营品种说明。"):
        assert f"<del>{part}</del>" in page
    assert "<del>（征求意见稿）</del>" in page or "<ins>第二稿</ins>" in page
    assert "标题修改" in page


def test_changes_only_by_default_with_a_link_to_everything(client, consultation):
    page = _page(client, consultation)
    assert "集市经营者应当保持场地整洁" not in page  # unchanged: hidden by default
    assert "<ins>15</ins>" in page
    assert "显示全部条款" in page
    assert "view=all" in page
    everything = _page(client, consultation, "?view=all")
    assert "集市经营者应当保持场地整洁" in everything
    assert "仅显示修改内容" in everything


def test_the_comparison_is_stored_when_the_revision_is_published(client, consultation):
    version = consultation.draft_version
    assert version.changes is not None
    statuses = [c["status"] for c in version.changes["changes"]]
    assert statuses.count("removed") == 1
    assert statuses.count("changed") == 1
    # The page reads what was stored, it does not compare again.
    version.changes["changes"][0]["status"] = "changed"
    version.changes["changes"][0]["lines"] = [[["insert", "存储的比较结果"]]]
    flag_modified(version, "changes")
    db.session.commit()
    assert "<ins>存储的比较结果</ins>" in _page(client, consultation)


def test_non_adjacent_versions_are_compared_only_when_small(client, consultation,
                                                             monkeypatch):
    third = SECOND.replace("保持场地整洁", "保持场地整洁卫生")
    consultation_ops.publish_revision(consultation, third, SourceKind.PASTED, "补充")
    db.session.commit()
    page = _page(client, consultation, "?from=1&to=3")
    assert "<del>30</del><ins>15</ins>" in page
    assert "<ins>卫生</ins>" in page
    monkeypatch.setattr(consultation_views, "COMPARE_ON_THE_FLY_CHARACTERS", 100)
    page = _page(client, consultation, "?from=1&to=3")
    assert "请比较相邻的版本" in page
    assert "<ins>15</ins>" not in page
    assert "<ins>卫生</ins>" in _page(client, consultation, "?from=2&to=3")  # stored

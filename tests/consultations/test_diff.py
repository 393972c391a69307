"""Article-by-article comparison of two versions of a draft."""

from __future__ import annotations

from pathlib import Path

from participation.consultations.diff import (
    NodeChange,
    TextSegment,
    commentable_units,
    compare_versions,
    diff_outlines,
    inline_diff,
    segment_lines,
    tokens,
    unit_text,
)
from participation.consultations.outline import int_to_chinese, parse_outline

DRAFTS = Path(__file__).resolve().parent.parent / "fixtures" / "drafts"

BODIES = [
    "为了规范村级公益事业建设，推进美丽乡村建设，结合本镇实际，制定本办法。",
    "本办法适用于本镇行政区域内由村民委员会组织实施的村级公益事业建设项目。",
    "村级公益事业建设应当遵循村民自愿、量力而行、民主决策、讲求实效的原则。",
    "镇人民政府负责村级公益事业建设的指导、协调和监督，镇财政所负责资金管理。",
    "建设项目应当经村民会议或者村民代表会议讨论通过，并在村务公开栏公示七日。",
    "项目资金实行专账核算、专款专用，任何单位和个人不得截留、挤占或者挪用。",
    "项目竣工后，由镇人民政府组织验收，验收结果在村务公开栏公布。",
    "本办法自发布之日起施行。",
]
NEW_ARTICLE = "村民委员会应当建立项目管理档案，如实记录项目申报、实施、验收和资金使用情况。"


def render(bodies: list[str]) -> str:
    lines = ["某镇村级公益事业建设管理办法（征求意见稿）"]
    lines += [f"第{int_to_chinese(i)}条　{body}" for i, body in enumerate(bodies, start=1)]
    return "\n".join(lines)


def compare(old: list[str], new: list[str]) -> list[NodeChange]:
    return diff_outlines(parse_outline(render(old)), parse_outline(render(new)))


def summary(changes: list[NodeChange]) -> list[tuple[str, str | None, str | None]]:
    return [
        (c.status, c.old.label if c.old else None, c.new.label if c.new else None) for c in changes
    ]


def test_identical_versions_are_unchanged() -> None:
    changes = compare(BODIES, BODIES)
    assert [c.status for c in changes] == ["unchanged"] * len(BODIES)
    assert not any(c.renumbered for c in changes)
    assert changes[0].segments == [TextSegment("equal", BODIES[0])]


def test_identical_fixture_is_unchanged() -> None:
    nodes = parse_outline((DRAFTS / "rural_living_environment.txt").read_text(encoding="utf-8"))
    again = parse_outline((DRAFTS / "rural_living_environment.txt").read_text(encoding="utf-8"))
    changes = diff_outlines(nodes, again)
    assert len(changes) == 14
    assert {c.status for c in changes} == {"unchanged"}


def test_edited_article() -> None:
    edited = list(BODIES)
    edited[4] = edited[4].replace("七日", "十日").replace("并在", "并及时在")
    changes = compare(BODIES, edited)
    assert [c.status for c in changes] == ["unchanged"] * 4 + ["changed"] + ["unchanged"] * 3
    change = changes[4]
    assert (change.old.label, change.new.label) == ("第五条", "第五条")
    assert not change.renumbered
    ops = [(s.op, s.text) for s in change.segments]
    assert ("delete", "七") in ops
    assert ("insert", "十") in ops
    assert ("insert", "及时") in ops
    assert "".join(s.text for s in change.segments if s.op != "insert") == BODIES[4]
    assert "".join(s.text for s in change.segments if s.op != "delete") == edited[4]


def test_inserted_article_renumbers_the_following_ones() -> None:
    inserted = BODIES[:4] + [NEW_ARTICLE] + BODIES[4:]
    changes = compare(BODIES, inserted)
    assert summary(changes) == [
        ("unchanged", "第一条", "第一条"),
        ("unchanged", "第二条", "第二条"),
        ("unchanged", "第三条", "第三条"),
        ("unchanged", "第四条", "第四条"),
        ("added", None, "第五条"),
        ("unchanged", "第五条", "第六条"),
        ("unchanged", "第六条", "第七条"),
        ("unchanged", "第七条", "第八条"),
        ("unchanged", "第八条", "第九条"),
    ]
    assert [c.renumbered for c in changes] == [False] * 5 + [True] * 4
    assert changes[4].segments == [TextSegment("insert", NEW_ARTICLE)]


def test_inserted_article_with_an_edit_in_a_renumbered_one() -> None:
    new = BODIES[:4] + [NEW_ARTICLE] + BODIES[4:]
    new[6] = new[6].replace("专账核算、", "专账核算、公开透明、")
    changes = compare(BODIES, new)
    assert summary(changes)[4:7] == [
        ("added", None, "第五条"),
        ("unchanged", "第五条", "第六条"),
        ("changed", "第六条", "第七条"),
    ]
    assert changes[6].renumbered
    assert [s.op for s in changes[6].segments] == ["equal", "insert", "equal"]
    assert "".join(s.text for s in changes[6].segments) == new[6]


def test_deleted_article_is_placed_where_it_was() -> None:
    deleted = BODIES[:2] + BODIES[3:]
    changes = compare(BODIES, deleted)
    assert summary(changes) == [
        ("unchanged", "第一条", "第一条"),
        ("unchanged", "第二条", "第二条"),
        ("removed", "第三条", None),
        ("unchanged", "第四条", "第三条"),
        ("unchanged", "第五条", "第四条"),
        ("unchanged", "第六条", "第五条"),
        ("unchanged", "第七条", "第六条"),
        ("unchanged", "第八条", "第七条"),
    ]
    assert changes[2].segments == [TextSegment("delete", BODIES[2])]


def test_replaced_article_with_unrelated_text() -> None:
    new = list(BODIES)
    new[5] = "镇纪委应当对项目实施情况开展监督检查。"
    changes = compare(BODIES, new)
    statuses = [c.status for c in changes]
    assert statuses.count("unchanged") == 7
    # an article rewritten in place keeps its label and is shown as a change
    assert summary(changes)[5] == ("changed", "第六条", "第六条")


def test_rewritten_and_deleted_articles_together() -> None:
    new = [*BODIES[:2], NEW_ARTICLE, *BODIES[3:5], *BODIES[6:]]
    changes = compare(BODIES, new)
    assert summary(changes) == [
        ("unchanged", "第一条", "第一条"),
        ("unchanged", "第二条", "第二条"),
        ("changed", "第三条", "第三条"),
        ("unchanged", "第四条", "第四条"),
        ("unchanged", "第五条", "第五条"),
        ("removed", "第六条", None),
        ("unchanged", "第七条", "第六条"),
        ("unchanged", "第八条", "第七条"),
    ]


def test_item_and_paragraph_changes_belong_to_their_article() -> None:
    head, tail = (
        "第一条 下列事项应当公示：\n（一）低保名单；\n",
        "\n第二条 本办法自发布之日起施行。",
    )
    old = head + "（二）补贴发放情况。" + tail
    new = head + "（二）补贴发放情况；\n（三）救助资金使用情况。" + tail
    changes = diff_outlines(parse_outline(old), parse_outline(new))
    assert [c.status for c in changes] == ["changed", "unchanged"]
    inserted = "".join(s.text for s in changes[0].segments if s.op == "insert")
    assert "（三）救助资金使用情况" in inserted


def test_work_plan_headings_are_the_units() -> None:
    template = "一、总体要求\n（一）指导思想。坚持以人民为中心。\n"
    template += "（二）工作目标。覆盖率达到{}%。\n二、保障措施"
    old, new = template.format(90), template.format(95)
    old_nodes, new_nodes = parse_outline(old), parse_outline(new)
    assert [u.label for u in commentable_units(new_nodes)] == ["一、", "（一）", "（二）", "二、"]
    changes = diff_outlines(old_nodes, new_nodes)
    assert [c.status for c in changes] == ["unchanged", "unchanged", "changed", "unchanged"]
    # Numbers change as a whole, not digit by digit.
    assert TextSegment("delete", "90") in changes[2].segments
    assert TextSegment("insert", "95") in changes[2].segments


def test_empty_documents() -> None:
    assert diff_outlines([], []) == []
    changes = diff_outlines([], parse_outline(render(BODIES[:2])))
    assert [c.status for c in changes] == ["added", "added"]
    changes = diff_outlines(parse_outline(render(BODIES[:2])), [])
    assert [c.status for c in changes] == ["removed", "removed"]


def test_unit_text_excludes_the_label() -> None:
    [article] = parse_outline("第三条【原则】坚持公开透明。\n应当依法公示。")
    assert unit_text(article) == "【原则】\n坚持公开透明。\n应当依法公示。"


def test_inline_diff_merges_segments() -> None:
    assert inline_diff("公示七日", "公示十日") == [
        TextSegment("equal", "公示"),
        TextSegment("delete", "七"),
        TextSegment("insert", "十"),
        TextSegment("equal", "日"),
    ]
    assert inline_diff("", "") == []
    assert inline_diff("", "新增") == [TextSegment("insert", "新增")]


def test_large_rewrite_stays_fast_and_complete() -> None:
    old = [f"原第{i}条内容，涉及事项编号{i}，应当依法办理并公开。" for i in range(120)]
    new = [f"新条文{i}：相关单位应当在{i}个工作日内答复。" for i in range(110)]
    changes = compare(old, new)
    assert sum(1 for c in changes if c.old is not None) == 120
    assert sum(1 for c in changes if c.new is not None) == 110
    new_order = [c.new.ordinal for c in changes if c.new is not None]
    assert new_order == sorted(new_order)


def test_numbers_dates_and_latin_words_are_single_tokens() -> None:
    assert tokens("自2027年1月1日起，PM2.5浓度") == [
        "自", "2027", "年", "1", "月", "1", "日", "起", "，", "PM", "2.5", "浓", "度"]
    assert inline_diff("公示30日", "公示15日") == [
        TextSegment("equal", "公示"), TextSegment("delete", "30"),
        TextSegment("insert", "15"), TextSegment("equal", "日")]
    assert inline_diff("罚款2000元", "罚款200元") == [
        TextSegment("equal", "罚款"), TextSegment("delete", "2000"),
        TextSegment("insert", "200"), TextSegment("equal", "元")]


def test_segments_are_cut_into_paragraphs() -> None:
    segments = inline_diff("第一段。\n第二段三日。", "第一段。\n第二段五日。\n第三段。")
    lines = segment_lines(segments)
    assert lines[0] == [("equal", "第一段。")]
    assert ("delete", "三") in lines[1]
    assert ("insert", "五") in lines[1]
    assert lines[-1] == [("insert", "第三段。")]


def test_the_stored_record_shows_the_title_change() -> None:
    old = parse_outline(render(BODIES))
    new = parse_outline(render(BODIES).replace("（征求意见稿）", "（征求意见稿第二稿）"))
    _changes, record = compare_versions(old, new, "旧", "新")
    assert record["old_title"].endswith("（征求意见稿）")
    assert ["insert", "第二稿"] in record["title_lines"][0]
    assert {c["status"] for c in record["changes"]} == {"unchanged"}
    _changes, record = compare_versions(old, old, "旧", "新")
    assert record["title_lines"] == []

"""Outline parser: numerals, legal and work-plan structure, messy real-world input."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from participation.consultations.outline import (
    OutlineNode,
    chinese_numeral_to_int,
    int_to_chinese,
    iter_nodes,
    outline_to_dicts,
    parse_outline,
)

DRAFTS = Path(__file__).resolve().parent.parent / "fixtures" / "drafts"
# The project's shared docs sit beside the repository (in CI too).
SHARED_SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def load(name: str) -> str:
    return (DRAFTS / name).read_text(encoding="utf-8")


def of_kind(nodes: list[OutlineNode], kind: str) -> list[OutlineNode]:
    return [n for n in iter_nodes(nodes) if n.kind == kind]


def labels(nodes: list[OutlineNode]) -> list[str]:
    return [n.label for n in nodes]


def find(nodes: list[OutlineNode], anchor: str) -> OutlineNode:
    return next(n for n in iter_nodes(nodes) if n.anchor == anchor)


def assert_anchors_unique(nodes: list[OutlineNode]) -> None:
    anchors = [n.anchor for n in iter_nodes(nodes)]
    assert all(anchors)
    assert len(anchors) == len(set(anchors))
    assert all(a.replace("-", "").replace("_", "").isalnum() and a.isascii() for a in anchors)


# --- numerals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("一百", 100),
        ("一百零二", 102),
        ("一百一十九", 119),
        ("一百二十", 120),
        ("一百二", 120),
        ("两百", 200),
        ("一千零一", 1001),
        ("一千零一十", 1010),
        ("三千五百零六", 3506),
        ("二〇二一", 2021),
        ("〇", 0),
        ("零", 0),
        ("12", 12),
        ("１２", 12),
        (" 七 ", 7),
        ("一万零三", 10003),
    ],
)
def test_chinese_numeral_to_int(numeral: str, value: int) -> None:
    assert chinese_numeral_to_int(numeral) == value


@pytest.mark.parametrize(
    "garbage", ["", "  ", "abc", "十十", "百一百", "零十", "一百二三", "1百", "第一", "万万", "-3"]
)
def test_chinese_numeral_to_int_rejects_garbage(garbage: str) -> None:
    with pytest.raises(ValueError, match="numeral"):
        chinese_numeral_to_int(garbage)


def test_int_to_chinese_round_trips() -> None:
    assert int_to_chinese(2) == "二"
    assert int_to_chinese(12) == "十二"
    assert int_to_chinese(102) == "一百零二"
    assert int_to_chinese(1010) == "一千零一十"
    for n in range(1, 3000):
        assert chinese_numeral_to_int(int_to_chinese(n)) == n


# --- legal style -------------------------------------------------------------------------


def test_parts_chapters_sections_articles_paragraphs_items() -> None:
    nodes = parse_outline(load("rural_living_environment.txt"))
    assert [n.kind for n in nodes] == ["preamble", "part", "part", "part", "closing"]
    assert nodes[0].text.startswith("青石镇农村人居环境整治办法\n（征求意见稿）")
    assert [(p.label, p.heading) for p in nodes[1:4]] == [
        ("第一编", "总则"),
        ("第二编", "分项整治"),
        ("第三编", "保障与监督"),
    ]
    assert nodes[-1].text == "青石镇人民政府\n2024年5月20日"
    assert [c.heading for c in nodes[1].children] == ["一般规定", "职责分工"]
    chapter3 = find(nodes, "chapter-3")
    assert [(s.label, s.heading, s.anchor) for s in chapter3.children] == [
        ("第一节", "收集与转运", "chapter-3-section-1"),
        ("第二节", "资源化利用", "chapter-3-section-2"),
    ]
    articles = of_kind(nodes, "article")
    assert [a.ordinal for a in articles] == list(range(1, 15))
    assert articles[11].label == "第十二条"
    assert articles[11].anchor == "article-12"
    assert_anchors_unique(nodes)


def test_article_paragraphs_and_items() -> None:
    nodes = parse_outline(load("rural_living_environment.txt"))
    first = find(nodes, "article-1")
    assert first.children == []
    assert first.heading == ""
    assert first.text.startswith("为了改善农村人居环境")

    second = find(nodes, "article-2")
    assert second.text == "本镇行政区域内农村人居环境整治及其监督管理活动，适用本办法。"
    [paragraph] = second.children
    assert (paragraph.kind, paragraph.label, paragraph.ordinal) == ("paragraph", "第二款", 2)
    assert paragraph.anchor == "article-2-p2"
    assert paragraph.text.startswith("本办法所称农村人居环境整治")

    fifth = find(nodes, "article-5")
    assert fifth.text == "村民委员会应当履行下列职责："
    assert [(c.kind, c.label, c.ordinal) for c in fifth.children] == [
        ("item", "（一）", 1),
        ("item", "（二）", 2),
        ("item", "（三）", 3),
        ("item", "（四）", 4),
        ("paragraph", "第二款", 2),
    ]
    assert fifth.children[0].anchor == "article-5-item-1"
    assert all(c.level == 0 for c in fifth.children)


def test_cross_references_do_not_create_nodes() -> None:
    nodes = parse_outline(load("rural_living_environment.txt"))
    seventh = find(nodes, "article-7")
    assert "依照本办法第十三条的规定" in seventh.children[0].text
    assert len([n for n in iter_nodes(nodes) if n.label == "第十三条"]) == 1


def test_large_article_numbers_and_article_suffixes() -> None:
    nodes = parse_outline(load("greening_regulation_excerpt.txt"))
    articles = of_kind(nodes, "article")
    assert [(a.label, a.ordinal, a.sub_ordinal, a.anchor) for a in articles] == [
        ("第十九条", 19, 0, "article-19"),
        ("第二十条", 20, 0, "article-20"),
        ("第二十条之一", 20, 1, "article-20-1"),
        ("第二十条之二", 20, 2, "article-20-2"),
        ("第二十一条", 21, 0, "article-21"),
        ("第一百零一条", 101, 0, "article-101"),
        ("第一百零二条", 102, 0, "article-102"),
        ("第一百零二条之一", 102, 1, "article-102-1"),
        ("第一百零三条", 103, 0, "article-103"),
        ("第一百一十九条", 119, 0, "article-119"),
        ("第一百二十条", 120, 0, "article-120"),
    ]
    article_102 = find(nodes, "article-102")
    assert labels(article_102.children) == ["（一）", "（二）", "（三）", "第二款"]
    assert article_102.children[-1].text.startswith("有前款第一项行为的")
    assert [c.heading for c in nodes if c.kind == "chapter"] == ["建设管理", "法律责任", "附则"]
    assert "第二十条之一规定" in find(nodes, "article-101").text


def test_table_of_contents_is_not_the_body() -> None:
    nodes = parse_outline(load("market_measures_with_toc.txt"))
    assert nodes[0].kind == "preamble"
    assert "目" in nodes[0].text
    assert "第四章" in nodes[0].text
    chapters = [n for n in nodes if n.kind == "chapter"]
    assert [(c.label, c.heading) for c in chapters] == [
        ("第一章", "总则"),
        ("第二章", "市场开办与设施"),
        ("第三章", "经营管理"),
        ("第四章", "附则"),
    ]
    assert labels(chapters[1].children) == ["第一节", "第二节"]
    assert [a.ordinal for a in of_kind(nodes, "article")] == list(range(1, 8))
    assert len(of_kind(nodes, "section")) == 2
    assert_anchors_unique(nodes)


def test_table_of_contents_without_title_restarts_structure() -> None:
    text = (
        "某某镇河道管理办法\n"
        "第一章 总则 .......... 1\n"
        "第二章 河道保护 ...... 2\n"
        "第三章 附则 .......... 4\n"
        "第一章 总则\n"
        "第一条 为了加强河道管理，制定本办法。\n"
        "第二章 河道保护\n"
        "第二条 禁止在河道管理范围内倾倒垃圾。\n"
        "第三章 附则\n"
        "第三条 本办法自发布之日起施行。\n"
    )
    nodes = parse_outline(text)
    assert [n.kind for n in nodes] == ["preamble", "chapter", "chapter", "chapter"]
    assert "河道保护 ...... 2" in nodes[0].text
    assert [len(c.children) for c in nodes[1:]] == [1, 1, 1]


def test_bracketed_article_titles_and_split_heading_lines() -> None:
    text = (
        "第一章\n总则\n"
        "第一条【目的】为了规范村级公益事业建设，制定本规定。\n"
        "第二条\n本规定适用于本镇各行政村。\n"
        "第三条　【原则】村级公益事业建设应当尊重村民意愿。\n"
    )
    nodes = parse_outline(text)
    [chapter] = nodes
    assert (chapter.label, chapter.heading) == ("第一章", "总则")
    first, second, third = chapter.children
    assert (first.heading, first.text) == ("目的", "为了规范村级公益事业建设，制定本规定。")
    assert (second.heading, second.text, second.children) == ("", "本规定适用于本镇各行政村。", [])
    assert third.heading == "原则"


def test_page_break_inside_article_and_cross_reference_at_line_start() -> None:
    text = (
        "第一条 为了规范镇村集体资产管理，保障集体经济组织及其成员的合法权益，根据有关规定，\n"
        "制定本办法。\n"
        "第二条 违反本办法规定，擅自处置集体资产造成损失的，依照本办法\n"
        "第十二条的规定追究相关人员的责任。\n"
        "第三条 本办法自发布之日起施行。\n"
    )
    nodes = parse_outline(text)
    assert labels(nodes) == ["第一条", "第二条", "第三条"]
    assert nodes[0].text.endswith("根据有关规定，制定本办法。")
    assert nodes[0].children == []
    assert nodes[1].text.endswith("依照本办法第十二条的规定追究相关人员的责任。")


def test_reference_at_the_start_of_a_line_is_not_an_article() -> None:
    text = (
        "第一条 为了规范管理，制定本办法。\n"
        "第二条 镇村干部在集体资产管理中滥用职权的，依照本办法\n"
        "第五条规定处理。\n"
        "第一条至第三条的规定适用于本镇全部行政村。\n"
        "第三条 本办法自发布之日起施行。"
    )
    nodes = parse_outline(text)
    assert labels(nodes) == ["第一条", "第二条", "第三条"]
    assert nodes[1].text == "镇村干部在集体资产管理中滥用职权的，依照本办法第五条规定处理。"
    assert nodes[1].children[0].text == "第一条至第三条的规定适用于本镇全部行政村。"


def test_run_on_legal_text() -> None:
    text = (
        "某镇养犬管理规定（征求意见稿）第一条 为了规范养犬行为，制定本规定。"
        "第二条 本规定适用于镇区范围内的养犬活动；依照本规定第一条制定实施细则。"
        "第三条 养犬人应当遵守下列规定：（一）为犬只办理登记；（二）出户时束犬链。"
        "第四条 本规定自发布之日起施行。"
    )
    nodes = parse_outline(text)
    assert [n.label for n in nodes] == ["", "第一条", "第二条", "第三条", "第四条"]
    assert nodes[0].text == "某镇养犬管理规定（征求意见稿）"
    assert labels(nodes[3].children) == ["（一）", "（二）"]
    assert nodes[3].children[1].text == "出户时束犬链。"


# --- work-plan style ---------------------------------------------------------------------


def test_work_plan_headings_nest_by_level() -> None:
    nodes = parse_outline(load("waste_sorting_work_plan.txt"))
    assert [n.kind for n in nodes] == ["preamble", "heading", "heading", "heading", "closing"]
    top = nodes[1:4]
    assert [(h.label, h.heading, h.level) for h in top] == [
        ("一、", "总体要求", 1),
        ("二、", "重点任务", 1),
        ("三、", "保障措施", 1),
    ]
    first = top[0].children[0]
    assert (first.label, first.heading, first.level) == ("（一）", "指导思想", 2)
    assert first.text.startswith("坚持以人民为中心")
    facilities = top[1].children[0]
    assert facilities.heading == "完善分类设施"
    assert [(c.label, c.level, c.heading) for c in facilities.children] == [
        ("1.", 3, "配齐收集容器"),
        ("2.", 3, "建设集中收集点"),
        ("3.", 3, "规范转运车辆"),
    ]
    points = facilities.children[1].children
    assert [(c.label, c.level, c.ordinal) for c in points] == [("（1）", 4, 1), ("（2）", 4, 2)]
    assert points[1].anchor == "heading-2-1-2-2"
    assert labels(top[1].children) == ["（一）", "（二）"]
    assert top[2].children[0].heading == "加强组织领导"
    assert top[2].children[0].text.startswith("成立镇农村生活垃圾分类工作领导小组，")
    assert_anchors_unique(nodes)


def test_bracket_items_are_items_in_legal_text_and_headings_otherwise() -> None:
    legal = parse_outline("第一条 下列事项应当公示：\n（一）低保名单；\n（二）补贴发放情况。\n")
    assert [(c.kind, c.level) for c in legal[0].children] == [("item", 0), ("item", 0)]
    plan = parse_outline("一、公示内容\n（一）低保名单\n（二）补贴发放情况\n")
    assert [(c.kind, c.level) for c in plan[0].children] == [("heading", 2), ("heading", 2)]


def test_outline_heading_titles() -> None:
    nodes = parse_outline(
        "一、工作目标：到2024年底，覆盖率达到90%。\n二、时间安排：\n三、其他事项\n正文。"
    )
    assert [(n.heading, n.text) for n in nodes] == [
        ("工作目标", "到2024年底，覆盖率达到90%。"),
        ("时间安排", ""),
        ("其他事项", "正文。"),
    ]


def test_nested_items_in_an_article() -> None:
    [article] = parse_outline(
        "第九条 申请补助应当提交下列材料：\n（一）申请表；\n（二）证明材料，包括：\n"
        "1. 身份证明；\n2. 收入证明。\n材料不齐全的，应当一次性告知。"
    )
    assert [(c.kind, c.label) for c in article.children] == [
        ("item", "（一）"),
        ("item", "（二）"),
        ("paragraph", "第二款"),
    ]
    assert [c.anchor for c in article.children[1].children] == [
        "article-9-item-2-1",
        "article-9-item-2-2",
    ]


def test_half_width_punctuation_is_normalised() -> None:
    nodes = parse_outline("一.总体要求\n(一)目标\n1．第一点。\n2、第二点。\n(1) 细项。\n三、其他\n")
    assert [n.label for n in iter_nodes(nodes)] == ["一、", "（一）", "1.", "2.", "（1）", "三、"]


def test_page_break_in_a_work_plan_paragraph_is_joined() -> None:
    text = (
        "一、推动重点工作公开\n"
        "（一）及时公开规划。主动公开专项规划。镇政府以适当方式归集整理各村、各部\n"
        "\n"
        "门主动公开的规划，通过政府门户网站公开\n"
        "（二）严格推动政务服务事项公开。\n"
    )
    nodes = parse_outline(text)
    first, second = nodes[0].children
    assert first.heading == "及时公开规划"
    assert first.text == (
        "主动公开专项规划。镇政府以适当方式归集整理各村、各部门主动公开的规划，通过政府门户网站公开"
    )
    assert second.heading == "严格推动政务服务事项公开"


def test_run_on_work_plan_with_page_markers() -> None:
    text = (
        "《2023年某镇政务公开工作要点.docx》由会员分享,可在线阅读。\n"
        "1、2023年某镇政务公开工作要点为做好政务公开工作,结合我镇实际,制定工作要点如下:"
        "一、夯实工作基础(一)规范信息管理。对引用行政法规的网站信息及时更新,报请镇政府发文的,须填写行政\n"
        "2、机关公文公开发布意见单。(二)完善公开内容。持续拓展主动公开的具体内容,对依申请公开提供的\n"
        "3、政府信息同步开展审查。二、加强解读回应(一)加强政策解读。做好政策文件解读,落实解读与政策文件同步\n"
        "4、制度。二、强化工作保障(一)强化组织领导。成立政务公开工作领导小组。\n"
    )
    nodes = parse_outline(text)
    assert nodes[0].kind == "preamble"
    assert nodes[0].text.endswith("制定工作要点如下:")
    assert "1、" not in nodes[0].text
    top = nodes[1:]
    assert [(h.label, h.heading) for h in top] == [
        ("一、", "夯实工作基础"),
        ("二、", "加强解读回应"),
        ("二、", "强化工作保障"),
    ]
    assert [h.anchor for h in top] == ["heading-1", "heading-2", "heading-2_2"]
    assert top[0].children[0].text.endswith("须填写行政机关公文公开发布意见单。")
    assert top[0].children[1].text.endswith("对依申请公开提供的政府信息同步开展审查。")
    assert top[1].children[0].text.endswith("落实解读与政策文件同步制度。")
    assert top[2].children[0].anchor == "heading-2_2-1"
    assert_anchors_unique(nodes)


# --- seed documents ----------------------------------------------------------------------


def seed(number: str) -> list[OutlineNode]:
    return parse_outline(load(f"seeds/seed_{number}.txt"))


def headings(nodes: list[OutlineNode]) -> list[OutlineNode]:
    return [n for n in nodes if n.kind == "heading"]


def test_seed_000_markdown_headings_and_page_breaks() -> None:
    nodes = seed("000")
    top = headings(nodes)
    assert labels(top) == ["一、", "二、", "三、", "四、", "五、"]
    assert top[3].heading == "深化政府信息管理，以公开增强履职能力"
    assert [len(h.children) for h in top] == [4, 2, 3, 3, 3]
    assert labels(top[0].children) == ["（一）", "（二）", "（三）", "（四）"]
    assert top[0].children[0].heading == "及时开展相关规划公开工作"
    assert "各村、各部门主动公开的规划" in top[0].children[0].text
    assert "主动公开重大行政决策事项目录" in top[2].children[0].text
    assert nodes[0].kind == "preamble"
    assert "#" not in nodes[0].text
    assert nodes[-1].kind == "closing"
    assert_anchors_unique(nodes)


def test_seed_001_numbering_continues_across_sections() -> None:
    top = headings(seed("001"))
    assert labels(top) == ["一、", "二、", "三、", "四、", "五、"]
    assert [[c.ordinal for c in h.children] for h in top] == [
        [1, 2, 3],
        [4, 5],
        [6, 7, 8],
        [9, 10],
        [11, 12, 13],
    ]
    assert top[4].children[-1].label == "（十三）"
    assert top[4].children[-1].anchor == "heading-5-13"


def test_seed_002_three_levels() -> None:
    nodes = seed("002")
    top = headings(nodes)
    assert [(h.label, h.heading) for h in top] == [
        ("一、", "总体要求"),
        ("二、", "主要任务"),
        ("三、", "保障措施"),
    ]
    tasks = top[1].children
    assert labels(tasks) == ["（一）", "（二）", "（三）", "（四）"]
    numbered = [c.ordinal for t in tasks for c in t.children]
    assert numbered == list(range(1, 17))
    assert all(c.level == 3 for t in tasks for c in t.children)
    second = tasks[0].children[1]
    assert "做好培育壮大高端化工" in second.heading + second.text
    assert nodes[-1].kind == "closing"
    assert "2021年6月23日" in nodes[-1].text


def test_seed_003_run_on_text() -> None:
    nodes = seed("003")
    top = headings(nodes)
    assert labels(top) == ["一、", "二、", "三、", "三、"]
    assert [h.heading for h in (top[0], top[2], top[3])] == [
        "夯实政务公开工作基础",
        "加强解读和回应实效",
        "强化工作保障",
    ]
    assert [len(h.children) for h in top] == [3, 0, 3, 4]
    assert [c.heading for c in top[0].children] == [
        "规范信息管理",
        "完善公开内容",
        "规范依申请办理工作",
    ]
    assert "樟树市行政机关公文公开发布意见单" in top[0].children[0].text
    assert "2、" not in top[0].children[0].text
    assert nodes[0].text.endswith("工作要点如下:")
    assert_anchors_unique(nodes)


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="shared seed directory not available")
def test_shared_seeds_parse() -> None:
    for path in sorted(SHARED_SEEDS.glob("*.txt")):
        nodes = parse_outline(path.read_text(encoding="utf-8", errors="replace"))
        assert headings(nodes), path.name
        assert_anchors_unique(nodes)
        json.dumps(outline_to_dicts(nodes), ensure_ascii=False)


# --- robustness and API ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\u3000\n", "\x00\x01"])
def test_empty_input(text: str) -> None:
    assert parse_outline(text) == []


def test_plain_text_is_a_preamble() -> None:
    [node] = parse_outline("这是一段没有任何结构的说明文字。\n第二行。")
    assert (node.kind, node.label, node.anchor) == ("preamble", "", "preamble")
    assert node.text == "这是一段没有任何结构的说明文字。\n第二行。"


ALPHABET = list("第条章节编款之一二三四五六七八九十百千零〇两、，。：；（）()．.【】目录")
ALPHABET += [" ", "\n", "\t", "\u3000"]
ALPHABET += list("0123456789１２abc#*<>/") + ["\n\n", "第一条", "（一）", "一、", "1.", "。二、"]


def test_random_input_never_crashes() -> None:
    rng = random.Random(20240601)
    for _ in range(400):
        size = rng.randint(0, 120)
        text = "".join(rng.choice(ALPHABET) for _ in range(size))
        nodes = parse_outline(text)
        assert_anchors_unique(nodes)
        json.dumps(outline_to_dicts(nodes))
        assert outline_to_dicts(parse_outline(text)) == outline_to_dicts(nodes)


def test_binary_garbage_never_crashes() -> None:
    rng = random.Random(7)
    for _ in range(50):
        blob = bytes(rng.randrange(256) for _ in range(rng.randint(0, 600)))
        for text in (blob.decode("utf-8", errors="replace"), blob.decode("latin-1")):
            assert_anchors_unique(parse_outline(text))
        wide = "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(200))
        assert_anchors_unique(parse_outline(wide))


def test_outline_to_dicts_shape() -> None:
    nodes = parse_outline("第一章 总则\n第一条 为了规范管理，制定本办法。\n第一条之一 新增内容。\n")
    [chapter] = outline_to_dicts(nodes)
    assert set(chapter) == {
        "kind",
        "label",
        "ordinal",
        "heading",
        "text",
        "children",
        "level",
        "sub_ordinal",
        "anchor",
    }
    assert chapter["anchor"] == "chapter-1"
    assert [(c["label"], c["sub_ordinal"], c["anchor"]) for c in chapter["children"]] == [
        ("第一条", 0, "article-1"),
        ("第一条之一", 1, "article-1-1"),
    ]
    json.dumps(chapter, ensure_ascii=False)


def test_iter_nodes_is_pre_order() -> None:
    nodes = parse_outline("一、甲\n（一）乙\n1. 丙。\n（二）丁\n二、戊\n")
    assert [n.heading for n in iter_nodes(nodes)] == ["甲", "乙", "丙", "丁", "戊"]


def test_non_string_input_gives_empty_outline() -> None:
    assert parse_outline(None) == []  # type: ignore[arg-type]

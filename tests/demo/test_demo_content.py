"""Invariants of the demo content (pure Python, no application needed)."""

import datetime
import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from participation.demo import content

ALLOWED_TAGS = {"p", "h3", "ul", "ol", "li", "strong"}
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER_RE = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
OPEN_ORDINALS = content.article_numbers(content.OPEN_DRAFT["text"])
CLOSED_ORDINALS = content.article_numbers(content.CLOSED_DRAFT["text"])


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.attributes = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)


def _tags(body):
    parser = _TagCollector()
    parser.feed(body)
    parser.close()
    return parser.tags, parser.attributes


def _decision(key):
    return next(d for d in content.DECISIONS if d["key"] == key)


# --- government, units, people --------------------------------------------------


def test_government_has_the_expected_fields():
    assert set(content.GOVERNMENT) == {
        "name",
        "short_name",
        "postal_address",
        "email",
        "hotline",
        "office_phone",
        "website_name",
    }
    assert content.GOVERNMENT["name"] == "青禾镇人民政府"
    assert content.GOVERNMENT["short_name"] == "青禾镇"
    assert content.GOVERNMENT["hotline"] == "12345"
    assert content.GOVERNMENT["email"].endswith(".example.gov.cn")
    assert re.fullmatch(r"0\d{3}-\d{7}", content.GOVERNMENT["office_phone"])


def test_units_are_unique_and_nested():
    keys = [unit["key"] for unit in content.UNITS]
    assert 7 <= len(keys) <= 9
    assert len(set(keys)) == len(keys)
    assert len({unit["name"] for unit in content.UNITS}) == len(keys)
    nested = [unit for unit in content.UNITS if unit["parent"] is not None]
    assert nested, "at least one unit must sit under another"
    for unit in nested:
        assert unit["parent"] in keys
        assert unit["parent"] != unit["key"]
        parent = next(u for u in content.UNITS if u["key"] == unit["parent"])
        assert parent["parent"] is None


def test_officials_cover_every_role_with_example_addresses():
    roles = Counter(official["role"] for official in content.OFFICIALS)
    assert roles["administrator"] == 1
    assert roles["approver"] >= 1
    assert roles["moderator"] >= 1
    assert roles["editor"] >= 3
    usernames = [official["username"] for official in content.OFFICIALS]
    assert len(set(usernames)) == len(usernames)
    assert {"admin", "editor", "approver", "moderator"} <= set(usernames)
    unit_keys = {unit["key"] for unit in content.UNITS}
    editor_units = set()
    for official in content.OFFICIALS:
        assert official["email"].endswith("@qinghe.example.gov.cn")
        assert official["unit"] is None or official["unit"] in unit_keys
        if official["role"] == "editor":
            assert official["unit"] is not None
            editor_units.add(official["unit"])
    assert len(editor_units) >= 3
    admin = next(o for o in content.OFFICIALS if o["username"] == "admin")
    assert admin["role"] == "administrator"
    assert admin["unit"] is None


def test_citizens_are_fictional():
    assert len(content.CITIZENS) == 5
    for citizen in content.CITIZENS:
        assert re.fullmatch(r"13[89]0000\d{4}", citizen["mobile"])
        assert citizen["email"].endswith("@example.com")
        assert citizen["name"]


def test_person_names():
    names = content.PERSON_NAMES
    assert len(names) >= 60
    assert len(set(names)) == len(names)
    assert any(name.endswith("先生") for name in names)
    assert any(name.endswith("女士") for name in names)
    assert sum(not name.endswith(("先生", "女士", "阿姨", "大爷")) for name in names) >= 20


# --- the catalogue ---------------------------------------------------------------


def test_decision_count_and_unique_keys():
    keys = [decision["key"] for decision in content.DECISIONS]
    assert 14 <= len(keys) <= 18
    assert len(set(keys)) == len(keys)
    assert len({decision["title"] for decision in content.DECISIONS}) == len(keys)


def test_every_stage_is_present():
    stages = {decision["stage"] for decision in content.DECISIONS}
    assert stages == set(content.STAGES)


def test_every_decision_unit_and_category_exists():
    unit_keys = {unit["key"] for unit in content.UNITS}
    for decision in content.DECISIONS:
        assert decision["unit"] in unit_keys, decision["key"]
        assert decision["category"] in content.CATEGORIES, decision["key"]
    used_units = {decision["unit"] for decision in content.DECISIONS}
    assert len(used_units) >= 6
    assert used_units & {u["key"] for u in content.UNITS if u["parent"] is not None}
    assert {decision["category"] for decision in content.DECISIONS} == set(content.CATEGORIES)


def test_decision_fields():
    required = {
        "key",
        "title",
        "unit",
        "category",
        "legal_basis",
        "summary",
        "planned_completion",
        "stage",
        "confidential",
        "documents",
    }
    optional = {"catalogue_change", "withdrawn"}
    for decision in content.DECISIONS:
        assert required <= set(decision) <= required | optional, decision["key"]
        assert decision["title"].startswith("青禾镇")
        assert re.fullmatch(r"(《[^《》]+》)+", decision["legal_basis"]), decision["key"]
        assert 40 <= len(decision["summary"]) <= 300, decision["key"]
        completion = datetime.date.fromisoformat(decision["planned_completion"])
        assert completion.year == content.CATALOGUE_YEAR
        assert isinstance(decision["confidential"], bool)


def test_confidential_withdrawn_and_changed_entries():
    confidential = [d for d in content.DECISIONS if d["confidential"]]
    assert 1 <= len(confidential) <= 2
    withdrawn = [d for d in content.DECISIONS if "withdrawn" in d]
    assert len(withdrawn) == 1
    assert len(withdrawn[0]["withdrawn"]) >= 20
    changes = [d["catalogue_change"] for d in content.DECISIONS if "catalogue_change" in d]
    assert len(changes) == 2
    assert {change["kind"] for change in changes} == {"added", "adjusted"}
    for change in changes:
        assert set(change) == {"kind", "reason"}
        assert len(change["reason"]) >= 20


def test_documents_follow_the_stage():
    for decision in content.DECISIONS:
        kinds = set(decision["documents"])
        stage = decision["stage"]
        assert kinds <= set(content.DOCUMENT_KINDS)
        missing = content.documents_required(stage) - kinds
        assert not missing, (decision["key"], missing)
        premature = kinds - content.documents_allowed(stage)
        assert not premature, (decision["key"], premature)


def test_stage_document_rules():
    assert content.documents_required("drafting") == set()
    assert content.documents_required("public_consultation") == {
        "draft",
        "explanation",
        "background",
    }
    assert content.documents_required("decided") == {
        "draft",
        "explanation",
        "background",
        "legality_review",
        "meeting_record",
        "decision_result",
    }
    assert "evaluation" in content.documents_required("evaluated")
    assert "meeting_record" not in content.documents_allowed("collective_deliberation")
    assert "expert_review" not in content.documents_allowed("expert_review")


def test_documents_are_simple_html():
    for decision in content.DECISIONS:
        for kind, document in decision["documents"].items():
            assert document["title"], (decision["key"], kind)
            tags, attributes = _tags(document["body"])
            assert tags, (decision["key"], kind)
            assert set(tags) <= ALLOWED_TAGS, (decision["key"], kind, set(tags))
            assert not attributes


def test_meeting_records_name_the_meeting_and_attendance():
    for decision in content.DECISIONS:
        record = decision["documents"].get("meeting_record")
        if record is None:
            continue
        assert re.search(r"镇人民政府2026年第\d+次常务会议", record["body"]), decision["key"]
        assert "列席" in record["body"], decision["key"]


def test_draft_decisions_point_at_the_right_stage():
    open_decision = _decision(content.OPEN_DRAFT["decision"])
    assert open_decision["stage"] == "public_consultation"
    closed_decision = _decision(content.CLOSED_DRAFT["decision"])
    assert content.STAGES.index(closed_decision["stage"]) >= content.STAGES.index("expert_review")


# --- numerals and legal texts -------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "numeral"),
    [
        (1, "一"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (20, "二十"),
        (21, "二十一"),
        (30, "三十"),
        (38, "三十八"),
    ],
)
def test_chinese_numerals(number, numeral):
    assert content.chinese_numeral(number) == numeral
    assert content.parse_chinese_numeral(numeral) == number


def test_chinese_numerals_round_trip():
    for number in range(1, 100):
        assert content.parse_chinese_numeral(content.chinese_numeral(number)) == number
    with pytest.raises(ValueError, match="non-standard"):
        content.parse_chinese_numeral("一十")


def _article_lines(text):
    return [line for line in text.splitlines() if content.ARTICLE_LINE_RE.match(line)]


def test_open_draft_articles_and_chapters():
    draft = content.OPEN_DRAFT
    assert draft["title"].endswith("管理办法（征求意见稿）")
    assert draft["short_period_reason"] is None
    lines = draft["text"].splitlines()
    assert all(line.strip() == line and line for line in lines)
    articles = _article_lines(draft["text"])
    assert 32 <= len(articles) <= 40
    assert OPEN_ORDINALS == list(range(1, len(articles) + 1))
    chapters = [line for line in lines if content.CHAPTER_LINE_RE.match(line)]
    assert 5 <= len(chapters) <= 7
    assert lines[0] == "第一章\u3000总则"
    assert chapters[-1].endswith("附则")
    chapter_numbers = [
        content.parse_chinese_numeral(content.CHAPTER_LINE_RE.match(line).group(1))
        for line in chapters
    ]
    assert chapter_numbers == list(range(1, len(chapters) + 1))
    # Several paragraphs and numbered items.
    assert sum(line.startswith("（一）") for line in lines) >= 4
    assert len(lines) - len(articles) - len(chapters) >= 30


def test_article_references_point_at_existing_articles():
    for text in (
        content.OPEN_DRAFT["text"],
        content.CLOSED_DRAFT["text"],
        content.CLOSED_DRAFT["revised_text"],
    ):
        count = len(_article_lines(text))
        for match in content.ARTICLE_REFERENCE_RE.finditer(text):
            assert 1 <= content.parse_chinese_numeral(match.group(1)) <= count


def _articles_by_number(text):
    articles = {}
    current = None
    for line in text.splitlines():
        match = content.ARTICLE_LINE_RE.match(line)
        if match:
            current = content.parse_chinese_numeral(match.group(1))
            articles[current] = [line.split("\u3000", 1)[1]]
        elif current is not None:
            articles[current].append(line)
    return articles


def test_closed_draft_and_its_revision():
    draft = content.CLOSED_DRAFT
    assert draft["title"].endswith("（征求意见稿）")
    assert 20 <= len(CLOSED_ORDINALS) <= 28
    assert CLOSED_ORDINALS == list(range(1, len(CLOSED_ORDINALS) + 1))
    revised_ordinals = content.article_numbers(draft["revised_text"])
    assert revised_ordinals == list(range(1, len(revised_ordinals) + 1))
    old = _articles_by_number(draft["text"])
    new = _articles_by_number(draft["revised_text"])
    old_bodies = {tuple(body) for body in old.values()}
    new_bodies = {tuple(body) for body in new.values()}
    removed = old_bodies - new_bodies  # deleted or edited
    added = new_bodies - old_bodies  # inserted or edited
    assert 4 <= len(removed) <= 6  # 3-5 edited + 1 deleted
    assert len(added) == len(removed)  # 3-5 edited + 1 inserted
    # Renumbering: some unchanged articles moved to another number.
    moved = [n for n, body in old.items() if body in new.values() and new.get(n) != body]
    assert moved
    assert draft["explanation"]
    assert draft["background"]


def test_text_to_html():
    rendered = content.text_to_html("第一章\u3000总则\n第一条\u3000为了<测试>。\n（一）甲；")
    assert rendered == (
        "<h3>第一章\u3000总则</h3><p>第一条\u3000为了&lt;测试&gt;。</p><p>（一）甲；</p>"
    )


# --- opinions -----------------------------------------------------------------------------


def test_opinion_templates():
    assert "general" in content.OPINION_TEMPLATES
    for theme, templates in content.OPINION_TEMPLATES.items():
        assert len(templates) >= 2, theme
        assert len(set(templates)) == len(templates), theme
        for template in templates:
            assert 20 <= len(template) <= 300, (theme, template)
    for draft_key, themes in content.DRAFT_THEMES.items():
        for theme, weight, _ in themes:
            assert theme in content.OPINION_TEMPLATES, (draft_key, theme)
            assert weight > 0
    for theme in content.CONCENTRATED_THEMES:
        assert len(content.OPINION_TEMPLATES[theme]) >= 5


def test_theme_articles_exist_in_their_draft():
    for draft_key, ordinals in (("open", OPEN_ORDINALS), ("closed", CLOSED_ORDINALS)):
        for theme, _, articles in content.DRAFT_THEMES[draft_key]:
            assert set(articles) <= set(ordinals), (draft_key, theme)


@pytest.mark.parametrize(
    ("draft_key", "ordinals"), [("open", OPEN_ORDINALS), ("closed", CLOSED_ORDINALS)]
)
def test_generate_opinions_is_deterministic(draft_key, ordinals):
    first = content.generate_opinions(draft_key, ordinals, 120, seed=42)
    second = content.generate_opinions(draft_key, ordinals, 120, seed=42)
    other = content.generate_opinions(draft_key, ordinals, 120, seed=43)
    assert first == second
    assert first != other
    assert content.opinion_themes(draft_key, ordinals, 120, seed=42) == content.opinion_themes(
        draft_key, ordinals, 120, seed=42
    )


@pytest.mark.parametrize("count", [0, 1, 17, 350])
def test_generate_opinions_returns_the_requested_count(count):
    assert len(content.generate_opinions("open", OPEN_ORDINALS, count, seed=1)) == count
    assert len(content.opinion_themes("closed", CLOSED_ORDINALS, count, seed=1)) == count


def test_generate_opinions_rejects_unknown_draft():
    with pytest.raises(ValueError, match="unknown draft key"):
        content.generate_opinions("middle", OPEN_ORDINALS, 3, seed=1)


@pytest.mark.parametrize(
    ("draft_key", "ordinals", "seed"),
    [("open", OPEN_ORDINALS, 2026), ("closed", CLOSED_ORDINALS, 7), ("open", OPEN_ORDINALS, 1)],
)
def test_generated_opinions_are_valid(draft_key, ordinals, seed):
    opinions = content.generate_opinions(draft_key, ordinals, 400, seed=seed)
    keys = {
        "channel",
        "article_ordinal",
        "body",
        "name",
        "contact",
        "consent_to_publish",
        "reference",
        "day_offset",
    }
    references = []
    for opinion in opinions:
        assert set(opinion) == keys
        assert opinion["channel"] in content.CHANNELS
        assert opinion["article_ordinal"] is None or opinion["article_ordinal"] in ordinals
        assert 5 <= len(opinion["body"]) <= 5000
        assert opinion["name"] is None or opinion["name"] in content.PERSON_NAMES
        assert isinstance(opinion["consent_to_publish"], bool)
        assert 0 <= opinion["day_offset"] <= 29
        contact = opinion["contact"]
        assert (
            contact is None
            or re.fullmatch(r"1[3-9]\d{9}", contact)
            or contact.endswith("@example.com")
        )
        if opinion["channel"] == "hotline":
            assert re.fullmatch(r"12345-2026\d{6}", opinion["reference"])
        elif opinion["channel"] == "letter":
            assert re.fullmatch(r"信-2026-\d{3}", opinion["reference"])
        else:
            assert opinion["reference"] is None
        if opinion["reference"]:
            references.append(opinion["reference"])
    assert len(set(references)) == len(references)

    channels = Counter(opinion["channel"] for opinion in opinions)
    assert len(channels) >= 10
    assert channels.most_common(1)[0][0] == "online"
    assert channels["hotline"] > channels["letter"]

    whole_draft = sum(opinion["article_ordinal"] is None for opinion in opinions)
    assert 0.2 <= whole_draft / len(opinions) <= 0.4
    anonymous = sum(opinion["name"] is None for opinion in opinions)
    assert 0.3 <= anonymous / len(opinions) <= 0.5
    consenting = sum(opinion["consent_to_publish"] for opinion in opinions)
    assert consenting / len(opinions) >= 0.75

    # Varied enough not to look like copies.
    assert len({opinion["body"] for opinion in opinions}) >= 0.9 * len(opinions)

    # A few bodies carry personal data the platform must mask.
    with_mobile = [opinion for opinion in opinions if MOBILE_RE.search(opinion["body"])]
    assert 1 <= len(with_mobile) <= 0.08 * len(opinions)


def test_some_bodies_contain_an_id_number():
    opinions = content.generate_opinions("open", OPEN_ORDINALS, 1000, seed=5)
    assert any(ID_NUMBER_RE.search(opinion["body"]) for opinion in opinions)


def test_concentrated_opinions_form_clusters():
    for draft_key, ordinals in (("open", OPEN_ORDINALS), ("closed", CLOSED_ORDINALS)):
        themes = Counter(content.opinion_themes(draft_key, ordinals, 350, seed=11))
        clusters = [t for t in content.CONCENTRATED_THEMES if t.startswith(("waste", "parking"))]
        present = [t for t in clusters if themes[t] >= 20]
        assert len(present) >= 2, (draft_key, themes)


def test_article_opinions_match_their_theme():
    opinions = content.generate_opinions("open", OPEN_ORDINALS, 300, seed=9)
    themes = content.opinion_themes("open", OPEN_ORDINALS, 300, seed=9)
    for opinion, theme in zip(opinions, themes, strict=True):
        if theme == "waste_transition":
            assert opinion["article_ordinal"] == 37
            assert "过渡期" in opinion["body"]
        if theme in ("general", "waste_general", "off_topic"):
            assert opinion["article_ordinal"] is None


def test_no_articles_means_whole_draft():
    opinions = content.generate_opinions("closed", [], 50, seed=3)
    assert all(opinion["article_ordinal"] is None for opinion in opinions)

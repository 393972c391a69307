"""Detectors of personal data: property-based (hypothesis) and by example."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participation.core.pii import analyse, mask, mask_personal_data, possible_personal_data
from participation.core.pii.detect import id_check_character, luhn_valid

settings.register_profile("participation", max_examples=150, deadline=None)
settings.load_profile("participation")

digits = st.text("0123456789", min_size=1, max_size=1)


@st.composite
def id_body(draw) -> str:
    """The first 17 digits of a resident ID: region, birth date, sequence."""
    region = draw(st.integers(110000, 659999))
    birth = draw(st.dates(min_value=__import__("datetime").date(1900, 1, 1),
                          max_value=__import__("datetime").date(2025, 12, 31)))
    sequence = draw(st.integers(0, 999))
    return f"{region}{birth:%Y%m%d}{sequence:03d}"


@st.composite
def luhn_number(draw, valid: bool = True) -> str:
    length = draw(st.integers(16, 19))
    body = str(draw(st.integers(1, 9))) + "".join(
        draw(st.lists(digits, min_size=length - 2, max_size=length - 2)))
    for check in "0123456789":
        if luhn_valid(body + check) == valid:
            return body + check
    raise AssertionError("unreachable")


def _grouped(number: str, separator: str) -> str:
    return separator.join(number[i:i + 4] for i in range(0, len(number), 4))


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


separators = st.sampled_from(["", " ", "-"])
context = st.sampled_from([("请联系", "。"), ("", ""), ("号码：", "，谢谢"), ("ID ", " ok")])


@given(id_body(), separators, context)
def test_ids_with_a_correct_check_digit_are_always_masked(first17, separator, around):
    number = first17 + id_check_character(first17)
    typed = (first17[:6] + separator + first17[6:14] + separator + first17[14:]
             + id_check_character(first17))
    masked, findings = mask(around[0] + typed + around[1])
    assert number not in masked.replace(" ", "").replace("-", "")
    assert f"{number[:4]}**********{number[-4:]}" in masked
    assert [f.kind for f in findings] == ["id_number"]


@given(id_body(), st.integers(1, 10))
def test_ids_with_a_wrong_check_digit_are_not_masked(first17, shift):
    right = "0123456789X".index(id_check_character(first17))
    wrong = "0123456789X"[(right + shift) % 11]
    text = f"编号{first17}{wrong}。"
    masked, findings = mask(text)
    assert not any(f.kind == "id_number" for f in findings)
    # It may still be a Luhn-valid card number by chance, never an ID.
    if wrong == "X" or not luhn_valid(first17 + wrong):
        assert masked == text


@given(luhn_number(valid=True), separators)
def test_luhn_valid_card_numbers_are_masked(number, separator):
    masked, findings = mask("卡号" + _grouped(number, separator) + "。")
    assert number not in masked
    assert masked.startswith("卡号" + number[:4])
    assert masked.endswith(number[-4:] + "。")
    assert [f.kind for f in findings] in (["bank_card"], ["id_number"])


@given(luhn_number(valid=False), separators)
def test_luhn_invalid_card_numbers_are_kept(number, separator):
    text = "卡号" + _grouped(number, separator) + "。"
    masked, findings = mask(text)
    assert not any(f.kind == "bank_card" for f in findings)
    if len(number) != 18:  # 18 digits may be an ID with a valid check digit
        assert masked == text


@st.composite
def mobile(draw) -> tuple[str, str]:
    """(the 11 digits, the number as someone typed it)."""
    number = "1" + draw(st.sampled_from("3456789")) + "".join(
        draw(st.lists(digits, min_size=9, max_size=9)))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "86", "+86-"]))
    style = draw(st.sampled_from(["plain", "3-4-4 spaces", "3-4-4 dashes", "mixed"]))
    body = {"plain": number,
            "3-4-4 spaces": f"{number[:3]} {number[3:7]} {number[7:]}",
            "3-4-4 dashes": f"{number[:3]}-{number[3:7]}-{number[7:]}",
            "mixed": f"{number[:3]} {number[3:7]}-{number[7:]}"}[style]
    typed = prefix + body
    if draw(st.booleans()):
        typed = _full_width(typed)
    return number, typed


@given(mobile(), context)
def test_mobile_numbers_in_any_format_are_masked(generated, around):
    number, typed = generated
    masked, findings = mask(around[0] + typed + around[1])
    assert f"{number[:3]}****{number[-4:]}" in masked
    squeezed = unicodedata.normalize("NFKC", masked).replace(" ", "").replace("-", "")
    assert number not in squeezed
    assert [f.kind for f in findings] == ["mobile"]
    assert masked.startswith(around[0])
    assert masked.endswith(around[1])


ordinary = st.one_of(
    st.integers(1, 999).map(lambda n: f"第{n}条"),
    st.integers(1, 99).map(lambda n: f"第{n}条第{n % 9 + 1}款"),
    st.dates().map(lambda d: f"{d:%Y-%m-%d}"),
    st.dates().map(lambda d: f"{d:%Y%m%d}"),
    st.dates().map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
    st.decimals(0, 10**9, places=2, allow_nan=False).map(lambda a: f"{a:,}元"),
    st.integers(0, 10**6).map(lambda n: f"{n}元"),
    st.integers(100000, 999999).map(lambda n: f"邮编{n}"),
    st.integers(1, 9999).map(lambda n: f"{n}号"),
    st.just("12345热线"),
    st.just("12345"),
)


@given(st.lists(ordinary, min_size=1, max_size=6))
def test_article_numbers_dates_and_amounts_are_never_changed(parts):
    text = "，".join(parts) + "。"
    assert mask(text) == (text, [])


pieces = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    mobile().map(lambda m: m[1]),
    id_body().map(lambda b: b + id_check_character(b)),
    luhn_number(),
    st.sampled_from(["zhang.san@example.com", "ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ", "0739-5550128",
                     "(0795)7871001转12", "第12条", "2026-03-01"]),
)


@given(st.lists(pieces, max_size=6))
def test_masking_is_idempotent_and_keeps_text_outside_the_findings(parts):
    text = "".join(parts)
    masked, findings = mask(text)
    assert mask(masked)[0] == masked
    position = 0
    rebuilt = []
    for finding in findings:
        assert position <= finding.start < finding.end <= len(text)
        rebuilt.append(text[position:finding.start])
        position = finding.end
    rebuilt.append(text[position:])
    # Between and around the findings the masked text has the original characters.
    remaining = masked
    for piece in rebuilt:
        assert piece in remaining
        remaining = remaining[remaining.index(piece) + len(piece):]


@pytest.mark.parametrize("text", [
    "18380011586" "8" "0086-130 0000 0000",  # a card-like prefix ending next to a phone
    "13000000000" "-1" "-" "1000000000000008",  # a card after a phone and a failed check
])
def test_masking_twice_finds_nothing_new_next_to_a_masked_number(text):
    """Counterexamples hypothesis found: a masked number must not leave a shorter number
    beside it for a second masking to find."""
    masked, _findings = mask(text)
    assert mask(masked)[0] == masked


def test_full_width_numbers_are_masked_and_the_rest_kept_as_typed():
    text = "电话：１３９－１２３４－５６７８，邮箱ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ（第１２条）"
    masked, findings = mask(text)
    assert masked == "电话：139****5678，邮箱z***@example.com（第１２条）"
    assert [f.kind for f in findings] == ["mobile", "email"]
    assert text[findings[0].start:findings[0].end] == "１３９－１２３４－５６７８"
    assert unicodedata.normalize("NFKC", text[findings[1].start:findings[1].end]) \
        == "zhang@example.com"


def test_full_width_id_with_spaces_is_masked():
    text = "身份证：１１０１０５　１９４９１２３１　００２Ｘ。"
    assert mask_personal_data(text) == "身份证：1101**********002X。"


def test_asterisks_typed_around_a_number_do_not_protect_it():
    assert mask_personal_data("**13912345678**") == "**139****5678**"


def test_landlines_with_area_codes_and_extensions():
    assert mask_personal_data("电话010-62345678") == "电话010-****5678"
    assert mask_personal_data("（０７９５）７８７１００１") == "(0795)****1001"
    assert mask_personal_data("0535-2129301转8012，谢谢") == "0535-****9301转8012，谢谢"


def test_ticket_numbers_failing_the_checks_are_kept():
    for text in ("工单号12345-20260301-000123", "编号110101199003071234",
                 "流水号6222021234567890123", "受理号 2026030112345678"):
        assert mask_personal_data(text) == text


def test_names_and_addresses_are_flagged_not_masked():
    text = "我叫王小明，家住解放路12号3单元501室，本人认为第十二条应当修改。"
    masked, record = analyse(text)
    assert masked == text
    assert record["possible"] == ["address", "name"]
    flagged = [text[f.start:f.end] for f in possible_personal_data(text)]
    assert flagged == ["王小明", "解放路12号3单元501室"]


def test_plain_opinions_raise_no_flags():
    text = "本人建议第十二条增加公示期限，人民路改造应听取沿线商户意见。"
    assert possible_personal_data(text) == []
    assert analyse(text)[1] == {"masked": {}, "possible": [], "spans": [],
                                "possible_spans": []}


def test_an_address_starting_with_a_digit_after_a_number_masks_once():
    """Found by the property test above: the kept first digit of a masked address
    completed the number before it into a card number that a second masking hid."""
    text = "100092480086182 4000-0000zhang.san@example.com"
    masked, _findings = mask(text)
    assert masked == "100092480086182 ***@example.com"
    assert mask(masked)[0] == masked

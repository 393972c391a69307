""""Possible personal data": names and street addresses, flagged for the moderator.

They are never masked automatically (a name in "张三丰的太极拳" or "人民路改造" is not
personal data); a moderator reads the flagged opinion and decides. The heuristic, on the
NFKC-normalised text:

- ``name``: 我叫 / 名叫 / 本人 / 姓名 / 联系人 / 署名 (optionally followed by ：, 是 or 为)
  and then 2–3 CJK characters; after 本人 the characters must not start a verb or
  adverb (本人认为, 本人建议 … are not names);
- ``address``: CJK characters ending in 路 / 街 / 巷 / 道 / 大道 followed by a number and 号
  (``解放路12号``, ``人民街3号2单元501室``), a number + 号 + number + 室 alone
  (``8号301室``), or a village group (``张家村三组``); a leading 家住 / 住在 / 住址 /
  地址 / 位于 is not part of the flagged span.
"""

from __future__ import annotations

import re

from participation.core.pii.detect import Finding, normalise

_CJK = r"[\u4e00-\u9fff]"
_NUMBER = r"[0-9一二三四五六七八九十百]+"
_NAME = re.compile(rf"(?:我叫|名叫|本人|姓名|联系人|署名)[:：是为]?\s*(?P<name>{_CJK}{{2,3}})")
# After 本人 these start a sentence, not a name.
_NOT_A_NAME = set("认建希觉同反支是对在的也已非很不要想就还曾将会提愿现家住")
_ADDRESS = re.compile(
    r"(?:家住|住在|住址[:：]?|地址[:：]?|位于)?"
    rf"(?P<address>{_CJK}{{1,10}}(?:大道|路|街|巷|道){_NUMBER}号(?:{_NUMBER}(?:栋|幢|单元|楼|室))*"
    rf"|(?<![0-9]){_NUMBER}号(?:{_NUMBER}(?:栋|幢|单元|楼))*{_NUMBER}室"
    rf"|{_CJK}{{1,6}}村{_NUMBER}组)")


# Words without which neither pattern can match: a quick test before the regular
# expressions (whose leading CJK runs are slow to try at every position).
_NAME_WORDS = ("我叫", "名叫", "本人", "姓名", "联系人", "署名")
_ANY_NAME_WORD = re.compile("|".join(_NAME_WORDS))


def possible_personal_data(text: str | None,
                           normalised: tuple[str, list[int]] | None = None) -> list[Finding]:
    """Names and street addresses that may be personal data (spans of the original text);
    ``normalised``: ``normalise(text)`` if already done."""
    if not text:
        return []
    normal, origin = normalised or normalise(text)
    found: list[Finding] = []
    names = _NAME.finditer(normal) if _ANY_NAME_WORD.search(normal) else ()
    for match in names:
        if match.group(0).startswith("本人") and match["name"][0] in _NOT_A_NAME:
            continue
        start, end = match.span("name")
        found.append(Finding("name", origin[start], origin[end - 1] + 1))
    # Every address ends in 号, 室 (after 号) or 组.
    addresses = _ADDRESS.finditer(normal) if "号" in normal or "组" in normal else ()
    for match in addresses:
        start, end = match.span("address")
        found.append(Finding("address", origin[start], origin[end - 1] + 1))
    return sorted(found, key=lambda finding: finding.start)

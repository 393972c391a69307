"""The columns of an import file and the spellings of channels, headers and consent."""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata

from participation.opinions.models import Channel

# --------------------------------------------------------------------------------------------
# Channels and columns
# --------------------------------------------------------------------------------------------

CHANNEL_CODES: tuple[str, ...] = tuple(channel.value for channel in Channel)
#: The channels an import may carry: every channel but ``online`` (online opinions arrive
#: through the site only, as for offline recording one by one).
IMPORT_CHANNEL_CODES: tuple[str, ...] = tuple(
    channel.value for channel in Channel if channel != Channel.ONLINE
)

#: Every accepted spelling of a channel (the code itself and its Chinese names) → channel code.
#: Lookups ignore case, spaces, underscores and hyphens, and full-width forms.
CHANNEL_ALIASES: dict[str, str] = {
    "online": "online",
    "网上": "online",
    "网络": "online",
    "在线": "online",
    "hotline": "hotline",
    "12345热线": "hotline",
    "热线": "hotline",
    "12345": "hotline",
    "letter": "letter",
    "信函": "letter",
    "来信": "letter",
    "email": "email",
    "电子邮件": "email",
    "邮件": "email",
    "symposium": "symposium",
    "座谈会": "symposium",
    "hearing": "hearing",
    "听证会": "hearing",
    "field_visit": "field_visit",
    "实地走访": "field_visit",
    "走访": "field_visit",
    "questionnaire": "questionnaire",
    "问卷调查": "questionnaire",
    "问卷": "questionnaire",
    "poll": "poll",
    "民意调查": "poll",
    "open_day": "open_day",
    "政府开放日": "open_day",
    "开放日": "open_day",
    "representative": "representative",
    "代表": "representative",
    "列席代表": "representative",
}

#: Column names of the import file, in the order of the downloadable template.
COLUMNS: tuple[str, ...] = (
    "reference",
    "channel",
    "received_at",
    "article",
    "body",
    "name",
    "contact",
    "consent_to_publish",
    "submitter_kind",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("channel", "received_at", "body")

#: Accepted header names (English column names and their Chinese equivalents) → column name.
#: Lookups ignore case, spaces, underscores, hyphens, asterisks and full-width forms.
COLUMN_ALIASES: dict[str, str] = {
    "reference": "reference",
    "参考编号": "reference",
    "工单编号": "reference",
    "编号": "reference",
    "channel": "channel",
    "渠道": "channel",
    "received_at": "received_at",
    "收到时间": "received_at",
    "接收时间": "received_at",
    "收到日期": "received_at",
    "article": "article",
    "条款": "article",
    "body": "body",
    "意见内容": "body",
    "意见": "body",
    "name": "name",
    "姓名": "name",
    "署名": "name",
    "contact": "contact",
    "联系方式": "contact",
    "联系电话": "contact",
    "consent_to_publish": "consent_to_publish",
    "consent": "consent_to_publish",
    "同意公开": "consent_to_publish",
    "是否同意公开": "consent_to_publish",
    "submitter_kind": "submitter_kind",
    "提出者类型": "submitter_kind",
    "意见提出者类型": "submitter_kind",
    "身份": "submitter_kind",
}

#: The Chinese header shown next to the English one when a required column is missing.
_COLUMN_CHINESE: dict[str, str] = {
    "reference": "参考编号",
    "channel": "渠道",
    "received_at": "收到时间",
    "article": "条款",
    "body": "意见内容",
    "name": "姓名",
    "contact": "联系方式",
    "consent_to_publish": "同意公开",
    "submitter_kind": "提出者类型",
}

BODY_MIN_LENGTH = 5
BODY_MAX_LENGTH = 5000
NAME_MAX_LENGTH = 100
CONTACT_MAX_LENGTH = 200
REFERENCE_MAX_LENGTH = 100
ARTICLE_MAX_LENGTH = 50
#: Most data rows in one file (a hotline export, a national consultation).
DEFAULT_MAX_ROWS = 1_000_000


@functools.lru_cache(maxsize=4096)  # channels and answers repeat on every row
def _lookup_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-*]+", "", text)


_CHANNEL_LOOKUP = {_lookup_key(alias): code for alias, code in CHANNEL_ALIASES.items()}
_COLUMN_LOOKUP = {_lookup_key(alias): column for alias, column in COLUMN_ALIASES.items()}


#: Accepted answers of the consent-to-publish column (an empty cell means no: not public).
CONSENT_YES: tuple[str, ...] = ("是", "同意", "1", "true", "yes", "y")
CONSENT_NO: tuple[str, ...] = ("否", "不同意", "0", "false", "no", "n")
_CONSENT_LOOKUP = {_lookup_key(text): True for text in CONSENT_YES} | {
    _lookup_key(text): False for text in CONSENT_NO
}


#: Accepted answers of the submitter-kind column (an empty cell: a person).
SUBMITTER_KIND_ALIASES: dict[str, str] = {
    "person": "person", "个人": "person", "公民": "person", "群众": "person",
    "enterprise": "enterprise", "企业": "enterprise", "公司": "enterprise",
    "trade_association": "trade_association", "行业协会": "trade_association",
    "协会": "trade_association", "商会": "trade_association",
    "organisation": "organisation", "organization": "organisation",
    "其他组织": "organisation", "组织": "organisation", "社会组织": "organisation",
}
_SUBMITTER_KIND_LOOKUP = {_lookup_key(alias): kind
                          for alias, kind in SUBMITTER_KIND_ALIASES.items()}


def submitter_kind_code(text: str) -> str | None:
    """The submitter kind for a code or Chinese name (个人, 企业, 行业协会, 商会, 其他组织),
    or None."""
    return _SUBMITTER_KIND_LOOKUP.get(_lookup_key(text))


def consent_answer(text: str) -> bool | None:
    """True for 是/同意/1/true/yes, False for 否/不同意/0/false/no, None for anything else."""
    return _CONSENT_LOOKUP.get(_lookup_key(text))


def channel_code(text: str) -> str | None:
    """The channel code for a code or Chinese name as people type it, or None."""
    return _CHANNEL_LOOKUP.get(_lookup_key(text))


# --------------------------------------------------------------------------------------------
# Template
# --------------------------------------------------------------------------------------------

_TEMPLATE_EXAMPLE = (
    "20260312001",
    "12345热线",
    "2026-03-12 14:30",
    "第十二条",
    "建议在第十二条中明确公示期不少于三十日，并在社区公告栏同步张贴。",
    "张先生",
    "138****0000",
    "否",
    "个人",
)


def template_csv() -> bytes:
    """A CSV template (UTF-8 with BOM so that Excel opens it correctly) with one example row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(_TEMPLATE_EXAMPLE)
    return buffer.getvalue().encode("utf-8-sig")

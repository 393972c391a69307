"""All sanitizing lives here, with named allow-lists. Applied in operations, not model hooks.

- ``plain_text``: opinions and every short field: no markup at all, control characters removed.
- ``document_html``: official documents: a small HTML subset, links limited to safe schemes.
"""

from __future__ import annotations

import re
import unicodedata

DOCUMENT_TAGS = frozenset(
    {
        "p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "u", "ul", "ol", "li",
        "blockquote", "table", "thead", "tbody", "tr", "th", "td", "a", "sup", "sub",
    }
)
DOCUMENT_ATTRIBUTES = {"a": ["href", "title"], "th": ["colspan", "rowspan", "scope"],
                       "td": ["colspan", "rowspan"]}
DOCUMENT_PROTOCOLS = frozenset({"http", "https", "mailto"})

_INVISIBLE_BLOCKS = re.compile(r"<(script|style|template)\b[^>]*>.*?</\1\s*>",
                               re.IGNORECASE | re.DOTALL)
# Tags that make a body HTML with its own paragraphs; a body without any is pasted plain text.
_BLOCK_TAG = re.compile(
    r"<\s*/?\s*(?:p|br|div|h[1-6]|ul|ol|li|blockquote|table|thead|tbody|tr|th|td|pre|hr"
    r"|section|article)\b",
    re.IGNORECASE,
)
# Control characters, zero-width space, direction marks and overrides. The zero-width
# non-joiner and joiner (U+200C, U+200D) stay: family emoji and Indic scripts need them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e"
                      r"\u2066-\u2069]")


def plain_text(value: str | None, *, multiline: bool = True) -> str:
    """Text without markup or control characters; newlines kept only when ``multiline``.

    Tags are not stripped (a citizen may legitimately write ``<`` or ``>``): the text is
    stored as typed and escaped on output; only invisible and control characters go.
    """
    if not value:
        return ""
    if value.isprintable() and unicodedata.is_normalized("NFC", value):
        # The usual text: no line break, no control, direction or other format character
        # (none of them is printable), nothing NFC changes; all that is left to do:
        return value.strip() if multiline else " ".join(value.split())
    return cleaned_text(value, multiline=multiline)


def cleaned_text(value: str, *, multiline: bool = True) -> str:
    """:func:`plain_text`'s full cleaning, for any text (its fast path gives the same)."""
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    if not multiline:
        value = " ".join(value.split())
    else:
        value = "\n".join(line.rstrip() for line in value.split("\n"))
        value = re.sub(r"\n{3,}", "\n\n", value)
    return value.strip()


def document_html(value: str | None) -> str:
    """Official document HTML reduced to the DOCUMENT allow-list; everything else escaped.

    A body without any HTML block tag is pasted plain text: each of its lines (whether
    separated by a single newline or by blank lines) becomes one ``<p>`` paragraph, so that
    the paragraphs the official pasted are kept. HTML with block tags is left as it was.
    """
    if not value:
        return ""
    # Scripts and style sheets (e.g. pasted from a word processor) go with their content.
    value = _INVISIBLE_BLOCKS.sub("", value)
    if not _BLOCK_TAG.search(value):
        lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        value = "\n".join(f"<p>{line.strip()}</p>" for line in lines if line.strip())
    import bleach  # its parser and link patterns load in about 15 ms: on first use

    cleaned = bleach.clean(
        value,
        tags=DOCUMENT_TAGS,
        attributes=DOCUMENT_ATTRIBUTES,
        protocols=DOCUMENT_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return cleaned.strip()


def text_to_html(value: str) -> str:
    """Plain text (pasted by an official) as paragraphs of escaped HTML."""
    from markupsafe import escape

    paragraphs = [p.strip() for p in plain_text(value).split("\n") if p.strip()]
    return "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)

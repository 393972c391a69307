"""Where a consultation's text comes from: the draft document already saved in the
decision's dossier (its HTML body turned into lines), and a preview of how the text parses,
with warnings, before it is published."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import sqlalchemy as sa
from flask_babel import gettext as _

from participation.catalogue.models import Decision
from participation.consultations.diff import commentable_units
from participation.consultations.outline import (
    OutlineNode,
    int_to_chinese,
    iter_nodes,
    parse_outline,
    skipped_toc_lines,
)
from participation.dossier.models import Document, DocumentKind
from participation.extensions import db

BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 "
    "h5 h6 header hr li main nav ol p pre section table tbody td th thead tr ul".split()
)
_SPACES = re.compile(r"[ \t\r\n\f]+")  # HTML white space; the ideographic space is text
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_SPACE_IN_CJK = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")  # a line break in the source HTML


class _LineCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self._skip = 0

    def _break(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in BLOCK_TAGS:
            self._break()

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.lines[-1] += _SPACES.sub(" ", data)


def html_to_lines(html: str | None) -> str:
    """The text of a document body, one paragraph (or list item, heading, table row) per
    line, as the outline parser reads a pasted draft."""
    if not html:
        return ""
    collector = _LineCollector()
    collector.feed(html)
    collector.close()
    lines = (_SPACE_IN_CJK.sub("", line).strip(" ") for line in collector.lines)
    return "\n".join(line for line in lines if line.strip())


def saved_draft_document(decision: Decision) -> Document | None:
    """The draft document (决策草案) most recently saved in the decision's dossier."""
    return db.session.scalar(
        sa.select(Document)
        .where(Document.decision_id == decision.id, Document.kind == DocumentKind.DRAFT)
        .order_by(Document.id.desc())
        .limit(1)
    )


def _numbering_gaps(roots: list[OutlineNode]) -> list[str]:
    ordinals = [n.ordinal for n in iter_nodes(roots) if n.kind == "article" and not n.sub_ordinal]
    warnings = []
    for before, after in zip(ordinals, ordinals[1:], strict=False):
        if after > before + 1:
            first, last = before + 1, after - 1
            missing = f"第{int_to_chinese(first)}条"
            if last > first:
                missing += f"—第{int_to_chinese(last)}条"
            warnings.append(
                _(
                    "%(missing)s missing: the numbering jumps from %(before)s to %(after)s.",
                    missing=missing,
                    before=f"第{int_to_chinese(before)}条",
                    after=f"第{int_to_chinese(after)}条",
                )
            )
    return warnings


def preview(text: str) -> tuple[list[OutlineNode], list[str]]:
    """The structure ``text`` would be published with, and what an official should check:
    a skipped table of contents, gaps in the article numbers, no article or heading."""
    roots = parse_outline(text)
    warnings = []
    if skipped_toc_lines(text):
        warnings.append(_("A table of contents (目录) was detected and skipped."))
    warnings += _numbering_gaps(roots)
    if not commentable_units(roots):
        warnings.append(
            _(
                "No articles or headings were found: the draft will be commented on as a "
                "whole. Check that articles start with 第一条 or headings with 一、."
            )
        )
    return roots, warnings

"""Article-by-article comparison of two versions of a draft.

The commentable units are the articles when either version has articles, otherwise the
outline headings of all levels. Units are matched by content (difflib), not by label, so that
inserting an article shows one added unit while the renumbered ones keep their pairing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from participation.consultations.outline import OutlineNode, iter_nodes

__all__ = [
    "NodeChange",
    "TextSegment",
    "commentable_units",
    "diff_outlines",
    "compare_versions",
    "document_title",
    "inline_diff",
    "matched_positions",
    "segment_lines",
    "tokens",
    "unit_text",
]

SIMILARITY_THRESHOLD = 0.5  # minimum difflib ratio for two different units to be paired
SAME_LABEL_THRESHOLD = 0.2  # lower bar when both units carry the same label
_PREFILTER_THRESHOLD = 0.15  # character-bigram overlap below which difflib is not even run
_SAME_LABEL_SCORE = 0.01
EXACT_PAIRS_LIMIT = 2500  # larger blocks of differing units are scored by bigram overlap only


@dataclass
class TextSegment:
    op: str  # "equal" | "insert" | "delete"
    text: str


@dataclass
class NodeChange:
    status: str  # "unchanged" | "changed" | "added" | "removed"
    old: OutlineNode | None
    new: OutlineNode | None
    segments: list[TextSegment] = field(default_factory=list)

    @property
    def renumbered(self) -> bool:
        """True when a matched unit carries a different label in the new version."""
        return self.old is not None and self.new is not None and self.old.label != self.new.label


def commentable_units(nodes: Sequence[OutlineNode]) -> list[OutlineNode]:
    """Articles if the document has any, otherwise its outline headings, in document order."""
    articles = [n for n in iter_nodes(nodes) if n.kind == "article"]
    return articles or [n for n in iter_nodes(nodes) if n.kind == "heading"]


def _units_of_kind(nodes: Sequence[OutlineNode], kind: str) -> list[OutlineNode]:
    return [n for n in iter_nodes(nodes) if n.kind == kind]


def unit_text(node: OutlineNode) -> str:
    """The content of a unit without its own label: heading and text, and for an article the
    text of its paragraphs and items (with the item labels, which are part of the content)."""
    parts = [f"【{node.heading}】" if node.kind == "article" and node.heading else node.heading]
    parts.append(node.text)
    if node.kind == "article":
        for child in iter_nodes(node.children):
            parts.append(child.text if child.kind == "paragraph" else child.label + child.text)
    return "\n".join(p for p in parts if p)


_TOKEN_RE = re.compile(
    r"[0-9０-９]+(?:[.．][0-9０-９]+)?"  # a number, with its decimals: "30", "2.5"
    r"|[A-Za-zＡ-Ｚａ-ｚ]+"  # a Latin word
    r"|[^\S\n]+"  # a run of spaces
    r"|.",  # anything else, one character: CJK characters, punctuation, line breaks
    re.DOTALL,
)


def tokens(text: str) -> list[str]:
    """The units a difference is made of: runs of digits, runs of Latin letters, runs of
    spaces, and single characters otherwise (Chinese text has no spaces between words), so
    that "30日" → "15日" changes "30" into "15", not one digit into another."""
    return _TOKEN_RE.findall(text)


def inline_diff(old: str, new: str) -> list[TextSegment]:
    """Word- and number-level diff of two texts as equal/delete/insert segments."""
    segments: list[TextSegment] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1].text += text
        else:
            segments.append(TextSegment(op, text))

    old_tokens, new_tokens = tokens(old), tokens(new)
    matcher = SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", "".join(old_tokens[i1:i2]))
        else:
            add("delete", "".join(old_tokens[i1:i2]))
            add("insert", "".join(new_tokens[j1:j2]))
    return segments


def segment_lines(segments: Sequence[TextSegment]) -> list[list[tuple[str, str]]]:
    """The segments cut at line breaks: one list of (op, text) per paragraph, so that every
    paragraph of an article is shown as a paragraph."""
    lines: list[list[tuple[str, str]]] = [[]]
    for segment in segments:
        for i, piece in enumerate(segment.text.split("\n")):
            if i:
                lines.append([])
            if piece:
                lines[-1].append((segment.op, piece))
    return [line for line in lines if line]


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def _similarity(a: OutlineNode, b: OutlineNode, ta: str, tb: str, ga: set, gb: set, exact: bool):
    """difflib ratio of two unit texts (bigram Dice coefficient when not exact), 0.0 when they
    should not be paired. Units with the same label can always be paired (a rewrite in place),
    with a token score so that a real content match elsewhere wins."""
    same_label = a.label == b.label
    threshold = SAME_LABEL_THRESHOLD if same_label else SIMILARITY_THRESHOLD
    dice = 2 * len(ga & gb) / (len(ga) + len(gb))
    ratio = 0.0
    if dice >= _PREFILTER_THRESHOLD:
        ratio = SequenceMatcher(None, ta, tb, autojunk=False).ratio() if exact else dice
    if ratio >= threshold:
        return ratio
    return _SAME_LABEL_SCORE if same_label else 0.0


def _align_block(
    old: list[OutlineNode], new: list[OutlineNode], old_texts: list[str], new_texts: list[str]
) -> list[tuple[int | None, int | None]]:
    """Order-preserving pairing of two runs of differing units maximising total similarity."""
    n, m = len(old), len(new)
    exact = n * m <= EXACT_PAIRS_LIMIT
    old_grams = [_bigrams(t) for t in old_texts]
    new_grams = [_bigrams(t) for t in new_texts]
    score = [
        [
            _similarity(
                old[i], new[j], old_texts[i], new_texts[j], old_grams[i], new_grams[j], exact
            )
            for j in range(m)
        ]
        for i in range(n)
    ]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            paired = best[i + 1][j + 1] + score[i][j] if score[i][j] else 0.0
            best[i][j] = max(best[i + 1][j], best[i][j + 1], paired)
    pairs: list[tuple[int | None, int | None]] = []
    i = j = 0
    while i < n or j < m:
        if i < n and j < m and score[i][j] and best[i][j] == best[i + 1][j + 1] + score[i][j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif i < n and (j == m or best[i][j] == best[i + 1][j]):
            pairs.append((i, None))  # removed units come before the units added in their place
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    return pairs


def diff_outlines(old: Sequence[OutlineNode], new: Sequence[OutlineNode]) -> list[NodeChange]:
    """Changes between the commentable units of two versions, in the new version's order,
    removed units placed where they were.

    Every change carries segments: the whole text as one "equal" segment when unchanged
    (labels may still differ: see NodeChange.renumbered), one "insert" segment when added,
    one "delete" segment when removed and the inline diff when changed.
    """
    kind = "article" if any(n.kind == "article" for n in iter_nodes([*old, *new])) else "heading"
    old_units, new_units = _units_of_kind(old, kind), _units_of_kind(new, kind)
    old_texts = [unit_text(u) for u in old_units]
    new_texts = [unit_text(u) for u in new_units]
    changes: list[NodeChange] = []
    matcher = SequenceMatcher(None, old_texts, new_texts, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs: list[tuple[int | None, int | None]] = [(i1 + k, j1 + k) for k in range(i2 - i1)]
        else:
            block = _align_block(
                old_units[i1:i2], new_units[j1:j2], old_texts[i1:i2], new_texts[j1:j2]
            )
            pairs = [
                (None if a is None else i1 + a, None if b is None else j1 + b) for a, b in block
            ]
        for a, b in pairs:
            if a is None and b is not None:
                changes.append(
                    NodeChange("added", None, new_units[b], [TextSegment("insert", new_texts[b])])
                )
            elif b is None and a is not None:
                changes.append(
                    NodeChange("removed", old_units[a], None, [TextSegment("delete", old_texts[a])])
                )
            elif a is not None and b is not None:
                if old_texts[a] == new_texts[b]:
                    segments = [TextSegment("equal", new_texts[b])] if new_texts[b] else []
                    changes.append(NodeChange("unchanged", old_units[a], new_units[b], segments))
                else:
                    segments = inline_diff(old_texts[a], new_texts[b])
                    changes.append(NodeChange("changed", old_units[a], new_units[b], segments))
    return changes


def matched_positions(
    changes: Sequence[NodeChange], old: Sequence[OutlineNode], new: Sequence[OutlineNode]
) -> list[tuple[int, int]]:
    """(old position, new position) of every unit the new version continues (unchanged or
    changed), positions being pre-order indices as stored in ``DraftNode.position``."""
    old_positions = {id(node): i for i, node in enumerate(iter_nodes(old))}
    new_positions = {id(node): i for i, node in enumerate(iter_nodes(new))}
    return [
        (old_positions[id(change.old)], new_positions[id(change.new)])
        for change in changes
        if change.old is not None and change.new is not None
    ]


def document_title(roots: Sequence[OutlineNode], fallback: str) -> str:
    """The title line of a draft (the first line before its first article or heading), or
    ``fallback`` (the version's title) when the text has none."""
    if roots and roots[0].kind == "preamble" and roots[0].text.strip():
        return roots[0].text.strip().split("\n")[0]
    return fallback


def _change_json(change: NodeChange) -> dict[str, Any]:
    unit = change.new or change.old
    return {
        "status": change.status,
        "old_label": change.old.label if change.old else None,
        "new_label": change.new.label if change.new else None,
        "anchor": unit.anchor if unit else "",
        "lines": [[list(piece) for piece in line] for line in segment_lines(change.segments)],
    }


def compare_versions(
    old: Sequence[OutlineNode],
    new: Sequence[OutlineNode],
    old_title: str,
    new_title: str,
) -> tuple[list[NodeChange], dict[str, Any]]:
    """The changes between two parsed versions, and the same as a JSON-ready record (the
    form stored on ``DraftVersion.changes`` and read by the comparison page): the title
    change and, per unit, its status, labels, anchor and paragraphs of (op, text) pieces."""
    changes = diff_outlines(old, new)
    old_title, new_title = document_title(old, old_title), document_title(new, new_title)
    record = {
        "old_title": old_title,
        "new_title": new_title,
        "title_lines": []
        if old_title == new_title
        else [[list(p) for p in line] for line in segment_lines(inline_diff(old_title, new_title))],
        "changes": [_change_json(change) for change in changes],
    }
    return changes, record

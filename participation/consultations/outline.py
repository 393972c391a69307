"""Parse the structure of a draft (决策草案/征求意见稿) into an outline tree.

Two document styles are recognised:

* legal style (办法, 条例, 规定): 编 > 章 > 节 > 条 > 款 > 项, with 第X条之一 articles;
* work-plan style (方案, 工作要点): outline headings 一、 > （一） > 1. > （1）.

Markers count only at the start of a line, except in run-on (scraped) text, where a line is
split at a marker that follows a sentence end and carries the expected next number. The
parser is pure Python and never raises on any input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["OutlineNode", "chinese_numeral_to_int", "int_to_chinese", "iter_nodes"]
__all__ += ["outline_to_dicts", "parse_outline", "skipped_toc_lines"]


@dataclass
class OutlineNode:
    kind: str
    label: str
    ordinal: int
    heading: str
    text: str
    children: list[OutlineNode] = field(default_factory=list)
    level: int = 0
    sub_ordinal: int = 0
    anchor: str = ""


# --- numerals ----------------------------------------------------------------------------

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS.update({"五": 5, "六": 6, "七": 7, "八": 8, "九": 9})
_UNITS = {"十": 10, "百": 100, "千": 1000}
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def chinese_numeral_to_int(s: str) -> int:
    """Value of a Chinese (or Arabic, half- or full-width) numeral; ValueError on garbage."""
    if not isinstance(s, str):
        raise ValueError("numeral must be a string")
    s = s.strip().translate(_FULLWIDTH_DIGITS)
    if not s:
        raise ValueError("empty numeral")
    if s.isascii() and s.isdigit():
        return int(s)
    if all(c in _DIGITS for c in s):  # 二〇二一: digit by digit
        return int("".join(str(_DIGITS[c]) for c in s))
    total = section = 0
    digit: int | None = None
    last_unit = prev_unit = 0
    after_zero = False
    for c in s:
        if c in _DIGITS:
            if digit:  # two non-zero digits in a row: 一百二三
                raise ValueError(f"invalid numeral: {s!r}")
            digit = _DIGITS[c]
            after_zero = after_zero or digit == 0
        elif c in _UNITS:
            unit = _UNITS[c]
            if (last_unit and unit >= last_unit) or digit == 0:
                raise ValueError(f"invalid numeral: {s!r}")
            section += (1 if digit is None else digit) * unit
            last_unit = prev_unit = unit
            digit, after_zero = None, False
        elif c == "万" and not total and (section or digit):
            total = (section + (digit or 0)) * 10000
            section, digit, last_unit, prev_unit, after_zero = 0, None, 0, 0, False
        else:
            raise ValueError(f"invalid numeral: {s!r}")
    if digit:
        # 一百二 means 120, 三千五 means 3500 (no 零 in between)
        section += digit * (prev_unit // 10 if prev_unit >= 100 and not after_zero else 1)
    return total + section


def int_to_chinese(n: int) -> str:
    """Chinese numeral for 1..9999 (十二, 一百零二); other values in Arabic digits."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 10000:
        return str(n)
    if n < 20:
        return ("十" if n >= 10 else "") + (digits[n % 10] if n % 10 or n < 10 else "")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            out += ("零" if zero and out else "") + digits[d] + unit
            zero = False
        else:
            zero = True
    return out


def _num(s: str | None) -> int:
    try:
        return chinese_numeral_to_int(s or "")
    except ValueError:
        return 0


# --- markers -----------------------------------------------------------------------------

_CN = "〇零一二三四五六七八九十百千两"
_SP = r"[ \t\u3000\xa0]*"
_NUM = rf"[{_CN}0-9０-９]{{1,8}}"
_ARTICLE_RE = re.compile(rf"第{_SP}({_NUM}){_SP}条(?:{_SP}之{_SP}([{_CN}0-9０-９]{{1,4}}))?")
_STRUCT_RE = re.compile(rf"第{_SP}({_NUM}){_SP}([编章节])")
_OUTLINE_RES = (
    (2, re.compile(rf"[（(]{_SP}([{_CN}]{{1,6}}){_SP}[）)]、?")),
    (4, re.compile(rf"[（(]{_SP}([0-9０-９]{{1,3}}){_SP}[）)]、?")),
    (1, re.compile(rf"([{_CN}]{{1,6}}){_SP}[、．.]")),
    (3, re.compile(r"([0-9０-９]{1,3})[ \t\u3000]*(?:[.．](?![0-9０-９])|、)")),
)
_STRUCT_KINDS = {"编": "part", "章": "chapter", "节": "section"}
_RANKS = {"part": 1, "chapter": 2, "section": 3, "article": 4, "paragraph": 5}
_CONTAINERS = ("part", "chapter", "section")
_ITEM_RANKS = {1: 6, 2: 6, 3: 7, 4: 8}  # legal style: （一） > 1. > （1）

_TERMINAL = set("。！？；;!?：:…")
_CLOSERS = "”’」』）)》〉】"
_SENTENCE_END_RE = re.compile(r"[。：:；;！？!?][ \t\u3000]*")
_TITLE_END_RE = re.compile(r"[。：:；;！？!?）)][ \t\u3000]*")  # 某某办法（征求意见稿）第一条
_TITLE_STOP = set("，。、；：,;:！？!?“”‘’《》")
_REFERENCE_RE = re.compile(r"(?:的?规定|第|至|、|和|或者?|及|所[称列]|中的?)")
_MARKER_START = set(_CN + "第（(0123456789０１２３４５６７８９")


@dataclass(frozen=True)
class _Marker:
    kind: str  # part, chapter, section, article or "outline"
    level: int  # 1..4 for outline markers
    ordinal: int
    sub: int
    label: str
    end: int


def _digits(s: str) -> str:
    return re.sub(r"\s", "", s).translate(_FULLWIDTH_DIGITS)


def _match_marker(s: str, pos: int = 0) -> _Marker | None:
    m = _ARTICLE_RE.match(s, pos)
    if m:
        num, sub = _num(m.group(1)), _num(m.group(2)) if m.group(2) else 0
        if not num or (m.group(2) and not sub):
            return None
        label = f"第{_digits(m.group(1))}条" + (f"之{_digits(m.group(2))}" if sub else "")
        return _Marker("article", 0, num, sub, label, m.end())
    m = _STRUCT_RE.match(s, pos)
    if m:
        num = _num(m.group(1))
        label = f"第{_digits(m.group(1))}{m.group(2)}"
        return _Marker(_STRUCT_KINDS[m.group(2)], 0, num, 0, label, m.end()) if num else None
    for level, regex in _OUTLINE_RES:
        m = regex.match(s, pos)
        if m:
            num, digits = _num(m.group(1)), _digits(m.group(1))
            if not num:
                return None
            label = {1: f"{digits}、", 2: f"（{digits}）", 3: f"{digits}.", 4: f"（{digits}）"}
            return _Marker("outline", level, num, 0, label[level], m.end())
    return None


# --- line preparation --------------------------------------------------------------------

_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff\u200b-\u200d\ufffe\uffff]")
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_MD_HEADING_RE = re.compile(r"^#{1,6}[ \t\u3000]*")
_PAGE_MARK_RE = re.compile(r"\d{1,3}、")
_TOC_TITLE_RE = re.compile(r"目[ \t\u3000]*[录次]")
_TOC_LEADER_RE = re.compile(r"[ \t\u3000.·…．_—\-]*(?:[0-9０-９]+|[IVXLivxl]+)$")
_DATE_RE = re.compile(
    r"[0-9０-９〇零一二三四五六七八九]{4}\s*年\s*[0-9０-９一二三四五六七八九十]{1,2}\s*月"
    r"\s*[0-9０-９一二三四五六七八九十]{1,3}\s*日$"
)


def _clean_lines(text: str) -> list[str]:
    lines = []
    for raw in _CONTROL_RE.sub("", text).splitlines():
        line = _MD_HEADING_RE.sub("", raw.strip())
        line = _HTML_TAG_RE.sub("", line.replace("**", "")).strip()
        if line:
            lines.append(line)
    return lines


def _unterminated(s: str) -> bool:
    t = s.rstrip().rstrip(_CLOSERS)
    return bool(t) and t[-1] not in _TERMINAL


def _join(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return f"{a} {b}"
    return a + b


def _strip_page_markers(lines: list[str]) -> list[str]:
    """Remove page numbers such as "2、" that scraped texts put in the middle of sentences."""
    candidates = [i for i, line in enumerate(lines) if _PAGE_MARK_RE.match(line)]
    breaks = [
        i for i in candidates if i and len(lines[i - 1]) >= 40 and _unterminated(lines[i - 1])
    ]
    if len(breaks) < 2 or len(breaks) * 3 < len(candidates) * 2:
        return lines
    out: list[str] = []
    wanted = set(candidates)
    for i, line in enumerate(lines):
        mark = _PAGE_MARK_RE.match(line) if i in wanted else None
        if mark:
            line = line[mark.end() :].lstrip()
            if out and _unterminated(out[-1]):
                out[-1] = _join(out[-1], line)
                continue
        if line:
            out.append(line)
    return out


def _toc_entry(line: str, legal: bool) -> tuple[str, str] | None | bool:
    """Key of a table-of-contents line, None for other TOC-like lines, False otherwise."""
    stripped = _TOC_LEADER_RE.sub("", line).strip()
    has_leader = stripped != line.strip()
    if not stripped:
        return None  # page number alone
    if len(stripped) > 40 or any(c in stripped for c in "。；;"):
        return False
    m = _match_marker(stripped)
    if m and (m.kind in _CONTAINERS or (not legal and m.kind == "outline" and m.level <= 2)):
        return (m.kind + str(m.level), m.label)
    if has_leader or stripped in {"附则", "附件", "附录", "附　则"}:
        return None
    return False


def _toc_lines(lines: list[str], legal: bool) -> set[int]:
    """Indices of a table of contents: 目录 and/or entries, up to where the structure restarts."""
    body = next((i for i, line in enumerate(lines) if _match_marker(line)), len(lines))
    title = next((i for i, line in enumerate(lines[:body]) if _TOC_TITLE_RE.fullmatch(line)), None)
    if title is not None:
        begin, j = title, title + 1
    else:
        begin = j = body
    first: tuple[str, str] | None = None
    while j < len(lines):
        entry = _toc_entry(lines[j], legal)
        if entry is False or (first is not None and entry == first):
            break
        if first is None and isinstance(entry, tuple):
            first = entry
        j += 1
    restarted = j < len(lines) and first is not None and _toc_entry(lines[j], legal) == first
    if not restarted:
        return set() if title is None else {title}
    return set(range(begin, j)) if j - begin >= 2 or title is not None else set()


def _closing_start(lines: list[str]) -> int:
    """Index of a trailing sign-off block (issuing authority, date), len(lines) if none."""
    i = len(lines)
    while i > 0 and len(lines) - i < 6:
        line = lines[i - 1]
        if len(line) > 30 or "。" in line or _match_marker(line):
            break
        i -= 1
    return i if any(_DATE_RE.search(line) for line in lines[i:]) else len(lines)


def _is_legal(lines: list[str]) -> bool:
    """Legal style when articles start at least two lines or sentences (or one, alone)."""
    starts = [m for line in lines if (m := _match_marker(line))]
    articles = sum(1 for m in starts if m.kind == "article")
    for line in lines:
        for end in _SENTENCE_END_RE.finditer(line):
            m = _match_marker(line, end.end()) if line[end.end() : end.end() + 1] == "第" else None
            articles += m is not None and m.kind == "article"
    return articles >= 2 or (articles == 1 and not any(m.level == 1 for m in starts))


# --- parser ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, legal: bool) -> None:
        self.legal = legal
        self.roots: list[OutlineNode] = []
        self.stack: list[tuple[int, OutlineNode]] = []
        self.ranks: dict[int, int] = {}
        self.preamble: list[str] = []
        self.open_line = False  # the last line looks cut off by a page break
        self.last_target: OutlineNode | None = None
        self.last_article: tuple[int, int] | None = None
        self.last_struct: dict[str, int] = {}
        self.heading_last: dict[int, int] = {}
        self.last_child: dict[tuple[int, int], int] = {}  # (id(parent), rank) -> ordinal

    # state queries

    def _rank(self, m: _Marker) -> int:
        if m.kind != "outline":
            return _RANKS[m.kind]
        return _ITEM_RANKS[m.level] if self.legal else 4 + m.level

    def _parent_for(self, rank: int) -> OutlineNode | None:
        return next((node for r, node in reversed(self.stack) if r < rank), None)

    def _article(self) -> OutlineNode | None:
        return next((n for _, n in reversed(self.stack) if n.kind == "article"), None)

    def _accepts(self, m: _Marker, strict: bool, runon: bool = False) -> bool:
        if self.legal and m.kind == "outline" and (m.level == 1 or self._article() is None):
            return False
        if not self.legal and m.kind == "article":
            return False
        return not strict or self._expected(m, runon)

    def _expected(self, m: _Marker, runon: bool) -> bool:
        if m.kind == "article":
            if self.last_article is None:
                return m.ordinal == 1 and m.sub == 0
            last, sub = self.last_article
            return (m.ordinal == last + 1 and m.sub == 0) or (
                m.ordinal == last and m.sub == sub + 1
            )
        if m.kind in ("part", "chapter"):
            return m.ordinal == self.last_struct.get(m.kind, 0) + 1
        rank = self._rank(m)
        if runon and m.kind == "outline" and not self.legal:
            deepest = max((n.level for _, n in self.stack if n.kind == "heading"), default=0)
            if m.level > deepest + 1:
                return False
        last = self.last_child.get((id(self._parent_for(rank)), rank))
        if last is not None:
            return m.ordinal == last + 1 or (
                m.kind == "outline" and m.level == 1 and m.ordinal == last
            )
        continued = m.kind == "outline" and m.ordinal == self.heading_last.get(m.level, -9) + 1
        return m.ordinal == 1 or (continued and not self.legal)

    # building

    def _attach(self, node: OutlineNode, rank: int) -> None:
        while self.stack and self.stack[-1][0] >= rank:
            self.stack.pop()
        parent = self.stack[-1][1] if self.stack else None
        (parent.children if parent else self.roots).append(node)
        self.last_child[(id(parent), rank)] = node.ordinal
        self.stack.append((rank, node))
        self.ranks[id(node)] = rank

    def _open(self, m: _Marker) -> OutlineNode:
        rank = self._rank(m)
        if m.kind == "outline":
            kind = "item" if self.legal else "heading"
            node = OutlineNode(kind, m.label, m.ordinal, "", "", level=0 if self.legal else m.level)
            if not self.legal:
                self.heading_last[m.level] = m.ordinal
        else:
            node = OutlineNode(m.kind, m.label, m.ordinal, "", "", sub_ordinal=m.sub)
            if m.kind == "article":
                self.last_article = (m.ordinal, m.sub)
            else:
                self.last_struct[m.kind] = m.ordinal
        self._attach(node, rank)
        return node

    def _append(self, node: OutlineNode, seg: str, sep: str) -> None:
        node.text = _join(node.text, seg) if not sep else sep.join(t for t in (node.text, seg) if t)
        self.last_target = node

    def _add_body(self, seg: str) -> None:
        if self.open_line and self.last_target is not None:
            self._append(self.last_target, seg, "")
            return
        if not self.stack:
            self.preamble.append(seg)
            return
        top = self.stack[-1][1]
        if top.kind in _CONTAINERS and not top.heading and not top.text and len(seg) <= 30:
            top.heading = _tidy_heading(seg)
            return
        article = self._article() if self.legal else None
        if article is not None and (article.text or article.children):
            kinds = reversed(article.children)
            number = 1 + next((c.ordinal for c in kinds if c.kind == "paragraph"), 1)
            paragraph = OutlineNode("paragraph", f"第{int_to_chinese(number)}款", number, "", "")
            while self.stack[-1][1] is not article:
                self.stack.pop()
            self._attach(paragraph, _RANKS["paragraph"])
            top = paragraph
        elif article is not None:
            top = article
        self._append(top, seg, "\n")

    def _is_cut(self, seg: str, node: OutlineNode | None) -> bool:
        if not seg or not _unterminated(seg) or (node is None and not self.stack):
            return False
        if node is not None and (node.kind in _CONTAINERS or node.level == 1):
            return False
        if node is not None and node.level == 2:
            return len(seg) >= 30 or any(c in seg for c in "。；;")
        return len(seg) >= 16

    def _runon_marker(self, line: str, p: int, child_of: OutlineNode | None) -> _Marker | None:
        if line[p] not in _MARKER_START:
            return None
        m = _match_marker(line, p)
        if m is None or (m.level == 1 and line[p - 1] in _CN + "第"):
            return None
        if m.level == 3 and (line[p - 1].isdigit() or line[p - 1] in ".．"):
            return None
        if child_of is not None and self._rank(m) <= self.ranks[id(child_of)]:
            return None
        return m if self._accepts(m, strict=True, runon=True) else None

    def _find_split(self, line: str, start: int, node: OutlineNode | None):
        if node is not None and node.kind in (*_CONTAINERS, "heading"):
            # a child marker right after a short title: 一、夯实工作基础（一）规范信息管理。
            for p in range(start + 1, min(len(line), start + 40)):
                if line[p - 1] in _TITLE_STOP:
                    break
                m = self._runon_marker(line, p, node)
                if m:
                    return p, m
        ends = _SENTENCE_END_RE if self.stack else _TITLE_END_RE
        for end in ends.finditer(line, start):
            p = end.end()
            if p < len(line):
                m = self._runon_marker(line, p, None)
                if m:
                    return p, m
        return None

    def feed(self, line: str) -> None:
        marker = _match_marker(line)
        # 第十二条规定的… at the start of a line is a reference unless it is the next article
        strict = self.open_line or bool(marker and _REFERENCE_RE.match(line, marker.end))
        if marker is not None and not self._accepts(marker, strict=strict):
            marker = None
        start = 0
        while True:
            node = self._open(marker) if marker is not None else None
            if marker is not None:
                start = marker.end
            split = self._find_split(line, start, node)
            seg = line[start : split[0] if split else len(line)].strip()
            if node is None:
                if seg:
                    self._add_body(seg)
            elif node.kind in _CONTAINERS:
                node.heading = _tidy_heading(seg)
            else:
                node.text = seg
                self.last_target = node
            self.open_line = self._is_cut(seg, node)
            if split is None:
                return
            start, marker = split


def _tidy_heading(s: str) -> str:
    s = s.strip().lstrip("：:、．.　 ").strip()
    compact = re.sub(r"\s+", "", s)
    return compact if len(compact) <= 4 else re.sub(r"\s+", " ", s)


_BRACKET_TITLE_RE = re.compile(r"[【〖\[]([^】〗\]\n]{1,20})[】〗\]][ \t\u3000]*")


def _finish(node: OutlineNode) -> None:
    if node.kind == "heading":
        first, _, rest = node.text.partition("\n")
        stop = re.search(r"[。！？!?]|(?<![0-9])[：:](?=.)", first)
        if stop and stop.group() in "：:" and stop.start() > 20:
            stop = re.search(r"[。！？!?]", first)
        if stop and stop.start() <= 60:
            node.heading = first[: stop.start()].strip()
            tail = first[stop.end() :].strip()
            node.text = "\n".join(t for t in (tail, rest) if t)
        elif len(first) <= 60:
            node.heading, node.text = first.rstrip("：:；;，,").strip(), rest
    elif node.kind == "article":
        m = _BRACKET_TITLE_RE.match(node.text)
        if m:
            node.heading, node.text = m.group(1).strip(), node.text[m.end() :]
    for child in node.children:
        _finish(child)


def _assign_anchors(nodes: list[OutlineNode]) -> None:
    used: set[str] = set()
    suffixes: dict[str, int] = {}

    def unique(anchor: str) -> str:
        candidate, n = anchor, suffixes.get(anchor, 1)
        while candidate in used:
            n += 1
            candidate = f"{anchor}_{n}"
        suffixes[anchor] = n
        used.add(candidate)
        return candidate

    def walk(children: list[OutlineNode], parent: OutlineNode | None, container: str) -> None:
        for node in children:
            o, base = node.ordinal, parent.anchor if parent else ""
            if node.kind in ("preamble", "closing"):
                anchor = node.kind
            elif node.kind == "section" and parent is not None and parent.kind == "chapter":
                anchor = f"{base}-section-{o}"
            elif node.kind in _CONTAINERS:
                anchor = f"{node.kind}-{o}"
            elif node.kind == "article":
                anchor = f"article-{o}" + (f"-{node.sub_ordinal}" if node.sub_ordinal else "")
            elif node.kind == "paragraph":
                anchor = f"{base}-p{o}"
            elif node.kind == "item":
                anchor = f"{base}-{o}" if parent and parent.kind == "item" else f"{base}-item-{o}"
            elif parent is not None and parent.kind == "heading":
                anchor = f"{base}-{o}"
            else:
                anchor = f"{container}heading-{o}"
            node.anchor = unique(anchor)
            inner = f"{node.anchor}-" if node.kind in _CONTAINERS else container
            walk(node.children, node, inner)

    walk(nodes, None, "")


def parse_outline(text: str) -> list[OutlineNode]:
    """Top-level nodes of the draft; text before the first marker becomes a "preamble" node,
    and a trailing sign-off block (authority, date) a "closing" node."""
    if not isinstance(text, str):
        return []
    lines = _strip_page_markers(_clean_lines(text))
    legal = _is_legal(lines)
    toc = _toc_lines(lines, legal)
    closing_at = _closing_start(lines)
    parser = _Parser(legal)
    for i, line in enumerate(lines[:closing_at]):
        if i in toc:
            parser.preamble.append(line)
            parser.open_line = False
        else:
            parser.feed(line)
    closing = lines[closing_at:]
    if closing and not parser.roots:
        parser.preamble.extend(closing)
        closing = []
    nodes = parser.roots
    for node in nodes:
        _finish(node)
    if parser.preamble:
        nodes.insert(0, OutlineNode("preamble", "", 0, "", "\n".join(parser.preamble)))
    if closing:
        nodes.append(OutlineNode("closing", "", 0, "", "\n".join(closing)))
    _assign_anchors(nodes)
    return nodes


def skipped_toc_lines(text: str) -> int:
    """How many lines of ``text`` :func:`parse_outline` skips as a table of contents (目录)."""
    if not isinstance(text, str):
        return 0
    lines = _strip_page_markers(_clean_lines(text))
    return len(_toc_lines(lines, _is_legal(lines)))


def iter_nodes(nodes: Iterable[OutlineNode]) -> Iterator[OutlineNode]:
    """Pre-order walk over the nodes and their descendants."""
    for node in nodes:
        yield node
        yield from iter_nodes(node.children)


def outline_to_dicts(nodes: Iterable[OutlineNode]) -> list[dict[str, Any]]:
    """JSON-ready representation of the tree (every field of OutlineNode, children nested)."""
    return [asdict(node) for node in nodes]

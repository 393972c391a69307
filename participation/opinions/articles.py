"""The article an opinion's text cites ("第五条", "第5条", "第三章第二节", full-width digits).

:func:`cited_fields` runs when an opinion is written, next to ``written_fields`` in
``operations._new_opinion``, so every path that builds :class:`Opinion` objects (online,
offline records, imports) stores ``cited_node_id``. A bulk path that inserts rows without
:class:`Opinion` objects must call it for each row too, or run :func:`backfill_cited_nodes`
(``flask opinions cite-articles``) afterwards. The workspace's article filter reads
``coalesce(cited_node_id, node_id)``; the counters keep using ``node_id``, the article the
person chose.

Labels are resolved with the import's parsing (``normalise_article_label`` and
``operations.article_resolver``), not a second parser.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from participation.consultations.models import DraftNode, DraftVersion
from participation.extensions import db
from participation.opinions.imports.cells import normalise_article_label

_NUMERAL = r"[0-9０-９〇零一二两三四五六七八九十百千]+"
# "第三章第二节", "第三章", and articles ("第五条", "第5条", "第十二条之一"); the text is
# searched after its whitespace inside the citation is removed by the pattern itself.
_CITATION = re.compile(
    rf"第\s*(?P<chapter>{_NUMERAL})\s*章(?:\s*第\s*(?P<section>{_NUMERAL})\s*节)?"
    rf"|第\s*(?P<article>{_NUMERAL})\s*条(?:\s*之\s*(?P<sub>[一二三四五六七八九十]+))?"
)

Resolver = Callable[[str], "int | None"]


# Resolvers of recent versions, per process: a version's nodes never change once written.
# The key holds the database and the version's creation time too, so a rolled-back test
# database that reuses an id, or another database, never gets a stale entry.
_RESOLVERS: OrderedDict[tuple, tuple[Resolver, dict[tuple[str, str], int]]] = OrderedDict()
_RESOLVERS_MAX = 64


def _resolvers(version_id: int) -> tuple[Resolver, dict[tuple[str, str], int]]:
    """The article resolver and the (chapter label, section label) → node map of a version,
    built once per process (every opinion written online, offline or by import asks)."""
    created = db.session.scalar(sa.select(DraftVersion.created_at).where(
        DraftVersion.id == version_id))
    key = (str(db.session.get_bind().engine.url), version_id, created)
    if key in _RESOLVERS:
        _RESOLVERS.move_to_end(key)
        return _RESOLVERS[key]
    from participation.opinions.operations import article_resolver

    version = db.session.get(DraftVersion, version_id)
    containers: dict[tuple[str, str], int] = {}
    rows = db.session.execute(
        sa.select(DraftNode.id, DraftNode.kind, DraftNode.label, DraftNode.parent_id)
        .where(DraftNode.version_id == version_id,
               DraftNode.kind.in_(("chapter", "section")))).all()
    labels = {row.id: normalise_article_label(row.label) for row in rows}
    for row in rows:
        if row.kind == "chapter":
            containers[(labels[row.id], "")] = row.id
        elif row.parent_id in labels:
            containers[(labels[row.parent_id], labels[row.id])] = row.id
    _RESOLVERS[key] = (article_resolver(version), containers)
    while len(_RESOLVERS) > _RESOLVERS_MAX:
        _RESOLVERS.popitem(last=False)
    return _RESOLVERS[key]


def _cited_node(resolve: Resolver, containers: dict[tuple[str, str], int],
                body: str) -> int | None:
    for match in _CITATION.finditer(body):
        if match.group("article"):
            label = normalise_article_label(f"第{match.group('article')}条")
            if match.group("sub"):
                label += "之" + match.group("sub")
            node_id = resolve(label)
        else:
            chapter = normalise_article_label(f"第{match.group('chapter')}章")
            section = normalise_article_label(f"第{match.group('section')}节") \
                if match.group("section") else ""
            node_id = containers.get((chapter, section))
            if node_id is None and section:
                node_id = containers.get((chapter, ""))
        if node_id is not None:
            return node_id
    return None


def find_cited_node(version_id: int | None, body: str) -> int | None:
    """The node of version ``version_id`` that ``body`` cites first, or None (no citation,
    or one the draft does not have)."""
    if not version_id or "第" not in (body or ""):
        return None
    return _cited_node(*_resolvers(version_id), body)


def cited_fields(draft_version_id: int | None, body: str) -> dict[str, Any]:
    """The columns of the cited article, computed when an opinion is written."""
    return {"cited_node_id": find_cited_node(draft_version_id, body)}


def cited_fields_for(draft_version_id: int | None) -> Callable[[str], dict[str, Any]]:
    """:func:`cited_fields` of many texts of one version (a bulk import): the version's
    resolvers are looked up once, now, so that the texts need no query at all."""
    resolvers = _resolvers(draft_version_id) if draft_version_id else None

    def fields(body: str) -> dict[str, Any]:
        if resolvers is None or "第" not in (body or ""):
            return {"cited_node_id": None}
        return {"cited_node_id": _cited_node(*resolvers, body)}

    return fields


def backfill_cited_nodes(consultation_id: int | None = None, batch: int = 2000) -> int:
    """Compute ``cited_node_id`` for opinions written without it (rows inserted in bulk
    before this column existed); flushes, the caller commits. How many were found."""
    from participation.opinions.models import Opinion

    found = 0
    last = 0
    while True:
        query = sa.select(Opinion.id, Opinion.draft_version_id, Opinion.body).where(
            Opinion.cited_node_id.is_(None), Opinion.body.contains("第"), Opinion.id > last)
        if consultation_id is not None:
            query = query.where(Opinion.consultation_id == consultation_id)
        rows = db.session.execute(query.order_by(Opinion.id).limit(batch)).all()
        if not rows:
            return found
        updates = [{"id": row.id, "cited_node_id": node_id} for row in rows
                   if (node_id := find_cited_node(row.draft_version_id, row.body))]
        if updates:
            db.session.execute(sa.update(Opinion), updates)
            found += len(updates)
        last = rows[-1].id

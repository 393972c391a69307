"""Read-only questions about drafts: an article's parts, its earlier versions and the
opinions counted on it across versions."""

from __future__ import annotations

import sqlalchemy as sa

from participation.consultations.models import DraftNode, DraftVersion
from participation.core.args import MAX_ID
from participation.extensions import db


def node_parts(node: DraftNode) -> list[DraftNode]:
    """The paragraphs, items and sub-items of ``node`` in reading order (one query); nested
    commentable nodes (sub-headings of an outline) are units of their own and left out."""
    following = db.session.scalars(
        sa.select(DraftNode)
        .where(DraftNode.version_id == node.version_id, DraftNode.position > node.position)
        .order_by(DraftNode.position)
        .limit(500)
    )
    parts: list[DraftNode] = []
    skip_below: int | None = None
    for row in following:
        if row.depth <= node.depth:
            break
        if skip_below is not None and row.depth > skip_below:
            continue
        skip_below = None
        if row.is_commentable:
            skip_below = row.depth
            continue
        parts.append(row)
    return parts


def commentable_node(version_id: int, node_id: object) -> DraftNode | None:
    """The commentable node ``node_id`` of version ``version_id``, or None for anything else
    (no node, another version, an out-of-range or non-integer value)."""
    if not isinstance(node_id, int) or not 0 < node_id <= MAX_ID:
        return None
    node = db.session.get(DraftNode, node_id)
    if node is None or node.version_id != version_id or not node.is_commentable:
        return None
    return node


def _commentable_rows(draft_id: int) -> list[tuple[int, int | None, int, int]]:
    return list(
        db.session.execute(
            sa.select(
                DraftNode.id, DraftNode.previous_node_id, DraftNode.opinion_count,
                DraftNode.version_id,
            )
            .join(DraftVersion, DraftNode.version_id == DraftVersion.id)
            .where(
                DraftVersion.draft_id == draft_id,
                DraftNode.kind.in_(DraftNode.COMMENTABLE_KINDS),
            )
        ).tuples().all()
    )


def shown_opinion_counts(version: DraftVersion) -> dict[int, int]:
    """{node id: opinions} for the commentable nodes of ``version``, counting the opinions
    given on the matching articles of earlier versions too (one query).

    ``DraftNode.opinion_count`` counts the opinions on exactly one node; a node's
    ``previous_node_id`` names the node of the previous version it continues.
    """
    rows = _commentable_rows(version.draft_id)
    previous = {node_id: prev for node_id, prev, _count, _v in rows}
    own = {node_id: count for node_id, _prev, count, _v in rows}
    shown: dict[int, int] = {}
    for node_id, _prev, _count, version_id in rows:
        if version_id != version.id:
            continue
        total, current, seen = 0, node_id, set()
        while current is not None and current not in seen:
            seen.add(current)
            total += own.get(current, 0)
            current = previous.get(current)
        shown[node_id] = total
    return shown


def node_lineage_ids(node: DraftNode) -> list[int]:
    """``node`` and the nodes of earlier versions it continues, newest first."""
    ids = [node.id]
    current = node.previous_node_id
    while current is not None and current not in ids and len(ids) < 1000:
        ids.append(current)
        current = db.session.scalar(
            sa.select(DraftNode.previous_node_id).where(DraftNode.id == current)
        )
    return ids


def version_numbers(draft_id: int) -> dict[int, int]:
    """{version id: version number} of a draft: what a page needs to say which version
    an opinion was given on."""
    rows = db.session.execute(
        sa.select(DraftVersion.id, DraftVersion.number).where(DraftVersion.draft_id == draft_id)
    ).tuples().all()
    return dict(rows)

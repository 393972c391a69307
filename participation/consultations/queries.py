"""Read-only questions about drafts: an article's parts, its earlier versions and the
opinions counted on it across versions."""

from __future__ import annotations

import sqlalchemy as sa

from participation.consultations.models import DraftNode
from participation.extensions import db

MAX_NODE_ID = 2**31 - 1  # node ids are 32-bit integers on PostgreSQL


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
    if not isinstance(node_id, int) or not 0 < node_id <= MAX_NODE_ID:
        return None
    node = db.session.get(DraftNode, node_id)
    if node is None or node.version_id != version_id or not node.is_commentable:
        return None
    return node

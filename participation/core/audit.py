"""The audit log: every state change, with who, when, what and the changed values."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.database import utcnow
from participation.extensions import db


class AuditEntry(db.Model):
    """One state change. Never updated or deleted by the application."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime, nullable=False, default=utcnow, index=True, comment="when (UTC)"
    )
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True,
        comment="who; null for the system or an anonymous visitor",
    )
    government_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("government.id", ondelete="CASCADE"), nullable=True, index=True,
        comment="whose records changed, so administrators see only their own",
    )
    action: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, index=True, comment="action key, e.g. consultation.opened"
    )
    object_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    object_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    changes: Mapped[dict] = mapped_column(
        sa.JSON, nullable=False, default=dict, comment="changed values as JSON"
    )
    ip_address: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    actor = db.relationship("User", foreign_keys=[actor_id])

    __table_args__ = (
        sa.Index("ix_audit_entry_object", "object_type", "object_id"),
        sa.Index("ix_audit_entry_actor_id", "actor_id"),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.object_type}#{self.object_id}>"


_INSERT = sa.insert(AuditEntry.__table__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def record(
    action: str,
    obj: Any,
    changes: dict[str, Any] | None = None,
    *,
    government_id: int | None = None,
    actor: Any = None,
    actor_id: int | None = None,
) -> None:
    """Write an audit entry for ``obj`` in the caller's transaction (its commit keeps it,
    its rollback drops it).

    ``obj`` must be flushed (have an id). ``actor`` defaults to the signed-in user;
    ``actor_id`` names one without loading it. One INSERT with parameters (a cached
    statement), not an ORM object: every state change of every request writes one.
    """
    obj = getattr(obj, "_get_current_object", lambda: obj)()
    if actor is None and actor_id is None and has_request_context() \
            and current_user.is_authenticated:
        actor = current_user
    if government_id is None:
        government_id = getattr(obj, "government_id", None)
    db.session.execute(_INSERT, {
        "created_at": utcnow(),
        "actor_id": actor_id if actor_id is not None else getattr(actor, "id", None),
        "government_id": government_id,
        "action": action,
        "object_type": type(obj).__tablename__ if hasattr(obj, "__tablename__") else str(obj),
        "object_id": getattr(obj, "id", None),
        "changes": _jsonable(changes or {}),
        "ip_address": request.remote_addr if has_request_context() else None,
    })


def diff(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply ``values`` to ``obj`` and return ``{field: [old, new]}`` for those that changed."""
    changed: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [_jsonable(old), _jsonable(new)]
            setattr(obj, field, new)
    return changed

"""Read-side queries about units and who sees what of them."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from participation.accounts.models import Role, Unit
from participation.extensions import db


def unit_and_descendants(unit_id: int) -> list[int]:
    """The id of the unit and of every unit nested in it (empty for an unknown id)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return []
    units = db.session.execute(sa.select(Unit.id, Unit.parent_id).where(
        Unit.government_id == unit.government_id)).all()
    children: dict[int | None, list[int]] = defaultdict(list)
    for uid, parent in units:
        children[parent].append(uid)
    result, stack = [], [unit_id]
    while stack:
        current = stack.pop()
        result.append(current)
        stack.extend(children.get(current, []))
    return result


def internal_unit_ids(user, government_id: int) -> set[int] | None:
    """The units of ``government_id`` whose internal work ``user`` sees (a role on the
    unit or an enclosing one, see :func:`can_see_internal`); None means every unit (an
    administrator). For filtering in SQL instead of asking the predicate per row."""
    unit_ids: set[int] = set()
    for membership in user.memberships:
        if membership.government_id != government_id:
            continue
        if membership.role == Role.ADMINISTRATOR:
            return None
        if membership.unit_id is not None:
            unit_ids.update(unit_and_descendants(membership.unit_id))
    return unit_ids

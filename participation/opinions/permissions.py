"""Opinion permissions: anyone may comment on a public open consultation; officials of the
unit (moderators, editors, approvers) record offline opinions and see private fields."""

from __future__ import annotations

from participation.accounts.models import Role
from participation.accounts.permissions import (
    EDITING_ROLES,
    OPINION_ROLES,
    can_administer,
    has_unit_role,
)
from participation.consultations.models import Consultation
from participation.opinions.models import Opinion
from participation.opinions.workspace import handling_consultation


def can_submit_opinion(user, consultation: Consultation) -> bool:
    """Visitors and citizens alike; the open period is checked by the operation."""
    return consultation.is_public


def can_record_opinions(user, consultation: Consultation) -> bool:
    return has_unit_role(user, consultation.decision.unit, OPINION_ROLES)


def can_view_private_opinions(user, consultation: Consultation) -> bool:
    return has_unit_role(user, consultation.decision.unit, OPINION_ROLES)


def can_view_opinion_record(user, opinion: Opinion) -> bool:
    """The work area's page of one opinion (contact details, attachment, unmasked text):
    the officials of its source's unit."""
    return opinion.consultation is not None and can_view_private_opinions(
        user, opinion.consultation)


def can_group_opinions(user, consultation: Consultation) -> bool:
    """Groups and concentrated opinions (merge, split, name, dispose, regroup): the
    officials of the consultation's unit who handle its opinions."""
    return has_unit_role(user, consultation.decision.unit, OPINION_ROLES)


# -- moderation ------------------------------------------------------------------------

MODERATION_ROLES = frozenset({Role.MODERATOR})


def can_moderate_opinions(user, consultation: Consultation) -> bool:
    """Publish and hide a consultation's opinions: the moderators of its unit (or of an
    enclosing one) and the government's administrators."""
    return has_unit_role(user, consultation.decision.unit, MODERATION_ROLES)


def can_moderate_opinion(user, opinion: Opinion) -> bool:
    """Publish and hide one opinion: the moderators of the unit handling its source (a
    consultation's decision's unit, an open day's organizing unit) and administrators."""
    from participation.opinions.moderation_queries import moderating_unit

    unit = moderating_unit(opinion)
    return unit is not None and has_unit_role(user, unit, MODERATION_ROLES)


def can_open_moderation_queue(user, government) -> bool:
    """The government's moderation queue: anyone moderating one of its units."""
    if not (user and user.is_authenticated and user.is_official):
        return False
    return any(m.government_id == government.id and m.role in
               (Role.MODERATOR, Role.ADMINISTRATOR) for m in user.memberships)


def can_manage_sensitive_words(user, government) -> bool:
    """The sensitive-word list and the report threshold: the government's administrators."""
    return can_administer(user, government)


def can_report_opinion(user, opinion: Opinion) -> bool:
    """Anyone may report what the public sees (rate limited, once per person)."""
    from participation.opinions.moderation_reports import is_reportable

    return is_reportable(opinion)


# -- classification and dispositions ---------------------------------------------------


def can_classify_opinions(user, consultation: Consultation) -> bool:
    """The classification workspace (topics, stance, suggestions, exports and the
    spreadsheet round trip): the officials handling the consultation's opinions."""
    return has_unit_role(user, consultation.decision.unit, OPINION_ROLES)


def can_dispose_opinions(user, consultation: Consultation) -> bool:
    """Dispositions (adopted, not adopted … with the reason): the unit's editors and
    approvers, who answer for the draft."""
    return has_unit_role(user, consultation.decision.unit, EDITING_ROLES)


def can_classify_opinion(user, opinion: Opinion) -> bool:
    """One opinion's classification page: as :func:`can_classify_opinions`."""
    consultation = handling_consultation(opinion)
    return consultation is not None and can_classify_opinions(user, consultation)


def can_manage_reason_templates(user, government) -> bool:
    """The government's disposition reason templates: its administrators."""
    return can_administer(user, government)

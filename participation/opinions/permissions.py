"""Opinion permissions: anyone may comment on a public open consultation; officials of the
unit (moderators, editors, approvers) record offline opinions and see private fields."""

from __future__ import annotations

from participation.accounts.permissions import (
    EDITING_ROLES,
    OPINION_ROLES,
    can_administer,
    has_unit_role,
)
from participation.consultations.models import Consultation
from participation.opinions.models import Opinion


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
    return opinion.consultation is not None and can_classify_opinions(
        user, opinion.consultation)


def can_manage_reason_templates(user, government) -> bool:
    """The government's disposition reason templates: its administrators."""
    return can_administer(user, government)

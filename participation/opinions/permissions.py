"""Opinion permissions: anyone may comment on a public open consultation; officials of the
unit (moderators, editors, approvers) record offline opinions and see private fields."""

from __future__ import annotations

from participation.accounts.permissions import OPINION_ROLES, has_unit_role
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


def can_group_opinions(user, consultation: Consultation) -> bool:
    """Groups and concentrated opinions (merge, split, name, dispose, regroup): the
    officials of the consultation's unit who handle its opinions."""
    return has_unit_role(user, consultation.decision.unit, OPINION_ROLES)

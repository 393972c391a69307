"""Who may do what with decision meetings: the public sees published meetings; the
unit's editors and approvers prepare and edit the meeting and review applications;
approvers announce the call, hold the selection and cancel the meeting; any official of
the unit takes the roll; an applicant withdraws through the receipt's private link."""

from __future__ import annotations

from participation.accounts.models import Unit
from participation.accounts.permissions import (
    ANY_ROLE,
    EDITING_ROLES,
    PUBLISHING_ROLES,
    can_see_internal,
    has_unit_role,
)
from participation.meetings.models import Meeting


def can_view_meeting(user, meeting: Meeting) -> bool:
    """Published meetings are public; the unit's officials see theirs always."""
    return meeting.published or can_see_internal(user, meeting.unit)


def can_create_meeting(user, unit: Unit) -> bool:
    return has_unit_role(user, unit, EDITING_ROLES)


def can_manage_meeting(user, meeting: Meeting) -> bool:
    """The agenda, materials, seats, call, reviews and minutes."""
    return has_unit_role(user, meeting.unit, EDITING_ROLES)


def can_edit_meeting(user, meeting: Meeting) -> bool:
    """Title, date, place and kind (until held), and sending the materials."""
    return has_unit_role(user, meeting.unit, EDITING_ROLES)


def can_cancel_meeting(user, meeting: Meeting) -> bool:
    """Cancelling, with a reason: the unit's approvers, who announce the call."""
    return has_unit_role(user, meeting.unit, PUBLISHING_ROLES)


def can_withdraw_own_application(user, application) -> bool:
    """Whoever holds the receipt number (the private link the applicant got) may
    withdraw the application, while its personal data has not been erased."""
    return application.personal_data_erased_at is None


def can_select_representatives(user, meeting: Meeting) -> bool:
    """Announcing the call (fixing the commitment), the draw or the choice, withdrawals."""
    return has_unit_role(user, meeting.unit, PUBLISHING_ROLES)


def can_take_roll(user, meeting: Meeting) -> bool:
    """Check-in at the door and the roll: any official of the unit."""
    return has_unit_role(user, meeting.unit, ANY_ROLE)


def can_apply_for_seat(user, meeting: Meeting) -> bool:
    """Anyone may apply (no account needed) to a published meeting."""
    return meeting.published

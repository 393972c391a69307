"""Messages to applicants, written to the outbox in the transaction of the change
(received, reviewed, selected or on the reserve list, promoted from the reserve list).
Each has a dedupe key per application and event, so nothing is sent twice."""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import gettext

from participation.core.outbox import queue_message


def _receipt_url(application) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL", "") if has_app_context() else ""
    return base.rstrip("/") + "/meeting-applications/" + application.receipt_number


def _send(application, event: str, subject: str, body: str) -> None:
    text = (
        body
        + "\n\n"
        + gettext("Look your application up at %(url)s.", url=_receipt_url(application))
    )
    queue_message(
        application.contact,
        subject,
        text,
        dedupe_key=f"meeting-application-{application.id}-{event}",
    )


def application_received(application) -> None:
    """The receipt: number and public code."""
    _send(
        application,
        "received",
        gettext("Your application to attend “%(title)s”", title=application.meeting.title[:80]),
        gettext(
            "We received your application (receipt number %(receipt)s, public code "
            "%(code)s). You will be told the result of the eligibility review.",
            receipt=application.receipt_number,
            code=application.public_code,
        ),
    )


def application_reviewed(application) -> None:
    """The eligibility review's result and its reason."""
    state = application.state.value
    _send(
        application,
        f"reviewed-{state}",
        gettext(
            "Eligibility review of your application to attend “%(title)s”",
            title=application.meeting.title[:80],
        ),
        gettext(
            "Result of the review: %(state)s. %(reason)s",
            state=application.state.label,
            reason=application.eligibility_reason,
        ),
    )


def selection_made(application, check_in_code: str | None = None) -> None:
    """Selected (with the check-in code to show at the door), or the place on the reserve
    list."""
    if application.state.value == "selected":
        body = gettext(
            "You have been selected to attend “%(title)s”. Your check-in code "
            "at the door: %(code)s.",
            title=application.meeting.title,
            code=check_in_code or "-",
        )
    else:
        body = gettext(
            "You are number %(rank)d on the reserve list of “%(title)s”: if a "
            "selected representative withdraws, the first of the list takes "
            "the seat.",
            rank=application.reserve_rank or 0,
            title=application.meeting.title,
        )
    _send(
        application,
        f"selection-{application.state.value}",
        gettext("Selection for “%(title)s”", title=application.meeting.title[:80]),
        body,
    )


def reserve_promoted(application, check_in_code: str) -> None:
    """A withdrawal gave the seat to the first of the reserve list."""
    _send(
        application,
        "promoted",
        gettext("A seat at “%(title)s” is yours", title=application.meeting.title[:80]),
        gettext(
            "A selected representative withdrew: as the first of the reserve list "
            "you now have a seat at “%(title)s”. Your check-in code at the door: "
            "%(code)s.",
            title=application.meeting.title,
            code=check_in_code,
        ),
    )

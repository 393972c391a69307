"""Messages to applicants, written to the outbox in the transaction of the change
(received, reviewed, selected or on the reserve list, promoted from the reserve list,
the materials of the meeting, the meeting moved or cancelled, the application
withdrawn). Each has a dedupe key per application and event, so nothing is sent twice."""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import gettext

from participation.core.outbox import queue_message
from participation.core.timeutil import utc_to_local


def public_url(path: str) -> str:
    """``path`` on the site as the public reaches it (messages are sent later, by the
    worker, with no request to take the host from)."""
    base = current_app.config.get("PUBLIC_BASE_URL", "") if has_app_context() else ""
    return base.rstrip("/") + path


def _receipt_url(application) -> str:
    return public_url("/meeting-applications/" + application.receipt_number)


def _when(moment) -> str:
    return utc_to_local(moment).strftime("%Y-%m-%d %H:%M")


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


def materials_sent(application, materials: list[tuple[str, str | None]], sent_at) -> None:
    """The materials of the meeting, each with its link when it is public (``materials``:
    pairs of title and URL); one message per sending."""
    meeting = application.meeting
    lines = [f"- {title}" + (f": {url}" if url else "") for title, url in materials]
    _send(
        application,
        f"materials-{sent_at:%Y%m%d%H%M%S}",
        gettext("Materials of “%(title)s”", title=meeting.title[:80]),
        gettext(
            "The materials of “%(title)s” (%(when)s, %(place)s):",
            title=meeting.title,
            when=_when(meeting.starts_at),
            place=meeting.place or "-",
        )
        + "\n"
        + "\n".join(lines)
        + "\n\n"
        + gettext("The meeting's page: %(url)s", url=public_url(f"/meetings/{meeting.id}")),
    )


def meeting_moved(application, old_starts_at) -> None:
    """The meeting's date changed after the call was announced."""
    meeting = application.meeting
    _send(
        application,
        f"moved-{meeting.starts_at:%Y%m%d%H%M}",
        gettext("New date for “%(title)s”", title=meeting.title[:80]),
        gettext(
            "“%(title)s” has moved from %(old)s to %(new)s (%(place)s).",
            title=meeting.title,
            old=_when(old_starts_at),
            new=_when(meeting.starts_at),
            place=meeting.place or "-",
        ),
    )


def meeting_cancelled(application) -> None:
    """The meeting was cancelled, with the reason."""
    meeting = application.meeting
    _send(
        application,
        "cancelled",
        gettext("“%(title)s” has been cancelled", title=meeting.title[:80]),
        gettext(
            "“%(title)s” (%(when)s) has been cancelled. Reason: %(reason)s",
            title=meeting.title,
            when=_when(meeting.starts_at),
            reason=meeting.cancel_reason,
        ),
    )


def application_withdrawn(application) -> None:
    """The applicant withdrew their application themselves."""
    _send(
        application,
        "withdrawn",
        gettext(
            "Your application to attend “%(title)s” is withdrawn",
            title=application.meeting.title[:80],
        ),
        gettext(
            "Your application (public code %(code)s) has been withdrawn as you asked.",
            code=application.public_code,
        ),
    )


def material_lines(meeting) -> list[tuple[str, str | None]]:
    """The materials before the meeting, agenda item by agenda item, as pairs of title
    and public link (no link for what is not public: a withheld document or the feedback
    report's draft is named, not linked)."""
    lines: list[tuple[str, str | None]] = []
    for item in meeting.agenda_items:
        for material in item.materials:
            if material.document_id is not None:
                document = material.document
                if document.is_public:
                    lines.append((document.title, public_url(f"/documents/{document.id}")))
                else:
                    lines.append((document.kind.label, None))
            elif material.kind.value == "participation_summary":
                url = public_url(f"/consultations/{material.consultation_id}/participation-summary")
                lines.append((f"{material.kind.label}: {material.consultation.title}", url))
            else:
                lines.append((f"{material.kind.label}: {material.consultation.title}", None))
    return lines

"""What the audit log shows people: translated action and field names, readable values,
and the admin page of each object.

Every action key written with :func:`participation.core.audit.record` has its label here
(``tests/accounts/test_audit_log.py`` fails when one is missing). Labels of enum values
(stages, channels …) belong to their domains; the audit view passes them in as
``value_labels``, so this module imports no domain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_date, format_datetime, ngettext
from flask_babel import lazy_gettext as _l

from participation.core.i18n import label
from participation.extensions import db

ACTION_LABELS = {
    "government.created": _l("Government created"),
    "unit.created": _l("Unit created"),
    "unit.updated": _l("Unit changed"),
    "official.created": _l("Official created"),
    "official.activated": _l("Official's account reactivated"),
    "official.deactivated": _l("Official's account deactivated"),
    "official.role_granted": _l("Role granted"),
    "official.role_revoked": _l("Role revoked"),
    "user.registered": _l("Citizen registered"),
    "user.password_changed": _l("Password changed"),
    "user.deleted": _l("Account deleted"),
    "user.signed_out": _l("Signed out everywhere"),
    "catalogue.created": _l("Catalogue created"),
    "catalogue.published": _l("Catalogue published"),
    "decision.added": _l("Decision added to the catalogue"),
    "decision.adjusted": _l("Decision adjusted"),
    "decision.withdrawn": _l("Decision withdrawn"),
    "decision.stage_changed": _l("Decision moved to a new stage"),
    "document.created": _l("Document drafted"),
    "document.updated": _l("Document changed"),
    "document.revised": _l("Published document revised"),
    "document.published": _l("Document published"),
    "document.attachment_added": _l("Attachment added"),
    "document.attachment_removed": _l("Attachment removed"),
    "draft.version_added": _l("Draft version added"),
    "consultation.opened": _l("Consultation opened"),
    "consultation.revision_published": _l("Revised draft published for comment"),
    "consultation.closed_early": _l("Consultation closed early"),
    "consultation.extended": _l("Consultation extended"),
    "opinion.submitted": _l("Opinion submitted online"),
    "opinion.recorded": _l("Offline opinion recorded"),
    "opinion.imported": _l("Opinions imported"),
    "opinion.import_uploaded": _l("File of opinions uploaded for import"),
    "opinion.import_refused": _l("File of opinions refused: errors found"),
    "opinion.import_confirmed": _l("Import of repeated opinions confirmed"),
    "opinion.import_discarded": _l("Unconfirmed import discarded"),
    "opinion.counter_corrected": _l("Opinion counter corrected"),
    "decision.document_issued": _l("Decision document issue date recorded"),
    "decision.feedback_due_recounted": _l("Feedback due date counted again"),
    "feedback_report.edited": _l("Feedback report text edited"),
    "feedback_report.published": _l("Feedback report published"),
    "workdays.year_added": _l("Holiday schedule entered"),
    "workdays.year_replaced": _l("Holiday schedule replaced"),
    "opinion_group.merged": _l("Opinion groups merged"),
    "opinion_group.split": _l("Opinions split out of a group"),
    "opinion_group.named": _l("Opinion group named"),
    "opinion_group.opinions_added": _l("Opinions added to a group"),
    "opinion_group.disposed": _l("Disposition of an opinion group recorded"),
    "opinion_group.threshold_changed": _l("Size of a concentrated opinion changed"),
    "opinion_group.regrouped": _l("Opinions regrouped"),
    "opinion_group.regrouping_requested": _l("Regrouping of opinions requested"),
    "opinion.moderated": _l("Opinion moderated"),
    "opinion.reported": _l("Opinion reported by a citizen"),
    "sensitive_words.added": _l("Sensitive words added"),
    "sensitive_words.removed": _l("Sensitive words removed"),
    "moderation.threshold_changed": _l("Report threshold changed"),
    "consultation.moderation_mode_changed": _l("Moderation of opinions changed"),
    "topic.defaults_added": _l("Default topics added"),
    "topic.added": _l("Topic added"),
    "topic.renamed": _l("Topic renamed"),
    "topic.moved": _l("Topic moved"),
    "topic.removed": _l("Topic removed"),
    "opinion.topic_set": _l("Topic given to opinions"),
    "opinion.stance_set": _l("Stance given to opinions"),
    "opinion.suggestions_accepted": _l("Suggestions accepted"),
    "opinion.disposition_set": _l("Disposition given"),
    "opinion.classification_applied": _l("Classification applied from a file"),
    "opinion_group.change_set": _l("Change of the draft attached to a group"),
    "reason_template.added": _l("Reason template added"),
    "reason_template.removed": _l("Reason template removed"),
    "meeting.created": _l("Meeting created"),
    "meeting.published": _l("Meeting made public"),
    "meeting.seats_set": _l("Meeting seats set"),
    "meeting.drawn": _l("Meeting lottery drawn"),
    "meeting.held": _l("Meeting recorded as held"),
    "meeting.edited": _l("Meeting edited"),
    "meeting.cancelled": _l("Meeting cancelled"),
    "meeting.materials_sent": _l("Meeting materials sent to the participants"),
    "meeting.applicant_data_erased": _l("Applicants' personal data erased after retention"),
    "agenda_item.added": _l("Decision put on a meeting's agenda"),
    "agenda_item.minutes_recorded": _l("Minutes of an agenda item recorded"),
    "meeting_material.added": _l("Material put before a meeting"),
    "open_call.saved": _l("Open call for seats saved"),
    "open_call.announced": _l("Open call for seats announced"),
    "application.submitted": _l("Application for a seat submitted"),
    "application.reviewed": _l("Application for a seat reviewed"),
    "application.chosen": _l("Applicant chosen for a seat"),
    "application.withdrawn": _l("Representative withdrew; seat filled from the reserve list"),
    "roll_entry.checked_in": _l("Representative checked in"),
    "roll_entry.recorded": _l("Roll taken"),
    "open_day.created": _l("Open day created"),
    "open_day.updated": _l("Open day changed"),
    "open_day.published": _l("Open day published"),
    "open_day.cancelled": _l("Open day cancelled"),
    "open_day.signed_up": _l("Signed up for an open day"),
    "open_day.signup_cancelled": _l("Open-day signup cancelled"),
    "open_day.promotion_declined": _l("Place from the waitlist declined"),
    "open_day.companions_changed": _l("Companions of a signup changed"),
    "open_day.promoted": _l("Promoted from the waitlist"),
    "open_day.no_shows_released": _l("No-shows released"),
    "open_day.checked_in": _l("Checked in at an open day"),
    "open_day.walk_in_recorded": _l("Walk-in recorded"),
    "open_day.questionnaire_sent": _l("Open-day questionnaire sent"),
    "open_day.questionnaire_answered": _l("Open-day questionnaire answered"),
}

FIELD_LABELS = {
    "unit.name": _l("Unit name"),
    "government.name": _l("Name of the government"),
    "name": _l("Name"),
    "display_name": _l("Name"),
    "parent_id": _l("Part of"),
    "role": _l("Role"),
    "unit_id": _l("Unit"),
    "kind": _l("Kind"),
    "year": _l("Year"),
    "published_on": _l("Publication date"),
    "title": _l("Title"),
    "legal_basis": _l("Legal basis"),
    "summary": _l("Summary"),
    "category": _l("Category"),
    "planned_completion": _l("Planned completion"),
    "confidential": _l("Confidential"),
    "reason": _l("Reason"),
    "stage": _l("Stage"),
    "occurred_on": _l("Date"),
    "body_html": _l("Text"),
    "disclosure": _l("Disclosure"),
    "withheld_ground": _l("Legal ground for withholding"),
    "filename": _l("File"),
    "sha256": _l("SHA-256"),
    "number": _l("Version"),
    "source_kind": _l("Source"),
    "opens_at": _l("Opens"),
    "closes_at": _l("Closes"),
    "draft_version_id": _l("Draft version"),
    "short_period_reason": _l("Reason for a period shorter than 30 days"),
    "channel": _l("Channel"),
    "node_id": _l("Article"),
    "reference": _l("Reference"),
    "is_late": _l("Late"),
    "count": _l("Number of opinions"),
    "opinion_ids": _l("Opinions"),
    "source": _l("Source"),
    "document_issued_on": _l("Decision document issued on"),
    "feedback_due_on": _l("Feedback report due on"),
    "feedback_due_estimated": _l("Due date estimated"),
    "days_off": _l("Days off"),
    "workdays": _l("Adjusted workdays"),
    "replaced": _l("Replaced"),
    "how_held": _l("How the consultation was held"),
    "adoption_summary": _l("What was adopted, and why the rest was not"),
    "correction_reason": _l("What this version corrects, and why"),
    "automatic": _l("Published automatically"),
    "late_working_days": _l("Working days late"),
    "merged_groups": _l("Merged groups (opinions each)"),
    "new_group_id": _l("New group"),
    "disposition": _l("Disposition"),
    "disposition_reason": _l("Reason for the disposition"),
    "concentrated_threshold": _l("Opinions that make a concentrated opinion"),
    "moved": _l("Opinions moved"),
    "groups_created": _l("Groups created"),
    "task_id": _l("Background task"),
    "moderation_state": _l("Moderation state"),
    "moderation_reason": _l("Reason for hiding"),
    "moderation_note": _l("Note"),
    "moderation_mode": _l("Moderation"),
    "cause": _l("Cause"),
    "report_count": _l("Reports"),
    "report_threshold": _l("Reports that hide an opinion pending review"),
    "words": _l("Words"),
    "capacity": _l("Places"),
    "companions": _l("Companions"),
    "position": _l("Order of arrival"),
    "promoted": _l("Promoted from the waitlist"),
    "by_organizer": _l("By an organizer"),
    "theme": _l("Topic"),
    "place": _l("Place"),
    "accessibility": _l("Accessibility"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "signup_opens_at": _l("Signups open"),
    "signup_closes_at": _l("Signups close"),
    "companions_allowed": _l("Companions per signup"),
    "promotion_stop_hours": _l("The waitlist stops moving (hours before the start)"),
    "questions": _l("Questions to people signing up"),
    "code": _l("Check-in code"),
    "state": _l("State"),
    "satisfaction": _l("Satisfaction"),
    "opinion_id": _l("Opinion"),
}

# Values written by the operations that are words, not data.
_WORDS = {"changed": _l("changed"), "pasted": _l("pasted text"), "docx": _l("Word file"),
          "mobile": _l("mobile number"), "email": _l("e-mail"),
          "reports": _l("citizens' reports")}

# The admin page of each kind of object: endpoint and the name of its id argument.
OBJECT_PAGES = {
    "catalogue": ("catalogue.manage_catalogue", "catalogue_id"),
    "decision": ("catalogue.manage_decision", "decision_id"),
    "document": ("dossier.edit_document", "document_id"),
    "consultation": ("consultations.manage_consultation", "consultation_id"),
    "opinion": ("opinions.show_received_opinion", "opinion_id"),
    "opinion_group": ("opinions.show_group", "group_id"),
    "meeting": ("meetings.manage_meeting", "meeting_id"),
    "unit": ("accounts.edit_unit", "unit_id"),
    "user_account": ("accounts.edit_official", "user_id"),  # officials only (see below)
    "open_day": ("opendays_admin.manage_open_day", "open_day_id"),
}
OBJECT_LABELS = {
    "catalogue": _l("Catalogue"), "decision": _l("Decision"), "document": _l("Document"),
    "consultation": _l("Consultation"), "opinion": _l("Opinion"), "unit": _l("Unit"),
    "user_account": _l("Account"), "government": _l("Government"),
    "draft_version": _l("Draft version"),
    "calendar_year": _l("Holiday schedule"),
    "feedback_report": _l("Feedback report"),
    "opinion_group": _l("Opinion group"),
    "meeting": _l("Meeting"),
    "agenda_item": _l("Agenda item"),
    "meeting_material": _l("Meeting material"),
    "meeting_application": _l("Application for a seat"),
    "roll_entry": _l("Roll entry"),
    "open_day": _l("Open day"),
    "open_day_signup": _l("Open-day signup"),
    "open_day_walk_in": _l("Walk-in"),
    "open_day_questionnaire_response": _l("Questionnaire"),
}

_LIST_FIELDS = {"opinion_ids"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def action_label(action: str) -> str:
    """The translated name of an action key (the key itself when it has no label)."""
    text = ACTION_LABELS.get(action)
    return label(text) if text is not None else action


def action_choices() -> list[tuple[str, str]]:
    """``(key, label)`` of every known action, by label."""
    return sorted(((key, action_label(key)) for key in ACTION_LABELS), key=lambda c: c[1])


def field_label(field: str, object_type: str = "") -> str:
    """The translated name of a changed field (the field name when unknown)."""
    text = FIELD_LABELS.get(f"{object_type}.{field}") or FIELD_LABELS.get(field)
    return label(text) if text is not None else field


@dataclass(frozen=True)
class Change:
    """One line of an entry's changed values: ``label: old → new`` or ``label: value``."""

    field: str
    label: str
    new: str
    old: str | None = None
    is_change: bool = False


def format_value(field: str, value: Any, value_labels: Mapping[str, Mapping[str, str]]
                 | None = None, object_type: str = "") -> str:
    """A stored value as people read it: dates in local time, yes/no, enum labels."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return label(_l("yes")) if value else label(_l("no"))
    if isinstance(value, list):
        if field in _LIST_FIELDS:
            return ngettext("%(num)d item", "%(num)d items", len(value))
        return ", ".join(format_value(field, v, value_labels, object_type) for v in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(k, object_type)}: {format_value(k, v, value_labels, object_type)}"
            for k, v in value.items())
    labels = value_labels or {}
    for key in (f"{object_type}.{field}", field):
        mapping = labels.get(key)
        if mapping is not None and str(value) in mapping:
            return str(mapping[str(value)])
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return format_date(date.fromisoformat(value), "yyyy-MM-dd")
        if _ISO_DATETIME.match(value):
            return format_datetime(datetime.fromisoformat(value), "yyyy-MM-dd HH:mm")
        if value in _WORDS:
            return label(_WORDS[value])
    return str(value)


def readable_changes(changes: Mapping[str, Any] | None, value_labels=None,
                     object_type: str = "") -> list[Change]:
    """The changed values of an entry as lines; ``[old, new]`` pairs become changes."""
    lines = []
    for field, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2 and field not in _LIST_FIELDS:
            lines.append(Change(field, field_label(field, object_type),
                                new=format_value(field, value[1], value_labels, object_type),
                                old=format_value(field, value[0], value_labels, object_type),
                                is_change=True))
        else:
            lines.append(Change(field, field_label(field, object_type),
                                new=format_value(field, value, value_labels, object_type)))
    return lines


def object_links(entries: Iterable[Any], official_ids: set[int] | None = None
                 ) -> dict[tuple[str, int], str]:
    """``{(object_type, object_id): admin URL}`` for the entries' objects that still exist
    (one query per kind of object). Accounts link only when they are in ``official_ids``."""
    wanted: dict[str, set[int]] = {}
    government_of: dict[tuple[str, int], int | None] = {}
    for entry in entries:
        if entry.object_type in OBJECT_PAGES and entry.object_id is not None:
            wanted.setdefault(entry.object_type, set()).add(entry.object_id)
            government_of[(entry.object_type, entry.object_id)] = entry.government_id
    links: dict[tuple[str, int], str] = {}
    for object_type, ids in wanted.items():
        if object_type == "user_account":
            existing = ids & (official_ids or set())
        else:
            table = sa.table(object_type, sa.column("id"))
            existing = set(db.session.scalars(
                sa.select(table.c.id).where(table.c.id.in_(sorted(ids)))))
        endpoint, argument = OBJECT_PAGES[object_type]
        for object_id in existing:
            values = {argument: object_id}
            if object_type == "user_account":
                values["government_id"] = government_of[(object_type, object_id)]
            links[(object_type, object_id)] = url_for(endpoint, **values)
    return links

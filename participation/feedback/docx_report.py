"""The feedback report as a Word document an official can file, with the headings of the
usual template (一、基本情况 … 附件)."""

from __future__ import annotations

import io
from typing import Any

from flask_babel import gettext

from participation.consultations.models import Consultation
from participation.feedback.models import FeedbackReport
from participation.opinions.models import Channel, Disposition, ModerationReason, SubmitterKind


def _table(document, header: list[str], rows: list[list[Any]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = str(value)


def _disposition(code: str | None) -> str:
    return Disposition(code).label if code else ""


def _heard(document, data: dict[str, Any]) -> None:
    """The sections the HTML report has after the hidden opinions: the statements by
    representatives at the decision meeting, and the opinions heard at open days (both
    masked and with their dispositions, as in ``data``)."""
    representatives = data.get("representatives") or {}
    if representatives.get("statements"):
        document.add_heading(
            gettext("6. Statements by representatives at the decision meeting"), level=1)
        _table(document, [gettext("Meeting"), gettext("Representative"), gettext("Statement"),
                          gettext("Disposition"), gettext("Reason")],
               [[s["meeting"], s.get("name") or s.get("code") or "", s["text"],
                 _disposition(s["disposition"]), s["reason"]]
                for s in representatives["statements"]])
    open_days = data.get("open_days") or {}
    if open_days.get("opinions"):
        document.add_heading(gettext("Opinions heard at open days"), level=1)
        if open_days.get("hidden"):
            document.add_paragraph(gettext(
                "%(count)d opinions heard at open days were not published.",
                count=open_days["hidden"]))
        _table(document, [gettext("Open day"), gettext("Name"), gettext("Opinion"),
                          gettext("Disposition"), gettext("Reason")],
               [[o["open_day"], o.get("name") or gettext("Anonymous"), o["text"],
                 _disposition(o["disposition"]), o["reason"]]
                for o in open_days["opinions"]])


def render(consultation: Consultation, report: FeedbackReport, data: dict[str, Any]) -> bytes:
    """The DOCX bytes of ``report`` (its frozen ``data``)."""
    from docx import Document  # python-docx: loaded by the pages that make a document

    document = Document()
    document.add_heading(gettext("Feedback on the opinions received on “%(title)s”",
                                 title=consultation.title), level=0)
    participation = data["participation"]
    document.add_heading(gettext("1. How the consultation was held"), level=1)
    document.add_paragraph(report.how_held)
    document.add_paragraph(gettext(
        "Draft version %(version)s, open for comment from %(opens)s to %(closes)s.",
        version=data["consultation"]["draft_version"],
        opens=(data["consultation"]["opens_at"] or "")[:10],
        closes=(data["consultation"]["closes_at"] or "")[:10]))
    document.add_heading(gettext("2. Participation"), level=1)
    document.add_paragraph(gettext("%(opinions)d opinions from %(people)d people.",
                                   opinions=participation["opinions"],
                                   people=participation["people"]))
    _table(document, [gettext("Channel"), gettext("Opinions")],
           [[Channel(r["channel"]).label, r["opinions"]] for r in participation["by_channel"]])
    kinds = participation.get("by_submitter_kind") or []
    if any(r["submitter_kind"] != SubmitterKind.PERSON for r in kinds):
        _table(document, [gettext("Given by"), gettext("Opinions")],
               [[SubmitterKind(r["submitter_kind"]).label, r["opinions"]] for r in kinds])
    document.add_heading(gettext("3. Adoption"), level=1)
    document.add_paragraph(report.adoption_summary)
    _table(document, [gettext("Disposition"), gettext("Opinions"), gettext("Share")],
           [[Disposition(r["code"]).label, r["opinions"], f"{r['percent']} %"]
            for r in data["dispositions"]["by_code"]])
    document.add_heading(gettext("4. Concentrated opinions and the reasons"), level=1)
    if data["concentrated"]:
        _table(document, [gettext("Summary"), gettext("Opinions"), gettext("People"),
                          gettext("Disposition"), gettext("Reason")],
               [[g["summary"], g["opinions"], g["people"],
                 Disposition(g["disposition"]).label if g["disposition"] else "",
                 g["reason"]] for g in data["concentrated"]])
    else:
        document.add_paragraph(gettext("No concentrated opinion."))
    document.add_heading(gettext("5. Opinions not published"), level=1)
    hidden = data["not_published"]
    document.add_paragraph(gettext("%(count)d opinions were not published.",
                                   count=hidden["total"]))
    if hidden["by_reason"]:
        _table(document, [gettext("Reason"), gettext("Opinions")],
               [[ModerationReason(r["reason"]).label, r["opinions"]]
                for r in hidden["by_reason"]])
    _heard(document, data)
    if report.correction_reason:
        document.add_heading(gettext("Correction"), level=1)
        document.add_paragraph(report.correction_reason)
    document.add_paragraph(gettext(
        "Annex: the table of every opinion is published beside this report (CSV, XLSX)."))
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()

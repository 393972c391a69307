"""Signals between domains (blinker, as Flask itself uses).

Domains are ordered core < accounts < catalogue < dossier < consultations < opinions <
feedback, meetings, open_days < api. A domain never imports one to its right; when
something on the left happens that a domain on the right must react to, the left one
sends a signal here and the right one connects a receiver in its ``receivers.py``
(imported by the application factory). Receivers run inside the sender's transaction:
they flush, never commit, and may raise a :class:`DomainError` to refuse the change.

Every signal is sent with the changed object as sender and keyword arguments as listed.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Before a decision moves to another stage; a receiver raises ``StageError`` to refuse.
#: ``sender``: the decision; ``to_stage``: the target :class:`Stage`.
decision_stage_checked = _signals.signal("decision-stage-checked")

#: After a decision moved to another stage.
#: ``sender``: the decision; ``from_stage``, ``to_stage``, ``occurred_on``, ``actor``.
decision_stage_changed = _signals.signal("decision-stage-changed")

#: While a citizen's account is deleted (personal data erased): domains holding the
#: person's contributions anonymise them. ``sender``: the user.
account_deleted = _signals.signal("account-deleted")

#: After an opinion was added from any channel. ``sender``: the opinion; ``source``: the
#: consultation (meeting, open day … later).
opinion_received = _signals.signal("opinion-received")

#: Before an import stores its rows. ``sender``: the source (a consultation);
#: ``record``: the :class:`OpinionImport`. A receiver may return an observer of the rows
#: as they are stored (``stored(texts, senders, first_id)`` per batch, ``close()`` at the
#: end whatever happened; see ``opinions.imports.storing``), which ``opinions_imported``
#: then carries as ``observers``.
opinions_importing = _signals.signal("opinions-importing")

#: After a whole file of opinions was stored by an import (large imports do not send
#: ``opinion_received`` per row). ``sender``: the source (a consultation);
#: ``opinion_ids``: the (min, max) id range the import created, inclusive, within the
#: current transaction; ``progress``: None, or ``progress(done, total)`` to report the
#: receivers' work on those opinions (a progress bar of the command line);
#: ``observers``: what the receivers of ``opinions_importing`` returned.
opinions_imported = _signals.signal("opinions-imported")

#: After a consultation's period ended early by an official's decision. Nothing is sent
#: for a period ending on time, and nothing needs it: what follows a close (the interim
#: participation summary, the report editor) depends on ``closes_at`` alone, so it is
#: public the moment the period ends either way. ``sender``: the consultation.
consultation_closed = _signals.signal("consultation-closed")

#: Which stages of some decisions have public material, for the catalogue's links.
#: ``sender``: the list of decision ids; each receiver returns ``{decision_id: {Stage}}``.
stage_material_requested = _signals.signal("stage-material-requested")

#: The public links of a decision's dossier that other domains contribute (a meeting,
#: its minutes, its attendance …). ``sender``: the decision; each receiver returns a list
#: of :class:`StageLink`.
stage_links_requested = _signals.signal("stage-links-requested")

#: The officials' dashboard: each receiver returns a :class:`DashboardSection` (or None)
#: for ``sender`` (the signed-in user).
dashboard_sections_requested = _signals.signal("dashboard-sections-requested")


def collect(signal, sender, **kwargs) -> list:
    """The non-None return values of every receiver of ``signal``, in connection order."""
    return [value for _receiver, value in signal.send(sender, **kwargs) if value is not None]


class DashboardSection:
    """One part of the officials' dashboard: a template rendered once per government with
    ``context`` (plus ``government``), placed by ``order``."""

    def __init__(self, order: int, template: str, **context) -> None:
        self.order = order
        self.template = template
        self.context = context

    def __repr__(self) -> str:
        return f"<DashboardSection {self.template}>"


class StageLink:
    """A link shown under one stage of a decision's dossier: ``stage`` (a Stage value),
    the link's text and URL, and an optional note."""

    def __init__(self, stage: str, text: str, url: str, note: str = "") -> None:
        self.stage = stage
        self.text = text
        self.url = url
        self.note = note

    def __repr__(self) -> str:
        return f"<StageLink {self.stage} {self.url}>"

"""Grouping reacts to new opinions: one at a time as they arrive, a whole import at once."""

from __future__ import annotations

from participation.core import signals
from participation.opinions.grouping import tasks as _tasks  # noqa: F401 - registers it
from participation.opinions.grouping.queue import queue_opinion

# The grouping code (numpy, scipy, rapidfuzz) is imported on first use, not when the
# application starts: workers and commands that never group start quickly.


@signals.opinion_received.connect
def group_received_opinion(opinion, source=None, **_kwargs) -> None:
    """Queue each opinion for the worker to group (or group it at once with
    ``GROUPING_INLINE``)."""
    queue_opinion(opinion)


@signals.opinions_importing.connect
def prepare_importing_opinions(consultation, record=None, **_kwargs):
    """Fingerprint an import's rows while they are stored (a worker process, started
    only for a large import: :mod:`.prepare`)."""
    if record is None or getattr(consultation, "id", None) is None:
        return None
    from participation.opinions.grouping.prepare import ImportFingerprints

    return ImportFingerprints(consultation.id, record.id)


@signals.opinions_imported.connect
def group_imported_opinions(consultation, opinion_ids=None, actor=None, progress=None,
                            observers=(), **_kwargs) -> None:
    """Group an import's opinions (``opinion_ids``: the inclusive id range)."""
    if not opinion_ids:
        return
    from participation.opinions.grouping.incremental import group_imported
    from participation.opinions.grouping.prepare import ImportFingerprints

    prepared = next((o for o in observers if isinstance(o, ImportFingerprints)), None)
    group_imported(consultation, int(opinion_ids[0]), int(opinion_ids[1]),
                   actor_id=getattr(actor, "id", None), progress=progress,
                   prepared=prepared)

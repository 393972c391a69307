"""The background task of grouping, registered when the application starts (the
grouping code itself, with numpy, scipy and rapidfuzz, is imported when a task runs)."""

from __future__ import annotations

from participation.core.tasks import Task, register_task, report_progress
from participation.extensions import db

REGROUP_TASK = "opinions.regroup"


@register_task(REGROUP_TASK)
def run_regroup_task(task: Task) -> None:
    """A full regrouping (payload ``consultation_id``) or the grouping of one import
    (``opinion_ids``: [first, last])."""
    from participation.consultations.models import Consultation
    from participation.opinions.grouping.operations import regroup_consultation
    from participation.opinions.grouping.regroup import regroup

    consultation = db.session.get(Consultation, task.payload["consultation_id"])
    if consultation is None:
        raise ValueError(f"no consultation {task.payload['consultation_id']}")
    ids = task.payload.get("opinion_ids")

    def progress(done: int, total: int) -> None:
        report_progress(task, done, total)

    if ids:
        regroup(consultation, opinion_ids=(int(ids[0]), int(ids[1])), progress=progress)
    else:
        regroup_consultation(consultation, actor_id=task.created_by_id, progress=progress)

"""Learned suggestions: trained per government from officials' labels as a background
task, shown with their confidence, never applied silently, accepted one by one or in
bulk, with the acceptance counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core import tasks
from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions import classification as ops
from participation.opinions import operations, suggestions
from participation.opinions.models import Opinion, Stance
from participation.opinions.workspace import Selection
from participation.opinions.workspace_models import SuggestionModel, SuggestionTally
from tests import factories
from tests.conftest import login

FEES = ["收费标准太高，建议降低停车费用。", "停车收费过高，希望降低价格。",
        "收费项目太多，费用负担重。", "建议公布收费标准，降低费用。",
        "停车费用应当降低，收费不合理。", "收费价格偏高，建议下调。"]
RIGHTS = ["应当保障村民的知情权和参与权。", "建议明确村民的权利和义务。",
          "村民参与权应当写进办法。", "保障群众知情权，公开办理结果。",
          "明确权利义务，保护村民权益。", "村民的监督权需要保障。"]


def _record(consultation, body: str):
    return operations.record_offline(consultation, {
        "channel": "letter", "received_at": utcnow() - timedelta(hours=1), "node_id": None,
        "body": body, "display_name": "", "contact": ""})


@pytest.fixture
def labelled(world):
    """A first consultation labelled by officials, and a second one of the same government
    with new opinions."""
    catalogue = factories.make_catalogue(world.government)
    first = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    topics = {t.name: t for t in ops.add_default_topics(first)}
    for body in FEES:
        opinion = _record(first, body)
        ops.set_topic(Selection(first, ids=(opinion.id,)), topics["其他"])
        ops.set_stance(Selection(first, ids=(opinion.id,)), Stance.OPPOSE)
    for body in RIGHTS:
        opinion = _record(first, body)
        ops.set_topic(Selection(first, ids=(opinion.id,)), topics["权利义务"])
        ops.set_stance(Selection(first, ids=(opinion.id,)), Stance.SUGGESTION)
    second = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    ops.add_default_topics(second)
    new = [_record(second, "停车收费标准过高，建议降低。"),
           _record(second, "要保障村民的参与权和知情权。")]
    db.session.commit()
    return first, second, new


def test_training_runs_as_a_task_and_writes_suggestions_not_labels(
        app, client, world, labelled):
    first, second, new = labelled
    login(client, world.editor)
    response = client.post(f"/admin/consultations/{second.id}/suggestions/train")
    assert response.status_code == 302
    assert "/admin/tasks/" in response.headers["Location"]
    task = suggestions.training_pending(world.government.id)
    assert task is not None
    assert task.kind == suggestions.TASK_KIND
    suggestions.run_training(task)
    model = db.session.scalar(sa.select(SuggestionModel))
    assert model.version == 1
    assert model.topic_labels == 12
    assert model.stance_labels == 12
    assert model.topic_accuracy is not None  # measured on held-back labels
    fee, rights = (db.session.get(Opinion, o.id) for o in new)
    # Topics map by name onto the second consultation's own topics.
    assert fee.suggested_topic.consultation_id == second.id
    assert fee.suggested_topic.name == "其他"
    assert rights.suggested_topic.name == "权利义务"
    assert rights.suggested_stance == Stance.SUGGESTION
    assert 0 < fee.suggested_topic_confidence <= 1
    assert fee.topic_id is None
    assert fee.stance is None
    page = client.get(f"/admin/consultations/{second.id}/workspace").get_data(as_text=True)
    assert "权利义务" in page
    assert "%" in page


def test_suggestions_are_accepted_one_by_one_or_changed_and_counted(
        client, world, labelled):
    first, second, new = labelled
    model = suggestions.train(world.government.id)
    suggestions.suggest_for_consultation(second, model)
    db.session.commit()
    login(client, world.editor)
    url = f"/admin/consultations/{second.id}/workspace"
    # "Accept suggestion" on one row.
    response = client.post(url, data={"action": "topic", "scope": "selected",
                                      "accept_one": str(new[0].id)})
    assert response.status_code == 302
    accepted = db.session.get(Opinion, new[0].id)
    assert accepted.topic.name == "其他"
    assert accepted.stance == Stance.OPPOSE
    assert accepted.suggested_topic_id is None
    # A different topic on the other one: counted as changed.
    other = next(t for t in ops.topics_of(second) if t.name == "程序" or t.name == "办理程序")
    client.post(url, data={"action": "topic", "topic_id": str(other.id), "scope": "selected",
                           "ids": [str(new[1].id)]})
    tally = db.session.scalar(sa.select(SuggestionTally).where(
        SuggestionTally.consultation_id == second.id, SuggestionTally.kind == "topic"))
    assert (tally.accepted, tally.changed) == (1, 1)
    page = client.get(url).get_data(as_text=True)
    assert "50 %" in page or "50%" in page


def test_bulk_accept_on_everything_matching(client, world, labelled):
    first, second, new = labelled
    suggestions.suggest_for_consultation(second, suggestions.train(world.government.id))
    db.session.commit()
    login(client, world.moderator)
    url = f"/admin/consultations/{second.id}/workspace"
    data = {"action": "accept", "scope": "all", "topic": "none"}
    assert client.post(url, data=data).status_code == 200  # asks first
    assert client.post(url, data={**data, "confirm_count": "2"}).status_code == 302
    assert {db.session.get(Opinion, o.id).topic.name for o in new} == {"其他", "权利义务"}


def test_too_few_labels_train_nothing(world):
    assert suggestions.train(world.government.id) is None


def test_the_training_task_is_registered():
    assert suggestions.TASK_KIND in tasks.HANDLERS


# -- periodic retraining ----------------------------------------------------------------


def _retraining_tasks(world) -> list[tasks.Task]:
    return db.session.scalars(
        sa.select(tasks.Task)
        .where(tasks.Task.kind == suggestions.TASK_KIND,
               tasks.Task.government_id == world.government.id)
        .order_by(tasks.Task.id)
    ).all()


def test_the_retraining_job_is_registered_and_hourly():
    from participation.core.jobs import JOBS

    job = JOBS["opinions.retrain_suggestions"]
    assert job.every == timedelta(hours=1)


def test_the_job_queues_a_training_once_enough_labels_were_given(
    app, monkeypatch, world, labelled
):
    # The fixture's officials gave 24 labels (12 topics, 12 stances), one at a time.
    assert suggestions.labels_given(world.government.id, None) == 24
    monkeypatch.setitem(app.config, "SUGGESTIONS_RETRAIN_LABELS", 30)
    assert suggestions.retrain_suggestions_job(utcnow()) == []
    monkeypatch.setitem(app.config, "SUGGESTIONS_RETRAIN_LABELS", 20)
    (task,) = suggestions.retrain_suggestions_job(utcnow())
    assert task.payload == {"government_id": world.government.id}
    # Level-triggered and idempotent: later passes, before and after it ran, add nothing.
    assert suggestions.retrain_suggestions_job(utcnow()) == []
    suggestions.run_training(task)
    task.state = tasks.TaskState.DONE
    db.session.commit()
    assert suggestions.retrain_suggestions_job(utcnow()) == []
    assert len(_retraining_tasks(world)) == 1
    assert suggestions.latest_model(world.government.id).version == 1


def test_labels_given_after_the_newest_model_queue_the_next_training(
    app, monkeypatch, world, labelled
):
    first, second, new = labelled
    monkeypatch.setitem(app.config, "SUGGESTIONS_RETRAIN_LABELS", 3)
    model = suggestions.train(world.government.id)
    suggestions.suggest_for_consultation(second, model)
    db.session.commit()
    assert suggestions.retrain_suggestions_job(utcnow()) == []
    # Accepting both suggestions gives two topics and two stances: four labels.
    ops.accept_suggestions(Selection(second, ids=tuple(o.id for o in new)))
    db.session.commit()
    assert suggestions.labels_given(world.government.id, model.created_at) == 4
    (task,) = suggestions.retrain_suggestions_job(utcnow())
    assert task.dedupe_key == f"suggestions-retrain-{world.government.id}-after-v1-1"
    assert suggestions.retrain_suggestions_job(utcnow()) == []


def test_flask_jobs_run_queues_it_and_the_worker_trains(app, monkeypatch, world, labelled):
    from participation.core.jobs import run_due_jobs

    monkeypatch.setitem(app.config, "SUGGESTIONS_RETRAIN_LABELS", 20)
    assert run_due_jobs(utcnow(), owner="cron")["opinions.retrain_suggestions"] == "done"
    assert [t.state for t in _retraining_tasks(world)] == [tasks.TaskState.QUEUED]
    while tasks.run_one():
        pass
    assert suggestions.latest_model(world.government.id).version == 1
    assert [t.state for t in _retraining_tasks(world)] == [tasks.TaskState.DONE]

"""Learned suggestions of topic and stance, per government.

The labels officials gave in a government's consultations train two classifiers
(character n-gram TF-IDF and logistic regression, scikit-learn): one for the topic, by its
name (topics are per consultation, the model per government), one for the stance.
Training runs as the background task ``opinions.train_suggestions``; it keeps the
accuracy on a held-back fifth of the labels, stores the fitted model as a new
:class:`SuggestionModel` version and writes the suggestions, with their confidence, on
the opinions that have no label yet. A suggestion never becomes a label by itself: an
official accepts or changes it (``classification.accept_suggestions``, ``set_topic``).

Officials start a training from the workspace; the periodic job
``opinions.retrain_suggestions`` (hourly) also queues one for every government whose
officials gave at least ``SUGGESTIONS_RETRAIN_LABELS`` labels (default
:data:`RETRAIN_AFTER_LABELS`) since its newest model, counted from the audit log of the
labelling operations. It is level-triggered and idempotent: a government with a training
queued or running is left alone, and the task's dedupe key names the model version and
the step of labels reached, so a missed or repeated run queues each retraining once.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import defer

from participation.accounts.models import Government
from participation.consultations.models import Consultation
from participation.core.audit import AuditEntry
from participation.core.database import writer_turn_on_first_write
from participation.core.jobs import register_job
from participation.core.tasks import Task, TaskState, enqueue, register_task, report_progress
from participation.extensions import db
from participation.opinions.models import Opinion, Stance, Topic
from participation.opinions.workspace_models import SuggestionModel

TASK_KIND = "opinions.train_suggestions"
MIN_LABELS = 10  # fewer labels (or one class only) train nothing
MAX_TRAINING = 50_000  # the most recent labels used
MIN_HELD_BACK = 2  # held-back labels needed to report an accuracy
BATCH = 2000
RETRAIN_AFTER_LABELS = 50  # labels given since the newest model that call for a retraining
# The audited labelling operations, and the keys of their entries that count labels given.
LABEL_ACTIONS = {
    "opinion.topic_set": ("count",),
    "opinion.stance_set": ("count",),
    "opinion.suggestions_accepted": ("topics", "stances"),
}


def _pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline

    # Logistic regression fitted by stochastic gradient descent: probabilities for the
    # confidence, and seconds (not minutes) for tens of thousands of labels.
    return make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True,
                        min_df=1, max_features=200_000),
        SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=30, tol=None, random_state=0))


@dataclass
class Fitted:
    """A fitted classifier and its accuracy on held-back labels (None: too few)."""

    pipeline: Any
    accuracy: float | None
    labels: int


def fit(texts: list[str], labels: list[str], seed: int = 0) -> Fitted | None:
    """Fit one classifier on ``texts`` → ``labels``: its accuracy measured on a held-back
    fifth first, then refitted on every label. None when there is too little to learn."""
    if len(texts) < MIN_LABELS or len(set(labels)) < 2:
        return None
    from sklearn.model_selection import train_test_split

    accuracy = None
    counts = Counter(labels)
    if len(texts) * 0.2 >= MIN_HELD_BACK:
        stratify = labels if min(counts.values()) >= 2 else None
        train_x, test_x, train_y, test_y = train_test_split(
            texts, labels, test_size=0.2, random_state=seed, stratify=stratify)
        if len(set(train_y)) >= 2:
            model = _pipeline().fit(train_x, train_y)
            predicted = model.predict(test_x)
            accuracy = sum(p == t for p, t in zip(predicted, test_y, strict=True)) \
                / len(test_y)
    return Fitted(pipeline=_pipeline().fit(texts, labels), accuracy=accuracy,
                  labels=len(texts))


def _labelled(government_id: int, column) -> tuple[list[str], list[str]]:
    query = sa.select(Opinion.body, column).where(
        Opinion.government_id == government_id, column.is_not(None))
    if column is Topic.name:
        query = query.join(Topic, Topic.id == Opinion.topic_id)
    rows = db.session.execute(query.order_by(Opinion.id.desc()).limit(MAX_TRAINING)).all()
    return [row[0] for row in rows], [getattr(row[1], "value", row[1]) for row in rows]


def train(government_id: int) -> SuggestionModel | None:
    """Train the government's topic and stance classifiers from its officials' labels and
    store them as its next :class:`SuggestionModel` version (flushes). None when neither
    has enough labels."""
    topic = fit(*_labelled(government_id, Topic.name))
    stance = fit(*_labelled(government_id, Opinion.stance))
    if topic is None and stance is None:
        return None
    import joblib

    buffer = io.BytesIO()
    joblib.dump({"topic": topic.pipeline if topic else None,
                 "stance": stance.pipeline if stance else None}, buffer)
    version = (db.session.scalar(sa.select(sa.func.max(SuggestionModel.version)).where(
        SuggestionModel.government_id == government_id)) or 0) + 1
    model = SuggestionModel(
        government_id=government_id, version=version, model_bytes=buffer.getvalue(),
        topic_labels=topic.labels if topic else 0, stance_labels=stance.labels if stance else 0,
        topic_accuracy=topic.accuracy if topic else None,
        stance_accuracy=stance.accuracy if stance else None)
    db.session.add(model)
    db.session.flush()
    return model


_LOADED: dict[int, tuple[int, dict]] = {}  # model id → pipelines (a model never changes)


def latest_model(government_id: int) -> SuggestionModel | None:
    """The government's newest suggestion model, or None (its bytes are loaded only when
    used to predict)."""
    return db.session.scalar(sa.select(SuggestionModel).options(
        defer(SuggestionModel.model_bytes)).where(
        SuggestionModel.government_id == government_id)
        .order_by(SuggestionModel.version.desc()).limit(1))


def _pipelines(model: SuggestionModel) -> dict:
    if model.id not in _LOADED:
        import joblib

        # Written by train() only, never from an upload: loading it runs no foreign code.
        _LOADED.clear()
        _LOADED[model.id] = (model.version, joblib.load(io.BytesIO(model.model_bytes)))
    return _LOADED[model.id][1]


def _best(pipeline, texts: list[str]) -> list[tuple[str, float]]:
    probabilities = pipeline.predict_proba(texts)
    classes = pipeline.classes_
    best = probabilities.argmax(axis=1)
    return [(str(classes[i]), float(probabilities[row, i])) for row, i in enumerate(best)]


def suggest_for_consultation(consultation: Consultation, model: SuggestionModel,
                             task: Task | None = None) -> int:
    """Write the model's suggestions on the consultation's opinions that lack a topic or
    a stance (in batches; with ``task``, committing each with the progress). How many
    opinions got a suggestion."""
    pipelines = _pipelines(model)
    topic_ids = {t.name: t.id for t in db.session.scalars(
        sa.select(Topic).where(Topic.consultation_id == consultation.id))}
    base = sa.select(Opinion.id, Opinion.body, Opinion.topic_id, Opinion.stance).where(
        Opinion.consultation_id == consultation.id,
        sa.or_(Opinion.topic_id.is_(None), Opinion.stance.is_(None)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    done = written = 0
    last = 0
    while True:
        rows = db.session.execute(base.where(Opinion.id > last).order_by(Opinion.id)
                                  .limit(BATCH)).all()
        if not rows:
            break
        texts = [row.body for row in rows]
        topics = _best(pipelines["topic"], texts) \
            if pipelines.get("topic") is not None and topic_ids else [None] * len(rows)
        stances = _best(pipelines["stance"], texts) \
            if pipelines.get("stance") is not None else [None] * len(rows)
        updates = []
        for row, topic, stance in zip(rows, topics, stances, strict=True):
            values: dict[str, Any] = {"id": row.id, "suggestion_version": model.version}
            if row.topic_id is None and topic and topic[0] in topic_ids:
                values.update(suggested_topic_id=topic_ids[topic[0]],
                              suggested_topic_confidence=topic[1])
            else:
                values.update(suggested_topic_id=None, suggested_topic_confidence=None)
            if row.stance is None and stance:
                values.update(suggested_stance=Stance(stance[0]),
                              suggested_stance_confidence=stance[1])
            else:
                values.update(suggested_stance=None, suggested_stance_confidence=None)
            updates.append(values)
        db.session.execute(sa.update(Opinion), updates)
        written += sum(1 for u in updates if u["suggested_topic_id"] or u["suggested_stance"])
        done += len(rows)
        last = rows[-1].id
        if task is not None:
            report_progress(task, done, total)
    db.session.expire_all()
    return written


def training_pending(government_id: int) -> Task | None:
    """The government's queued or running training task, if any."""
    return db.session.scalar(sa.select(Task).where(
        Task.kind == TASK_KIND, Task.government_id == government_id,
        Task.state.in_((TaskState.QUEUED, TaskState.RUNNING))).limit(1))


def request_training(consultation: Consultation, actor=None) -> Task:
    """Queue the retraining of the consultation's government's model (the queued or
    running one when there is one); it then refreshes this consultation's suggestions
    first, and the others of the government after it."""
    pending = training_pending(consultation.government_id)
    if pending is not None:
        return pending
    return enqueue(TASK_KIND, {"government_id": consultation.government_id,
                               "consultation_id": consultation.id},
                   created_by_id=getattr(actor, "id", None),
                   government_id=consultation.government_id)


@register_task(TASK_KIND)
def run_training(task: Task) -> None:
    """The background task: train, then write suggestions in the government's open and
    recent consultations (the requesting one first)."""
    government_id = int(task.payload["government_id"])
    model = train(government_id)
    db.session.commit()
    if model is None:
        return
    first = task.payload.get("consultation_id")
    consultations = list(db.session.scalars(sa.select(Consultation).where(
        Consultation.government_id == government_id).order_by(Consultation.id.desc())))
    consultations.sort(key=lambda c: c.id != first)
    for consultation in consultations:
        suggest_for_consultation(consultation, model, task)
        db.session.commit()


def labels_given(government_id: int, since: datetime | None) -> int:
    """How many labels (a topic or a stance set on an opinion, or a suggestion accepted as
    one) the government's officials gave after ``since`` (None: ever), from the audit
    entries of the labelling operations."""
    query = sa.select(AuditEntry.action, AuditEntry.changes).where(
        AuditEntry.government_id == government_id,
        AuditEntry.action.in_(list(LABEL_ACTIONS)))
    if since is not None:
        query = query.where(AuditEntry.created_at > since)
    total = 0
    for action, changes in db.session.execute(query):
        for key in LABEL_ACTIONS[action]:
            value = (changes or {}).get(key)
            total += value if isinstance(value, int) else 0
    return total


def retraining_due(government_id: int, step: int) -> str | None:
    """The dedupe key of the retraining the government needs now, or None: none is queued
    or running and at least ``step`` labels were given since its newest model."""
    if training_pending(government_id) is not None:
        return None
    model = latest_model(government_id)
    given = labels_given(government_id, model.created_at if model else None)
    if given < step:
        return None
    version = model.version if model else 0
    return f"suggestions-retrain-{government_id}-after-v{version}-{given // step}"


@register_job("opinions.retrain_suggestions", every=timedelta(hours=1))
def retrain_suggestions_job(now: datetime) -> list[Task]:
    """Queue the training of every government with enough new labels since its newest
    model (see the module's docstring); returns the tasks queued by this pass."""
    step = max(1, int(current_app.config.get("SUGGESTIONS_RETRAIN_LABELS",
                                             RETRAIN_AFTER_LABELS)))
    queued = []
    # SQLite: the pass takes the writer turn at its first write, as a request does.
    with writer_turn_on_first_write():
        governments = db.session.scalars(sa.select(Government.id).order_by(Government.id))
        for government_id in governments.all():
            key = retraining_due(government_id, step)
            if key is None:
                continue
            task = enqueue(TASK_KIND, {"government_id": government_id}, dedupe_key=key,
                           government_id=government_id)
            if task.state == TaskState.QUEUED and task.started_at is None:
                queued.append(task)
        db.session.flush()
    return queued

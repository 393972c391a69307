"""Opinions recorded online or by hand are grouped by the worker, not in the request:
the request writes one queue row, `flask jobs worker` groups the queue and empties it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation.extensions import db
from participation.opinions.grouping import incremental
from participation.opinions.grouping.models import GroupingQueueEntry, OpinionFingerprint
from participation.opinions.grouping.queue import group_queued, queued_count
from participation.opinions.models import Opinion, OpinionGroup
from tests import factories
from tests.opinions.test_grouping import CAMPAIGN, OTHER, record


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    return factories.make_consultation(factories.make_decision(catalogue, world.unit))


@pytest.fixture(autouse=True)
def queued(app, monkeypatch):
    monkeypatch.setitem(app.config, "GROUPING_INLINE", False)


def _queued_ids() -> list[int]:
    return list(db.session.scalars(sa.select(GroupingQueueEntry.opinion_id)
                                   .order_by(GroupingQueueEntry.opinion_id)))


def test_recorded_opinions_wait_in_the_queue_until_the_worker_groups_them(consultation):
    first = record(consultation, CAMPAIGN, name="王伟")
    second = record(consultation, CAMPAIGN.replace("，", " ") + "！", name="李娜")
    other = record(consultation, OTHER, name="赵强")
    assert (first.group_id, second.group_id) == (None, None)
    assert _queued_ids() == [first.id, second.id, other.id]
    assert queued_count(consultation.id) == 3

    assert group_queued() == 3
    assert _queued_ids() == []
    for opinion in (first, second, other):
        db.session.refresh(opinion)
    assert first.group_id is not None
    assert first.group_id == second.group_id
    assert other.group_id is None
    assert db.session.get(OpinionGroup, first.group_id).opinion_count == 2
    assert group_queued() == 0


def test_an_online_opinion_is_queued_and_grouped_by_flask_jobs_worker(client, runner,
                                                                       consultation):
    earlier = record(consultation, CAMPAIGN, name="王伟")
    group_queued()
    response = client.post(f"/consultations/{consultation.id}/opinions/new", data={
        "body": CAMPAIGN + "请尽快落实。", "node_id": "0", "consent_to_publish": "y",
        "submission_key": "queued-1"})
    assert response.status_code == 302
    online = db.session.scalar(sa.select(Opinion).where(Opinion.submission_key == "queued-1"))
    assert online.group_id is None
    assert _queued_ids() == [online.id]

    result = runner.invoke(args=["jobs", "worker", "--once"])
    assert result.exit_code == 0, result.output
    db.session.refresh(online)
    db.session.refresh(earlier)
    assert online.group_id is not None
    assert online.group_id == earlier.group_id
    assert _queued_ids() == []


def test_an_opinion_already_grouped_by_a_full_regrouping_is_not_grouped_twice(consultation):
    first = record(consultation, CAMPAIGN, name="王伟")
    incremental.group_opinion(first)  # as a full regrouping would, before the worker
    assert group_queued() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpinionFingerprint)
                             .where(OpinionFingerprint.opinion_id == first.id)) == 1


def test_one_opinion_that_cannot_be_grouped_does_not_hold_up_the_others(consultation,
                                                                         monkeypatch):
    broken = record(consultation, OTHER, name="赵强")
    fine = record(consultation, CAMPAIGN, name="王伟")
    real = incremental.group_opinion

    def group_or_fail(opinion):
        if opinion.id == broken.id:
            raise RuntimeError("broken")
        return real(opinion)

    monkeypatch.setattr(incremental, "group_opinion", group_or_fail)
    assert group_queued() == 2
    assert _queued_ids() == []
    assert db.session.get(OpinionFingerprint, fine.id) is not None
    assert db.session.get(OpinionFingerprint, broken.id) is None

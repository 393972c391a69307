"""A closed consultation stays closed: no extension, no usable form, no open channels."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.catalogue.models import Stage
from participation.catalogue.operations import move_to_stage
from participation.consultations.models import Consultation
from participation.core.audit import AuditEntry
from participation.core.timeutil import utc_to_local
from participation.extensions import db
from tests import factories
from tests.conftest import login


@pytest.fixture
def decision(world):
    catalogue = factories.make_catalogue(world.government)
    return factories.make_decision(catalogue, world.unit, title="农村生活垃圾分类管理办法")


def _extend(client, consultation, days: int = 20):
    later = utc_to_local(consultation.closes_at + timedelta(days=days))
    return client.post(f"/admin/consultations/{consultation.id}/extend",
                       data={"closes_at": later.strftime("%Y-%m-%dT%H:%M")},
                       follow_redirects=True)


@pytest.mark.parametrize("moved_on", [False, True])
def test_extending_a_closed_consultation_is_refused(client, world, decision, moved_on):
    consultation = factories.make_consultation(decision)
    factories.close(consultation)
    if moved_on:
        move_to_stage(decision, Stage.EXPERT_REVIEW)
        db.session.commit()
    closes_at = consultation.closes_at
    login(client, world.approver)
    page = _extend(client, consultation, days=60).get_data(as_text=True)
    assert "已结束的征求意见不能延期" in page
    db.session.expire_all()
    stored = db.session.get(Consultation, consultation.id)
    assert stored.closes_at == closes_at
    assert stored.status.value == "closed"
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "consultation.extended")) == 0


def test_an_open_consultation_can_still_be_extended(client, world, decision):
    consultation = factories.make_consultation(decision)
    closes_at = consultation.closes_at
    login(client, world.approver)
    page = _extend(client, consultation).get_data(as_text=True)
    assert "已结束的征求意见不能延期" not in page
    db.session.expire_all()
    assert db.session.get(Consultation, consultation.id).closes_at > closes_at


def test_a_closed_consultation_shows_when_it_closed_and_no_open_channels(client, decision):
    consultation = factories.make_consultation(decision, hotline="12345-8", email="zx@example.cn")
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "12345-8" in page  # open: the channels are listed
    factories.close(consultation)
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "征求意见已结束" in page
    assert "本次征求意见已于" in page
    assert "12345-8" not in page
    assert "zx@example.cn" not in page
    assert f"/consultations/{consultation.id}/opinions/new" not in page


def test_the_form_of_a_closed_consultation_has_no_fields(client, decision):
    consultation = factories.make_consultation(decision)
    page = client.get(f"/consultations/{consultation.id}/opinions/new").get_data(as_text=True)
    assert 'id="opinion-form"' in page
    factories.close(consultation)
    response = client.get(f"/consultations/{consultation.id}/opinions/new")
    page = response.get_data(as_text=True)
    assert "本次征求意见已于" in page
    assert 'id="opinion-form"' not in page
    assert 'name="body"' not in page
    response = client.post(f"/consultations/{consultation.id}/opinions/new",
                           data={"body": "我的意见是这样的。", "submission_key": "k1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'name="body"' not in page
    assert "您填写的内容未保存" in page
    assert "我的意见是这样的。" in page  # shown to copy, not in a field

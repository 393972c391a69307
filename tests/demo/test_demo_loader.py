"""The demo town loads through the operations and shows every part of the platform."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation.accounts.models import Membership, Role, Unit
from participation.catalogue.models import Decision, Stage
from participation.consultations.models import Consultation, DraftNode
from participation.core.database import utcnow
from participation.demo import loader
from participation.extensions import db
from participation.opinions.models import Channel, Opinion, SubmitterKind
from tests import factories


@pytest.fixture
def demo(app):
    accounts = loader.load_demo()
    db.session.commit()
    return accounts


def test_the_demo_has_what_the_issue_asks_for(demo):
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) >= 6
    stages = set(db.session.scalars(sa.select(Decision.stage)))
    assert stages == set(Stage)
    roles = set(db.session.scalars(sa.select(Membership.role)))
    assert roles == set(Role)
    now = utcnow()
    open_now = db.session.scalars(sa.select(Consultation).where(
        Consultation.is_open_at(now))).all()
    assert len(open_now) == 1
    articles = db.session.scalar(sa.select(sa.func.count(DraftNode.id)).where(
        DraftNode.version_id == open_now[0].draft_version_id, DraftNode.kind == "article"))
    assert articles >= 30
    closed = db.session.scalars(sa.select(Consultation).where(
        Consultation.closes_at < now)).one()
    assert closed.opinion_count >= 300
    channels = set(db.session.scalars(sa.select(Opinion.channel).where(
        Opinion.consultation_id == closed.id)))
    assert len(channels) >= 8
    counted = db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.consultation_id == closed.id))
    assert counted == closed.opinion_count
    # Enterprises and a trade association spoke at the symposiums (seed 003, task 18).
    kinds = set(db.session.scalars(sa.select(Opinion.submitter_kind).where(
        Opinion.consultation_id == closed.id, Opinion.channel == Channel.SYMPOSIUM)))
    assert {SubmitterKind.ENTERPRISE, SubmitterKind.TRADE_ASSOCIATION} <= kinds
    factories.assert_counters_agree()
    assert "approver@qinghe.example.gov.cn" in demo


def test_the_demo_pages_render(client, demo):
    assert client.get("/").status_code == 200
    catalogue = client.get("/catalogue").get_data(as_text=True)
    assert "青禾镇" in catalogue
    assert "应急物资储备库" not in catalogue  # the confidential entry
    for decision_id in db.session.scalars(sa.select(Decision.id).where(
            Decision.confidential.is_(False))):
        assert client.get(f"/decisions/{decision_id}").status_code == 200
    for consultation in db.session.scalars(sa.select(Consultation)):
        assert client.get(f"/consultations/{consultation.id}").status_code == 200
        assert client.get(f"/consultations/{consultation.id}/opinions").status_code == 200
    closed = db.session.scalars(sa.select(Consultation).where(
        Consultation.closes_at < utcnow())).one()
    compare = client.get(f"/consultations/{closed.id}/compare").get_data(as_text=True)
    assert "diff-added" in compare
    assert "diff-removed" in compare
    history = client.get("/catalogue/history").get_data(as_text=True)
    assert history.count('<li>') >= 3


def test_demo_load_command_leaves_existing_data_alone(runner, demo):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert "admin@qinghe.example.gov.cn" in result.output  # the accounts are shown again
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == len(
        loader.content.UNITS)

"""Personal data and visibility on every surface that shows an opinion."""

from __future__ import annotations

from participation.catalogue import operations as catalogue_ops
from participation.extensions import db
from participation.opinions import operations
from tests import factories
from tests.conftest import login

PHONE = "13912345678"


def _opinion(consultation, author=None, **overrides):
    values = {"body": f"请联系我，电话{PHONE}，希望延长开放时间。", "node_id": None,
              "consent_to_publish": True, "display_name": f"张三{PHONE}",
              "contact": None, "submission_key": f"p-{overrides.get('key', 1)}",
              "author": author}
    overrides.pop("key", None)
    values.update(overrides)
    opinion, _ = operations.submit_online(consultation, **values)
    db.session.commit()
    return opinion


def test_names_and_bodies_are_masked_on_the_public_list_and_in_the_api(client, world):
    catalogue = factories.make_catalogue(world.government)
    consultation = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    _opinion(consultation)
    page = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    api = client.get(f"/api/v1/consultations/{consultation.id}/opinions").get_data(
        as_text=True)
    for text in (page, api):
        assert PHONE not in text
        assert "139****5678" in text
    assert "张三139****5678" in page


def test_my_opinions_masks_like_the_receipt(client, world):
    catalogue = factories.make_catalogue(world.government)
    consultation = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    opinion = _opinion(consultation, author=world.citizen)
    login(client, world.citizen)
    mine = client.get("/my/opinions").get_data(as_text=True)
    receipt = client.get(f"/receipts/{opinion.receipt_number}").get_data(as_text=True)
    for text in (mine, receipt):
        assert PHONE not in text
        assert "139****5678" in text


def test_my_opinions_hides_the_title_of_a_decision_made_confidential(client, world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit, title="应急物资储备库选址方案")
    consultation = factories.make_consultation(decision)
    _opinion(consultation, author=world.citizen)
    values = factories.decision_values(world.unit, title=decision.title, confidential=True)
    catalogue_ops.adjust_decision(decision, values, "依法应当保密")
    db.session.commit()
    login(client, world.citizen)
    mine = client.get("/my/opinions").get_data(as_text=True)
    assert consultation.title not in mine
    assert decision.title not in mine
    assert "希望延长开放时间" in mine  # the person still sees their own words

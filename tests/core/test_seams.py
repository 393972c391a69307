"""The seams the domains plug into: one commit per request, signals instead of upward
imports, one visibility rule, the dashboard assembled from domain sections."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from flask import flash, get_flashed_messages

from participation.catalogue import operations as catalogue_ops
from participation.catalogue.models import Decision
from participation.core import signals
from participation.core.errors import DomainError
from participation.core.transaction import after_commit, perform
from participation.dossier import operations as dossier_ops
from participation.dossier.models import Document
from participation.extensions import db
from tests import factories
from tests.conftest import login


class _Refused(DomainError):
    messages = {"no": "refused for the test"}


def test_perform_commits_and_runs_after_commit_callbacks_only_on_success(app, world):
    sent: list[str] = []

    def succeeds():
        after_commit(lambda: sent.append("mail"))
        return world.government.name

    def refuses():
        after_commit(lambda: sent.append("never"))
        raise _Refused("no")

    with app.test_request_context("/", method="POST"):
        done = perform(succeeds, success="saved")
        assert done
        assert done.value == world.government.name
        refused = perform(refuses)
        assert not refused
        assert refused.error.code == "no"
        messages = get_flashed_messages(with_categories=True)
    assert sent == ["mail"]
    assert ("success", "saved") in messages
    assert ("error", "refused for the test") in messages


def test_perform_rolls_back_what_a_refused_operation_changed(app, world):
    def renames_then_refuses():
        world.government.name = "改了又撤销"
        db.session.flush()
        raise _Refused("no", field="name")

    class Form:
        form_errors: list[str] = []

        class name:  # noqa: N801 - a field stand-in
            errors: list[str] = []

    with app.test_request_context("/", method="POST"):
        perform(renames_then_refuses, form=Form)
        flash("x")
    db.session.expire_all()
    assert world.government.name != "改了又撤销"
    assert Form.name.errors == ["refused for the test"]


def test_stage_rules_of_other_domains_arrive_through_the_signal(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    seen = []

    def receiver(sender, to_stage):
        seen.append((sender, to_stage))

    signals.decision_stage_checked.connect(receiver)
    try:
        factories.make_consultation(decision)  # open: the consultations domain refuses
        with pytest.raises(catalogue_ops.StageError) as refused:
            catalogue_ops.check_stage_move(decision, catalogue_ops.Stage.EXPERT_REVIEW)
    finally:
        signals.decision_stage_checked.disconnect(receiver)
    assert refused.value.code == "consultation_open"
    assert seen
    assert seen[0][0] is decision


def test_deleting_an_account_anonymises_opinions_through_the_signal(client, world):
    catalogue = factories.make_catalogue(world.government)
    consultation = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    login(client, world.citizen)
    client.get(f"/consultations/{consultation.id}/opinions/new")
    client.post(f"/consultations/{consultation.id}/opinions/new", data={
        "body": "希望增加公交班次。", "node_id": 0, "consent_to_publish": "y",
        "display_name": "王秀兰", "contact": "13800001111", "submission_key": "del-1"})
    response = client.post("/account/delete", data={"password": "correct-horse-battery",
                                                     "confirm": "y"})
    assert response.status_code == 302
    from participation.opinions.models import Opinion

    row = db.session.scalar(sa.select(Opinion).where(Opinion.consultation_id == consultation.id))
    assert (row.author_id, row.display_name, row.contact) == (None, None, None)


def test_one_rule_decides_which_decisions_and_documents_are_public(world):
    catalogue = factories.make_catalogue(world.government)
    listed = factories.make_decision(catalogue, world.unit, title="公开事项")
    secret = factories.make_decision(catalogue, world.unit, title="保密事项", confidential=True)
    withdrawn = factories.make_decision(catalogue, world.unit, title="撤回事项")
    catalogue_ops.withdraw_decision(withdrawn, "调整计划")
    draft = factories.make_catalogue(world.government, year=2027, published=False)
    unpublished = factories.make_decision(draft, world.unit, title="未公布目录的事项")
    for decision in (listed, secret, withdrawn, unpublished):
        document = dossier_ops.create_document(decision, {"kind": "background",
                                                          "title": "背景", "body_html": "x"})
        dossier_ops.publish_document(document)
    db.session.flush()

    # Python and SQL agree, for the visible and for the listed.
    public_sql = set(db.session.scalars(sa.select(Decision.id).where(Decision.is_public)))
    listed_sql = set(db.session.scalars(sa.select(Decision.id).where(Decision.is_listed)))
    for decision in (listed, secret, withdrawn, unpublished):
        assert (decision.id in public_sql) == decision.is_public
        assert (decision.id in listed_sql) == decision.is_listed
    assert public_sql >= {listed.id, withdrawn.id}
    assert not public_sql & {secret.id, unpublished.id}
    assert withdrawn.id not in listed_sql
    documents = set(db.session.scalars(sa.select(Document.decision_id)
                                       .where(Document.is_public)))
    assert documents == {d.id for d in (listed, withdrawn)}


def test_the_catalogue_admin_page_hides_other_units_confidential_entries(client, world):
    catalogue = factories.make_catalogue(world.government, published=False)
    factories.make_decision(catalogue, world.unit, title="本单位保密事项", confidential=True)
    factories.make_decision(catalogue, world.other_unit, title="公开事项甲")
    catalogue_ops.publish_catalogue(catalogue, date(2026, 2, 1))
    db.session.commit()
    login(client, world.other_approver)
    page = client.get(f"/admin/catalogues/{catalogue.id}").get_data(as_text=True)
    assert "公开事项甲" in page
    assert "本单位保密事项" not in page
    client.post("/logout")
    login(client, world.editor)
    assert "本单位保密事项" in client.get(f"/admin/catalogues/{catalogue.id}").get_data(
        as_text=True)


def test_the_dashboard_lists_open_consultations_with_counts_and_import_link(client, world):
    catalogue = factories.make_catalogue(world.government)
    consultation = factories.make_consultation(
        factories.make_decision(catalogue, world.unit, title="垃圾分类办法"))
    other = factories.make_consultation(
        factories.make_decision(catalogue, world.other_unit, title="农贸市场方案"))
    db.session.commit()
    login(client, world.moderator)
    page = client.get("/admin/").get_data(as_text=True)
    assert f"/admin/consultations/{consultation.id}/opinions/import" in page
    assert f"/admin/consultations/{other.id}\"" not in page


def test_the_default_government_setting_chooses_the_home_page(app, client, world):
    second = factories.make_government(slug="second", name="第二镇人民政府")
    db.session.commit()
    app.config["DEFAULT_GOVERNMENT"] = "second"
    try:
        page = client.get("/").get_data(as_text=True)
    finally:
        app.config["DEFAULT_GOVERNMENT"] = None
    assert second.name in page
    assert world.government.name not in client.get("/?government=second").get_data(
        as_text=True)


@pytest.mark.parametrize("path", ["/decisions/9223372036854775808", "/decisions/2147483648",
                                  "/api/v1/consultations/99999999999999999999",
                                  "/admin/decisions/99999999999"])
def test_ids_no_row_can_have_are_not_found(client, path):
    assert client.get(path).status_code == 404

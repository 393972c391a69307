"""A revision starts from the current text and needs a change note."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation.consultations import operations as consultation_ops
from participation.consultations.models import DraftVersion, SourceKind
from participation.consultations.operations import ConsultationError
from participation.extensions import db
from tests import factories
from tests.conftest import login


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def test_the_revision_form_starts_from_the_current_text(client, world, consultation):
    login(client, world.approver)
    page = client.get(f"/admin/consultations/{consultation.id}").get_data(as_text=True)
    textarea = page[page.index('name="text"'):page.index("</textarea>", page.index('name="text"'))]
    assert "第三条　测试单位应当遵守下列规定：" in textarea
    assert "第五条　本办法自发布之日起施行。" in textarea


def test_a_revision_without_a_change_note_is_refused_beside_the_field(client, world,
                                                                      consultation):
    login(client, world.approver)
    revised = factories.LEGAL_DRAFT.replace("按时报告", "每月报告")
    response = client.post(f"/admin/consultations/{consultation.id}/revisions",
                           data={"text": revised, "change_note": "  "},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = page[page.index('id="change_note-error"'):]
    assert "请说明与上一版相比修改了哪些内容" in error[:200]
    assert "每月报告" in page  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count(DraftVersion.id))) == 1
    response = client.post(f"/admin/consultations/{consultation.id}/revisions",
                           data={"text": revised, "change_note": "第三条改为每月报告"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(DraftVersion.id))) == 2


def test_the_operation_refuses_a_revision_without_a_note(consultation):
    with pytest.raises(ConsultationError) as caught:
        consultation_ops.publish_revision(consultation, factories.LEGAL_DRAFT,
                                          SourceKind.PASTED, "")
    assert caught.value.code == "change_note_required"

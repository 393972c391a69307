"""Personal data in opinions: detected when written (every channel), the public body
stored masked, officials see the original and what was found."""

from __future__ import annotations

import importlib.util
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions.models import Opinion
from tests import factories
from tests.conftest import login

RECEIPT = re.compile(r"[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}")
BODY = "我叫王小明，电话１３９ １２３４ ５６７８，身份证110101199003071233，请回复。第12条。"
PUBLIC = "我叫王小明，电话139****5678，身份证1101**********1233，请回复。第12条。"


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def _only_opinion() -> Opinion:
    return db.session.scalar(sa.select(Opinion))


def _assert_stored(opinion: Opinion) -> None:
    db.session.expire(opinion)
    assert opinion.body == BODY
    assert opinion.public_body == PUBLIC
    assert opinion.pii_findings["masked"] == {"mobile": 1, "id_number": 1}
    assert opinion.pii_findings["possible"] == ["name"]


def test_an_online_opinion_stores_its_public_body_and_the_receipt_shows_it(client,
                                                                             consultation):
    response = client.post(f"/consultations/{consultation.id}/opinions/new", data={
        "body": BODY, "node_id": "0", "consent_to_publish": "y",
        "display_name": "张三13912345678", "submission_key": "pii-1"})
    assert response.status_code == 302
    opinion = _only_opinion()
    _assert_stored(opinion)
    assert opinion.public_name == "张三139****5678"
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "139****5678" in receipt
    assert "1234" not in receipt.replace("**********1233", "")
    listed = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    assert "1101**********1233" in listed
    assert "110101199003071233" not in listed
    api = client.get(f"/api/v1/consultations/{consultation.id}/opinions").get_json()
    assert api["items"][0]["body"] == PUBLIC
    assert api["items"][0]["name"] == "张三139****5678"


def test_an_offline_record_stores_its_public_body(client, consultation, world):
    login(client, world.moderator)
    received = (utcnow() + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/admin/consultations/{consultation.id}/opinions/new", data={
        "channel": "hotline", "reference": "12345-2026009", "received_at": received,
        "node_id": "0", "body": BODY, "display_name": "", "contact": "13800000000"})
    assert response.status_code == 302
    opinion = _only_opinion()
    _assert_stored(opinion)
    assert opinion.public_name is None


def test_an_imported_opinion_stores_its_public_body(client, consultation, world):
    login(client, world.editor)
    content = ("reference,channel,received_at,article,body,name\n"
               f"12345-9,热线,2026-03-02 10:00,,{BODY},李四 0739-5550128\n")
    response = factories.import_through_page(client, consultation, content.encode("gbk"),
                                             "o.csv")
    assert response.status_code == 200
    opinion = _only_opinion()
    _assert_stored(opinion)
    assert opinion.public_name == "李四 0739-****0128"


def test_an_opinion_without_personal_data_is_stored_once_and_shown_as_written(
        client, consultation, world):
    plain = "建议把公示期延长到三十天，并在村务公开栏同步张贴。"
    client.post(f"/consultations/{consultation.id}/opinions/new", data={
        "body": plain, "node_id": "0", "consent_to_publish": "y",
        "submission_key": "plain-1"})
    login(client, world.editor)
    content = ("reference,channel,received_at,article,body,consent\n"
               f"12345-10,热线,2026-03-02 10:00,,{plain}再补充一句。,是\n")
    factories.import_through_page(client, consultation, content.encode("gbk"), "p.csv")
    rows = db.session.scalars(sa.select(Opinion).order_by(Opinion.id)).all()
    assert [o.public_body for o in rows] == [None, None]  # no second copy of the text
    assert all(o.pii_findings["masked"] == {} for o in rows)
    assert [o.shown_body for o in rows] == [plain, plain + "再补充一句。"]
    listed = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    assert plain in listed
    assert plain + "再补充一句。" in listed
    api = client.get(f"/api/v1/consultations/{consultation.id}/opinions").get_json()
    assert sorted(item["body"] for item in api["items"]) == [plain, plain + "再补充一句。"]


def test_officials_see_the_original_and_what_was_found(client, consultation, world):
    client.post(f"/consultations/{consultation.id}/opinions/new", data={
        "body": BODY, "node_id": "0", "consent_to_publish": "y", "submission_key": "pii-2"})
    opinion = _only_opinion()
    login(client, world.moderator)
    page = client.get(f"/admin/opinions/{opinion.id}").get_data(as_text=True)
    assert "手机号码 1处，身份证号 1处；可能包含姓名" in page
    assert "１３９ １２３４ ５６７８" in page  # the text as received
    assert "139****5678" in page  # and as shown publicly


def test_public_pages_show_the_stored_body_and_mask_old_rows_on_the_fly(client,
                                                                        consultation):
    client.post(f"/consultations/{consultation.id}/opinions/new", data={
        "body": "意见一：请致电13912345678。", "node_id": "0", "consent_to_publish": "y",
        "submission_key": "pii-3"})
    opinion = _only_opinion()
    # What the public sees is the stored body, whatever the original says.
    opinion.public_body = "意见一：（已由管理员处理的公开文本）"
    db.session.flush()
    listed = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    assert "已由管理员处理的公开文本" in listed
    # A row written before detection (no stored body) is masked when shown.
    opinion.public_body = None
    opinion.pii_findings = None
    db.session.flush()
    listed = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    assert "139****5678" in listed
    assert "13912345678" not in listed


def _migration():
    path = next(Path("participation/migrations/versions").glob("*_pii.py"))
    spec = importlib.util.spec_from_file_location("pii_revision", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_backfills_existing_rows(client, consultation):
    for index in range(3):
        client.post(f"/consultations/{consultation.id}/opinions/new", data={
            "body": f"第{index}条意见，电话13912345678，邮箱li{index}@example.com。",
            "node_id": "0", "consent_to_publish": "y", "display_name": "赵六",
            "submission_key": f"bf-{index}"})
    db.session.execute(sa.update(Opinion).values(public_body=None, public_name=None,
                                                 pii_findings=None))
    migration = _migration()
    migration.CHUNK = 2  # several chunks
    assert migration.backfill(db.session.connection()) == 3
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Opinion).order_by(Opinion.id)).all()
    assert [o.public_body for o in rows] == [
        f"第{index}条意见，电话139****5678，邮箱l***@example.com。" for index in range(3)]
    assert all(o.public_name == "赵六" for o in rows)
    assert all(o.pii_findings["masked"] == {"mobile": 1, "email": 1} for o in rows)
    assert migration.backfill(db.session.connection()) == 0

"""Registration with a code, sign-in and throttling, logout, deleting an account,
administration of units and officials, and `flask users create-admin`."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation import create_app
from participation.accounts.models import Membership, Role, Unit, User
from participation.core.audit import AuditEntry
from participation.extensions import db
from participation.opinions import operations as opinion_ops
from participation.opinions.models import Opinion
from tests import factories
from tests.conftest import PASSWORD, login, make_config
from tests.factories import last_code


def test_a_citizen_registers_with_a_mobile_number_and_code(client):
    response = client.post("/register", data={
        "identifier": "139 0000 1234", "display_name": "赵女士", "password": "long-password",
        "password_confirm": "long-password"})
    assert response.status_code == 302
    destination, code = last_code()
    assert destination == "13900001234"
    wrong = client.post("/register/verify", data={"code": "000000" if code != "000000"
                                                  else "111111"})
    assert wrong.status_code == 200
    assert 'id="code-error"' in wrong.get_data(as_text=True)
    assert client.post("/register/verify", data={"code": code}).status_code == 302
    user = db.session.scalar(sa.select(User).where(User.mobile == "13900001234"))
    assert user.display_name == "赵女士"
    assert not user.is_official
    assert "赵女士" in client.get("/account").get_data(as_text=True)


def test_registration_refuses_taken_and_malformed_identifiers(client, world):
    response = client.post("/register", data={
        "identifier": world.citizen.mobile, "display_name": "x", "password": "long-password",
        "password_confirm": "long-password"})
    assert 'id="identifier-error"' in response.get_data(as_text=True)
    response = client.post("/register", data={
        "identifier": "12345", "display_name": "x", "password": "long-password",
        "password_confirm": "long-password"})
    assert 'id="identifier-error"' in response.get_data(as_text=True)


def test_wrong_passwords_are_refused_without_saying_which_part(client, world):
    response = client.post("/login", data={"identifier": world.citizen.mobile,
                                           "password": "wrong"})
    assert response.status_code == 200
    response_unknown = client.post("/login", data={"identifier": "13012345678",
                                                   "password": "wrong"})
    assert response.get_data(as_text=True).count('id="password-error"') == 1
    assert 'id="password-error"' in response_unknown.get_data(as_text=True)


def test_login_redirects_only_to_this_site(client, world):
    response = client.post("/login", data={"identifier": world.citizen.mobile,
                                           "password": PASSWORD,
                                           "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_logout_is_post_only(client, world):
    login(client, world.citizen)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


@pytest.mark.no_db_transaction
def test_login_throttling_is_shared_through_the_database(tmp_path):
    """Two app instances (two workers) share the counter kept in the database."""
    url = f"sqlite:///{tmp_path / 'throttle.sqlite3'}"
    config = make_config(url, tmp_path, RATELIMIT_STORAGE_URI="participation+sql://",
                         LOGIN_RATE_LIMIT="3 per minute")
    first, second = create_app(config), create_app(config)
    with first.app_context():
        from flask_migrate import upgrade

        upgrade()
    clients = [first.test_client(), second.test_client()]
    statuses = [clients[i % 2].post("/login", data={"identifier": "13900000000",
                                                     "password": "wrong"}).status_code
                for i in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    with first.app_context():
        db.engine.dispose()
    with second.app_context():
        db.engine.dispose()


def test_deleting_an_account_keeps_opinions_without_the_name(client, world):
    catalogue = factories.make_catalogue(world.government)
    consultation = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    opinion, _ = opinion_ops.submit_online(
        consultation, body="注销前提交的意见，应当保留。", node_id=None, consent_to_publish=True,
        display_name=world.citizen.display_name, contact="13900000000", submission_key="d1",
        author=world.citizen)
    db.session.commit()
    login(client, world.citizen)
    response = client.post("/account/delete", data={"password": "wrong", "confirm": "y"})
    assert response.status_code == 400
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    opinion = db.session.get(Opinion, opinion.id)
    assert opinion.body == "注销前提交的意见，应当保留。"
    assert opinion.author_id is None
    assert opinion.display_name is None
    assert opinion.contact is None
    factories.assert_counters_agree()
    user = db.session.get(User, world.citizen.id)
    assert user.mobile is None
    assert user.password_hash is None
    assert not user.is_active
    assert client.get("/account").status_code == 302


def test_administrators_manage_units_and_officials(client, world):
    login(client, world.admin)
    gov = world.government.id
    response = client.post(f"/admin/governments/{gov}/units",
                           data={"name": "应急管理办公室", "parent_id": "0"})
    assert response.status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.name == "应急管理办公室"))
    again = client.post(f"/admin/governments/{gov}/units",
                        data={"name": "应急管理办公室", "parent_id": "0"})
    assert 'id="name-error"' in again.get_data(as_text=True)
    response = client.post(f"/admin/units/{world.unit.id}",
                           data={"name": world.unit.name, "parent_id": str(world.sub_unit.id)})
    assert 'id="parent_id-error"' in response.get_data(as_text=True)  # a cycle
    response = client.post(f"/admin/governments/{gov}/officials/new", data={
        "email": "new.editor@example.gov.cn", "display_name": "新编辑", "password": "long-password",
        "role": "editor", "unit_id": str(unit.id)})
    assert response.status_code == 302
    official = db.session.scalar(sa.select(User).where(User.email == "new.editor@example.gov.cn"))
    assert official.has_role({Role.EDITOR}, unit=unit)
    membership = official.memberships[0]
    assert client.post(f"/admin/memberships/{membership.id}/revoke").status_code == 302
    assert db.session.get(Membership, membership.id) is None
    audit = client.get(f"/admin/governments/{gov}/audit").get_data(as_text=True)
    for action in ("unit.created", "official.created", "official.role_revoked"):
        assert action in audit


def test_the_last_administrator_cannot_be_removed(client, world):
    login(client, world.admin)
    membership = world.admin.memberships[0]
    client.post(f"/admin/memberships/{membership.id}/revoke")
    assert db.session.get(Membership, membership.id) is not None


def test_create_admin_command(runner):
    result = runner.invoke(args=["users", "create-admin", "--government", "newtown",
                                 "--government-name", "新镇人民政府", "--email",
                                 "chief@example.gov.cn", "--name", "管理员",
                                 "--password", "long-password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "chief@example.gov.cn"))
    assert user.memberships[0].role == Role.ADMINISTRATOR
    result = runner.invoke(args=["users", "create-admin", "--government", "nowhere",
                                 "--email", "x@example.gov.cn", "--name", "x",
                                 "--password", "long-password"])
    assert result.exit_code != 0
    assert "--government-name" in result.output
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) >= 2

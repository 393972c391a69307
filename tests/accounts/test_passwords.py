"""Passwords: common and guessable ones are refused; sign-in costs the same without an
account, whatever the hash method."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation.accounts import operations
from participation.accounts.models import User, VerificationCode
from participation.core.outbox import CONSOLE_SENT
from participation.extensions import db
from tests.conftest import PASSWORD, login

GUESSABLE = "太容易被猜到"  # part of the Chinese message beside the field


@pytest.mark.parametrize("password", ["12345678", "password", "aaaaaaaa", "qwertyuiop",
                                      "13900004321", "1qaz2wsx"])
def test_registration_refuses_common_passwords_beside_the_field(client, password):
    sent = len(CONSOLE_SENT)
    response = client.post("/register", data={
        "identifier": "13900004321", "display_name": "王先生", "password": password,
        "password_confirm": password})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="password-error"' in page
    assert GUESSABLE in page
    assert len(CONSOLE_SENT) == sent  # no code sent
    assert db.session.scalar(sa.select(sa.func.count(VerificationCode.id))) == 0


def test_registration_accepts_a_password_that_is_hard_to_guess(client):
    response = client.post("/register", data={
        "identifier": "13900004321", "display_name": "王先生",
        "password": "青禾 river stone 42", "password_confirm": "青禾 river stone 42"})
    assert response.status_code == 302


def test_a_new_password_must_not_be_common_either(client, world):
    login(client, world.citizen)
    response = client.post("/account/password", data={"current_password": PASSWORD,
                                                      "new_password": "password1"})
    assert response.status_code == 400
    assert GUESSABLE in response.get_data(as_text=True)
    user = db.session.get(User, world.citizen.id)
    assert operations.check_password_hash(user.password_hash, PASSWORD)


def test_an_unknown_account_is_checked_against_a_hash_of_the_configured_method(
        app, monkeypatch, world):
    checked: list[str] = []
    real = operations.check_password_hash

    def spy(stored: str, password: str) -> bool:
        checked.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(operations, "check_password_hash", spy)
    for method in ("pbkdf2:sha256:1000", "pbkdf2:sha256:2000", "scrypt:1024:8:1"):
        monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", method)
        with app.test_request_context():
            with pytest.raises(operations.AccountError):
                operations.authenticate("13012345678", "whatever-password")
        assert checked[-1] == method
    with app.test_request_context():
        with pytest.raises(operations.AccountError):
            operations.authenticate(world.citizen.mobile, "wrong")
    assert checked[-1] == "pbkdf2:sha256:1000"  # the account's own hash

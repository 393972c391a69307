"""Sign-out, password change and account deletion end every session and remember token."""

from __future__ import annotations

import pytest

from participation.accounts.models import User
from participation.extensions import db
from tests.conftest import PASSWORD


def _sign_in(client, user, remember: bool = True) -> dict[str, str]:
    response = client.post("/login", data={"identifier": user.email or user.mobile,
                                           "password": PASSWORD,
                                           "remember": "y" if remember else ""})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name) is not None}


def _replay(app, cookies: dict[str, str], only: str | None = None) -> int:
    thief = app.test_client()
    for name, value in cookies.items():
        if only is None or name == only:
            thief.set_cookie(name, value)
    return thief.get("/account").status_code


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_signing_out_makes_saved_cookies_useless(app, client, world, cookie):
    saved = _sign_in(client, world.citizen)
    assert "remember_token" in saved
    assert _replay(app, saved, only=cookie) == 200  # the saved cookie works before
    assert client.post("/logout").status_code == 302
    assert _replay(app, saved, only=cookie) == 302  # sent to the sign-in page


def test_signing_out_on_one_device_signs_out_the_others(app, client, world):
    other_device = app.test_client()
    _sign_in(other_device, world.citizen)
    _sign_in(client, world.citizen)
    client.post("/logout")
    assert other_device.get("/account").status_code == 302


def test_changing_the_password_ends_other_sessions_but_not_this_one(app, client, world):
    saved = _sign_in(client, world.citizen)
    response = client.post("/account/password", data={"current_password": PASSWORD,
                                                      "new_password": "a-much-longer-secret"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert _replay(app, saved, only="session") == 302
    assert _replay(app, saved, only="remember_token") == 302


def test_deleting_the_account_ends_saved_remember_tokens(app, client, world):
    saved = _sign_in(client, world.citizen)
    client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert db.session.get(User, world.citizen.id).deleted_at is not None
    assert _replay(app, saved) == 302

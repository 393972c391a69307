"""Registration says where the code went and sends a new one after a wait; the new code
replaces the old one, and resending counts against the verification limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from participation import create_app
from participation.accounts.models import User
from participation.core.outbox import CONSOLE_SENT
from participation.extensions import db, limiter
from tests.conftest import make_config, scratch_database_url
from tests.factories import last_code

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "青禾 river stone 42"


def _register(client, identifier: str = "138 0000 1001"):
    response = client.post("/register", data={
        "identifier": identifier, "display_name": "孙女士", "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return last_code()[1]


def _other(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_the_code_page_says_where_the_code_was_sent(client):
    with time_machine.travel(START, tick=False):
        _register(client)
        page = client.get("/register/verify").get_data(as_text=True)
    assert "验证码已发送至138****1001" in page
    assert "13800001001" not in page
    assert "重新发送验证码" in page


def test_an_e_mail_destination_is_masked_too(client):
    _register(client, "Zhang.Lan@Example.com")
    page = client.get("/register/verify").get_data(as_text=True)
    assert "验证码已发送至z***@example.com" in page


def test_a_new_code_is_refused_before_the_wait_with_the_seconds_left(client):
    with time_machine.travel(START, tick=False) as traveller:
        first = _register(client)
        sent = len(CONSOLE_SENT)
        traveller.shift(timedelta(seconds=20))
        response = client.post("/register/resend", follow_redirects=True)
        page = response.get_data(as_text=True)
        assert "请在40秒后再重新发送验证码" in page
        assert len(CONSOLE_SENT) == sent  # nothing sent
        # The first code still works after a refused resend.
        assert client.post("/register/verify", data={"code": first}).status_code == 302
    assert db.session.scalar(sa.select(User).where(User.mobile == "13800001001")) is not None


def test_a_new_code_after_the_wait_replaces_the_old_one(client):
    with time_machine.travel(START, tick=False) as traveller:
        first = _register(client)
        traveller.shift(timedelta(seconds=61))
        response = client.post("/register/resend", follow_redirects=True)
        assert "新的验证码已发送" in response.get_data(as_text=True)
        destination, second = last_code()
        assert destination == "13800001001"
        if second == first:
            pytest.skip("the random codes happened to be equal")
        old = client.post("/register/verify", data={"code": first})
        assert 'id="code-error"' in old.get_data(as_text=True)
        assert db.session.scalar(sa.select(User).where(User.mobile == "13800001001")) is None
        assert client.post("/register/verify", data={"code": second}).status_code == 302
    assert db.session.scalar(sa.select(User).where(User.mobile == "13800001001")) is not None


def test_resending_counts_against_the_verification_limit(tmp_path, app):
    url = scratch_database_url(tmp_path, "resend")
    throttled = create_app(make_config(url, tmp_path,
                                       VERIFICATION_RATE_LIMIT="2 per 10 minutes"))
    with throttled.app_context():
        from flask_migrate import upgrade

        upgrade()
    try:
        client = throttled.test_client()
        with time_machine.travel(START, tick=False) as traveller:
            with throttled.app_context():
                _register(client)
            traveller.shift(timedelta(seconds=61))
            assert client.post("/register/resend").status_code == 302
            traveller.shift(timedelta(seconds=61))
            refused = client.post("/register/resend")
            assert refused.status_code == 429
            assert re.search(r"请等待\d+分钟后再试", refused.get_data(as_text=True))
    finally:
        with throttled.app_context():
            db.session.remove()
            db.engine.dispose()
        limiter.init_app(app)


def test_registering_again_makes_the_earlier_code_useless(app, client):
    first = _register(client)
    other_browser = app.test_client()
    second = _register(other_browser)
    response = client.post("/register/verify", data={"code": first})
    assert 'id="code-error"' in response.get_data(as_text=True)
    assert "验证码已过期" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.mobile == "13800001001")) is None
    assert other_browser.post("/register/verify", data={"code": second}).status_code == 302

"""The outbox: a message is written with the change, sent after it, retried after a
failure, and never sent twice."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from participation.core import outbox
from participation.core.database import utcnow
from participation.core.outbox import (
    CONSOLE_SENT,
    MessageState,
    OutboxMessage,
    deliver_due,
    queue_message,
)
from participation.extensions import db


@pytest.fixture
def queued_only(app, monkeypatch):
    """Requests queue without delivering, as in production with a worker."""
    monkeypatch.setitem(app.config, "OUTBOX_INLINE", False)


def _messages() -> list[OutboxMessage]:
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_registration_queues_the_code_and_the_worker_sends_it_once(client, queued_only):
    sent = len(CONSOLE_SENT)
    response = client.post("/register", data={
        "identifier": "zhao@example.com", "display_name": "赵女士",
        "password": "long-password-42", "password_confirm": "long-password-42"})
    assert response.status_code == 302
    assert len(CONSOLE_SENT) == sent  # nothing sent in the request
    [message] = _messages()
    assert (message.channel, message.recipient, message.state) == (
        "email", "zhao@example.com", MessageState.PENDING)
    code = re.search(r"\d{6}", message.body).group()
    assert deliver_due() == 1
    assert CONSOLE_SENT[-1][0] == "zhao@example.com"
    assert code in CONSOLE_SENT[-1][2]
    db.session.expire_all()
    assert (message.state, message.body, message.attempts) == (MessageState.SENT, "", 1)
    assert deliver_due() == 0
    # The code that arrived confirms the registration.
    assert client.post("/register/verify", data={"code": code}).status_code == 302


def test_inline_delivery_writes_the_code_to_the_log_after_the_request(client, caplog):
    response = client.post("/register", data={
        "identifier": "139 0000 7777", "display_name": "钱先生",
        "password": "long-password-42", "password_confirm": "long-password-42"})
    assert response.status_code == 302
    assert "13900007777" in caplog.text
    [message] = _messages()
    assert message.state == MessageState.SENT
    assert message.channel == "sms"


def test_the_same_dedupe_key_queues_one_message(app):
    queue_message("a@example.com", "s", "b", dedupe_key="k1")
    queue_message("a@example.com", "s", "b", dedupe_key="k1")
    queue_message("a@example.com", "s", "b")
    assert len(_messages()) == 2


def test_a_failed_send_is_retried_after_a_pause(app, monkeypatch):
    calls = []

    def flaky(message):
        calls.append(message.id)
        if len(calls) == 1:
            raise OSError("connection refused")

    monkeypatch.setitem(outbox.BACKENDS, "console", flaky)
    queue_message("a@example.com", "s", "b")
    assert deliver_due() == 0
    [message] = _messages()
    assert message.state == MessageState.PENDING
    assert "connection refused" in message.last_error
    assert message.next_attempt_at > utcnow() + timedelta(seconds=20)
    assert deliver_due() == 0  # not due yet
    with time_machine.travel(utcnow() + timedelta(minutes=1)):
        assert deliver_due() == 1
    db.session.expire_all()
    assert (message.state, message.attempts, message.last_error) == (
        MessageState.SENT, 2, None)
    assert len(calls) == 2


def test_a_message_no_backend_can_send_fails_at_once(app, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFICATION_SENDER", "mail")
    queue_message("13900001111", "s", "b")
    assert deliver_due() == 0
    [message] = _messages()
    assert message.state == MessageState.FAILED
    assert "sms" in message.last_error


def test_flask_jobs_worker_once_delivers_and_exits(app, runner):
    queue_message("w@example.com", "Subject", "Body of the message")
    result = runner.invoke(args=["jobs", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert CONSOLE_SENT[-1] == ("w@example.com", "Subject", "Body of the message")
    assert _messages()[0].state == MessageState.SENT


def test_the_purge_forgets_recipients_of_old_messages_but_never_sends_twice(app, runner):
    queue_message("old@example.com", "s", "your code 123456", dedupe_key="old")
    queue_message("13900002222", "s", "b", dedupe_key="kept")
    assert deliver_due() == 2
    queue_message("pending@example.com", "s", "not sent yet")
    for key, days in (("old", 31), ("kept", 29)):  # sent that many days ago
        db.session.execute(sa.update(OutboxMessage.__table__)
                           .where(OutboxMessage.dedupe_key == key)
                           .values(updated_at=utcnow() - timedelta(days=days)))
    result = runner.invoke(args=["maintenance", "purge"])
    assert result.exit_code == 0, result.output
    assert "outbox_recipients: 1" in result.output
    db.session.expire_all()
    old, kept, pending = _messages()
    assert (old.recipient, old.body, old.state) == ("", "", MessageState.SENT)
    assert kept.recipient == "13900002222"  # within the 30 days
    assert (pending.recipient, pending.body) == ("pending@example.com", "not sent yet")
    # The row and its key stay: queuing the same message again adds nothing.
    queue_message("old@example.com", "s", "your code 123456", dedupe_key="old")
    assert len(_messages()) == 3

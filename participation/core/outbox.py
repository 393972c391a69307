"""The outbox: messages written in the same transaction as the change that causes them,
delivered afterwards by ``flask jobs worker`` (or ``flask jobs run``), never lost and
never sent twice.

An operation calls :func:`queue_message`; nothing is sent in its transaction. Delivery
takes each due message with one conditional ``UPDATE`` to ``sending`` with a lease
(``locked_by``, ``locked_until``) and commits, sends it through the configured backend
(``VERIFICATION_SENDER``: ``console`` writes it to the log, ``mail`` sends e-mail by
SMTP with the ``MAIL_*`` settings), then marks it ``sent`` and commits at once. A worker
killed while sending leaves the message ``sending``; once its lease has expired another
worker takes it over. A failed send is retried with a growing pause, and after
``MAX_ATTEMPTS`` the message is ``failed``. A dedupe key makes queuing twice harmless.

With ``OUTBOX_INLINE`` (on by default, for development and ``make run``) a request also
delivers what it queued right after its commit, so the code appears in the server log
at once; the worker remains the safety net.
"""

from __future__ import annotations

import enum
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app, has_request_context
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.database import TimestampMixin, enum_column, utcnow
from participation.core.jobs import register_job, register_worker_step, worker_name
from participation.core.maintenance import register_purge
from participation.extensions import db

MAX_ATTEMPTS = 8
BATCH = 50


class MessageState(enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(TimestampMixin, db.Model):
    """A message to send (verification code, notice), written with the change."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16), nullable=False,
                                         comment="email, sms or console")
    recipient: Mapped[str] = mapped_column(sa.String(255), nullable=False,
                                           comment="e-mail address or mobile number")
    subject: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    body: Mapped[str] = mapped_column(sa.Text, nullable=False,
                                      comment="the text; emptied once sent")
    dedupe_key: Mapped[str | None] = mapped_column(
        sa.String(128), nullable=True, unique=True,
        comment="queuing the same key again adds nothing")
    state: Mapped[MessageState] = mapped_column(
        enum_column(MessageState, name="message_state"), nullable=False,
        default=MessageState.PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                          comment="sends started")
    next_attempt_at: Mapped[datetime] = mapped_column(
        sa.DateTime, nullable=False, default=utcnow, comment="due from (UTC)")
    locked_by: Mapped[str | None] = mapped_column(
        sa.String(128), nullable=True, comment="worker sending it")
    locked_until: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="its lease ends (UTC)")
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    __table_args__ = (sa.Index("ix_outbox_message_due", "state", "next_attempt_at"),)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.channel} {self.state.value}>"


class PermanentFailure(Exception):
    """The backend cannot ever deliver this message (no SMS gateway, for example)."""


def _console(message: SimpleNamespace) -> None:
    current_app.logger.warning("Message to %s: %s %s", message.recipient, message.subject,
                               message.body)
    CONSOLE_SENT.append((message.recipient, message.subject, message.body))
    del CONSOLE_SENT[:-50]


def _mail(message: SimpleNamespace) -> None:
    if message.channel != "email":
        raise PermanentFailure(f"no backend for the {message.channel} channel")
    config = current_app.config
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = config["MAIL_DEFAULT_SENDER"]
    mail["To"] = message.recipient
    mail.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(mail)


CONSOLE_SENT: list[tuple[str, str, str]] = []  # the last console messages, for tests
# A backend takes the message's columns as attributes and raises when it fails.
BACKENDS: dict[str, Callable[[SimpleNamespace], None]] = {"console": _console, "mail": _mail}


# Text SQL, the same on PostgreSQL and SQLite: the dialects' INSERT … ON CONFLICT
# constructs are compiled anew at every execution (SQLAlchemy caches no such statement),
# which cost a signup more than the insert itself.
_QUEUE = sa.text(
    "INSERT INTO outbox_message (channel, recipient, subject, body, dedupe_key, state, "
    "attempts, next_attempt_at, created_at, updated_at) VALUES (:channel, :recipient, "
    ":subject, :body, :dedupe_key, :state, :attempts, :next_attempt_at, :created_at, "
    ":updated_at) ON CONFLICT DO NOTHING"
).bindparams(*(sa.bindparam(name, type_=OutboxMessage.__table__.c[name].type)
               for name in ("next_attempt_at", "created_at", "updated_at")))


def queue_message(recipient: str, subject: str, body: str, *, channel: str | None = None,
                  dedupe_key: str | None = None) -> None:
    """Write a message to send once the caller's transaction commits (``channel``
    defaults to email for an address, sms otherwise); a second call with the same
    ``dedupe_key`` adds nothing. Flushes; the caller commits. With ``OUTBOX_INLINE``
    the request delivers it right after its commit."""
    from participation.core.transaction import after_commit

    channel = channel or ("email" if "@" in recipient else "sms")
    now = utcnow()
    db.session.execute(_QUEUE, {
        "channel": channel, "recipient": recipient, "subject": subject, "body": body,
        "dedupe_key": dedupe_key, "state": MessageState.PENDING.value, "attempts": 0,
        "next_attempt_at": now, "created_at": now, "updated_at": now,
    })
    if has_request_context() and current_app.config.get("OUTBOX_INLINE"):
        after_commit(deliver_due)


def _claim(message_id: int, now: datetime, owner: str) -> bool:
    c = OutboxMessage.__table__.c
    lease = timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", 120))
    result = db.session.execute(
        sa.update(OutboxMessage.__table__)
        .where(c.id == message_id)
        .where(sa.or_(
            sa.and_(c.state == MessageState.PENDING.value, c.next_attempt_at <= now),
            sa.and_(c.state == MessageState.SENDING.value, c.locked_until <= now)))
        .values(state=MessageState.SENDING.value, locked_by=owner,
                locked_until=now + lease, attempts=c.attempts + 1, updated_at=now))
    return result.rowcount == 1


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def deliver_due(now: datetime | None = None, owner: str | None = None) -> int:
    """Deliver every message due at ``now`` (pending, or sending under an expired
    lease), each claimed and finished in its own committed transaction; returns how
    many were sent. A failure is recorded and retried later."""
    owner = owner or worker_name()
    sent = 0
    now = now or utcnow()
    c = OutboxMessage.__table__.c
    ids = db.session.scalars(
        sa.select(c.id).where(sa.or_(
            sa.and_(c.state == MessageState.PENDING.value, c.next_attempt_at <= now),
            sa.and_(c.state == MessageState.SENDING.value, c.locked_until <= now)))
        .order_by(c.id).limit(BATCH)).all()
    db.session.commit()
    backend = BACKENDS[current_app.config["VERIFICATION_SENDER"]]
    for message_id in ids:
        claimed = _claim(message_id, now, owner)
        row = db.session.execute(sa.select(OutboxMessage.__table__)
                                 .where(c.id == message_id)).first() if claimed else None
        db.session.commit()  # the message is sent outside any transaction
        message = SimpleNamespace(**row._mapping) if row is not None else None
        if message is None:
            continue
        done = {"locked_by": None, "locked_until": None, "updated_at": utcnow()}
        try:
            backend(message)
        except Exception as error:  # noqa: BLE001 - every failure is recorded and retried
            db.session.rollback()
            final = isinstance(error, PermanentFailure) or message.attempts >= MAX_ATTEMPTS
            done.update(last_error=f"{type(error).__name__}: {error}",
                        state=(MessageState.FAILED if final else MessageState.PENDING).value,
                        next_attempt_at=utcnow() + _backoff(message.attempts))
            current_app.logger.warning("outbox message %s not sent: %s", message_id, error)
        else:
            # The body goes: codes and personal notes do not stay in the table.
            done.update(state=MessageState.SENT.value, sent_at=utcnow(), body="",
                        last_error=None)
            sent += 1
        # The transaction starts with this write, so SQLite never upgrades a reader.
        db.session.execute(sa.update(OutboxMessage.__table__)
                           .where(c.id == message_id, c.locked_by == owner).values(**done))
        db.session.commit()
    return sent


@register_purge("outbox_recipients")
def forget_recipients(now: datetime) -> int:
    """Blank the recipient (and a failed message's body) of the messages sent or failed
    more than ``OUTBOX_RETENTION_DAYS`` ago; how many were blanked. Flushes."""
    c = OutboxMessage.__table__.c
    cutoff = now - timedelta(days=current_app.config.get("OUTBOX_RETENTION_DAYS", 30))
    return db.session.execute(
        sa.update(OutboxMessage.__table__)
        .where(c.state.in_([MessageState.SENT.value, MessageState.FAILED.value]),
               c.updated_at < cutoff, sa.or_(c.recipient != "", c.body != ""))
        .values(recipient="", body="", updated_at=now)).rowcount


@register_worker_step("outbox")
def _deliver_step() -> int:
    return deliver_due()


@register_job("outbox.deliver", every=timedelta(0))
def _deliver_job(now: datetime) -> None:
    deliver_due(now)

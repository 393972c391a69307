"""Shared rate-limit storage for Flask-Limiter.

With ``PARTICIPATION_REDIS_URL`` the counters live in Redis. Without it they live in the
``rate_limit_counter`` table of the application database, so that every gunicorn worker
and every host sees the same counts (process memory would give each worker its own).
The storage registers the ``participation+sql://`` scheme with the ``limits`` library.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_limiter import Limiter
from limits.storage import Storage
from sqlalchemy.exc import SQLAlchemyError

from participation.extensions import db

rate_limit_counter = sa.Table(
    "rate_limit_counter",
    db.metadata,
    sa.Column("key", sa.String(255), primary_key=True, comment="limit and identity"),
    sa.Column("count", sa.Integer, nullable=False, comment="hits in the current window"),
    sa.Column("expires_at", sa.Float, nullable=False, comment="window end, Unix time"),
)


# One upsert per hit, in text SQL that PostgreSQL and SQLite both read: the dialects'
# INSERT … ON CONFLICT constructs have no cache key, so SQLAlchemy would compile one at
# every hit. A window that has ended starts again at this hit.
_HIT = sa.text(
    "INSERT INTO rate_limit_counter (key, count, expires_at) VALUES (:key, :amount, "
    ":expires_at) ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN rate_limit_counter.expires_at <= :now THEN :amount "
    "ELSE rate_limit_counter.count + :amount END, "
    "expires_at = CASE WHEN rate_limit_counter.expires_at <= :now THEN :expires_at "
    "ELSE rate_limit_counter.expires_at END "
    "RETURNING count"
).bindparams(
    sa.bindparam("amount", type_=sa.Integer),
    sa.bindparam("now", type_=sa.Float),
    sa.bindparam("expires_at", type_=sa.Float),
)


class SQLCounterStorage(Storage):
    """Fixed-window counters in a SQL table, updated with one atomic upsert per hit."""

    STORAGE_SCHEME = ["participation+sql"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._url = options["database_url"]
        self._engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        # Created lazily, so each forked worker opens its own connections.
        if self._engine is None:
            from participation.config import engine_options

            options = engine_options(self._url)
            options.pop("pool_size", None)
            options.pop("max_overflow", None)
            if self._url.startswith("postgresql"):
                # A counter is one atomic upsert: no BEGIN/COMMIT round trips, and its
                # commit does not wait for the disk (a crash loses at most the last
                # fraction of a second of hits, which only lets a few requests more in).
                options["isolation_level"] = "AUTOCOMMIT"
                options["connect_args"] = {"options": "-c synchronous_commit=off"}
            self._engine = sa.create_engine(self._url, **options)
        return self._engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self.engine.begin() as connection:  # on PostgreSQL: autocommit, see engine
            return int(connection.execute(_HIT, {
                "key": key, "amount": amount, "now": now, "expires_at": now + expiry,
            }).scalar_one())

    def get(self, key: str) -> int:
        table = rate_limit_counter
        with self.engine.connect() as connection:
            value = connection.execute(
                sa.select(table.c.count).where(table.c.key == key,
                                               table.c.expires_at > time.time())
            ).scalar()
        return int(value or 0)

    def get_expiry(self, key: str) -> float:
        table = rate_limit_counter
        with self.engine.connect() as connection:
            value = connection.execute(
                sa.select(table.c.expires_at).where(table.c.key == key)
            ).scalar()
        return float(value) if value else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(sa.delete(rate_limit_counter)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(sa.delete(rate_limit_counter).where(rate_limit_counter.c.key == key))


def keyed_digest(value: str) -> str:
    """A keyed hash (HMAC-SHA256 with ``SECRET_KEY``) of ``value`` for rate-limit keys: the
    same input gives the same key, yet the table never holds what a visitor typed."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:40]


def retry_after_seconds(limiter: Limiter) -> int:
    """Seconds until the limit that refused this request lets requests in again (at least
    one)."""
    breached = [limit for limit in limiter.current_limits if limit.breached]
    limits = breached or ([limiter.current_limit] if limiter.current_limit else [])
    if not limits:
        return 60
    reset_at = max(limit.window[0] for limit in limits)
    return max(1, math.ceil(reset_at - time.time()))


def purge_rate_limit_counters(now: float | None = None) -> int:
    """Delete the counters whose window has ended (a new hit starts a new window anyway).

    Returns the number of rows deleted; flushes, the caller commits. Idempotent: run it as
    often as wanted (``flask maintenance purge``).
    """
    now = time.time() if now is None else now
    result = db.session.execute(
        sa.delete(rate_limit_counter).where(rate_limit_counter.c.expires_at <= now))
    return result.rowcount or 0


def init_app(app: Flask, limiter: Limiter) -> None:
    if app.config["RATELIMIT_STORAGE_URI"].startswith("participation+sql"):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {})
        app.config["RATELIMIT_STORAGE_OPTIONS"]["database_url"] = app.config[
            "SQLALCHEMY_DATABASE_URI"
        ]
    limiter.init_app(app)


"""Configuration: defaults here, the environment overrides, ``instance/`` keeps local secrets.

Every setting a deployment may change is read from a ``PARTICIPATION_*`` environment
variable (or ``SECRET_KEY``); the README lists them.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV_PREFIX = "PARTICIPATION_"


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(ENV_PREFIX + name, default)


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    value = _env(name)
    if value in (None, ""):
        value = default
    return [item.strip() for item in value.split(",") if item.strip()]


# Host names accepted in the Host header when PARTICIPATION_TRUSTED_HOSTS is unset: enough
# for development (`make run`, tests); a deployment lists its own names.
DEVELOPMENT_HOSTS = "localhost,127.0.0.1"


def load_secret_key(instance_path: Path) -> str:
    """Return ``SECRET_KEY`` from the environment, or the key generated once into instance/.

    There is no fixed default key: on first start a random key is written to
    ``instance/secret_key`` (mode 0600) and reused by every later start and every worker.
    """
    from_env = os.environ.get("SECRET_KEY") or _env("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance_path / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: when two workers start at once, one writes and the other reads its key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def normalise_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` URLs use the installed psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def default_config(instance_path: Path) -> dict:
    """Build the configuration mapping for an app whose instance folder is ``instance_path``."""
    database_url = normalise_database_url(
        _env("DATABASE_URL") or f"sqlite:///{instance_path / 'participation.sqlite3'}")
    redis_url = _env("REDIS_URL")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        # Rate limits are shared by every worker and host: Redis when configured,
        # otherwise a table in the application database (never process memory).
        "RATELIMIT_STORAGE_URI": redis_url or "participation+sql://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_STRATEGY": "fixed-window",
        # Sign-in attempts per IP address (loose: many people may share one address) and
        # per account (tight: guessing one account's password from many addresses).
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "60 per minute;600 per hour"),
        "LOGIN_ACCOUNT_RATE_LIMIT": _env("LOGIN_ACCOUNT_RATE_LIMIT",
                                         "5 per minute;20 per hour"),
        "VERIFICATION_RATE_LIMIT": _env("VERIFICATION_RATE_LIMIT", "5 per 10 minutes;20 per day"),
        # A new verification code may be asked for this long after the previous one.
        "VERIFICATION_RESEND_SECONDS": _env_int("VERIFICATION_RESEND_SECONDS", 60),
        "OPINION_RATE_LIMIT": _env("OPINION_RATE_LIMIT", "20 per 10 minutes;100 per day"),
        # Days after a meeting was held or cancelled before its applicants' contact
        # details and free texts are erased (the periodic job meetings.erase_applicant_data).
        "MEETING_APPLICANT_DATA_DAYS": _env_int("MEETING_APPLICANT_DATA_DAYS", 180),
        "UPLOAD_FOLDER": str(instance_path / "uploads"),
        # The site's address as the public reaches it, for links in messages sent later
        # by the worker (no request to take it from).
        "PUBLIC_BASE_URL": _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "MAX_UPLOAD_BYTES": _env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024) + 1024 * 1024,
        # Files of offline opinions (a million rows of CSV is about 400 MB): the import
        # page alone accepts this much; the upload goes to disk, never into memory.
        "MAX_IMPORT_BYTES": _env_int("MAX_IMPORT_BYTES", 1024 * 1024 * 1024),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_CN", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SECURE_COOKIES", False),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _env_bool("SECURE_COOKIES", False),
        "PREFERRED_URL_SCHEME": "https" if _env_bool("SECURE_COOKIES", False) else "http",
        # Absolute links (API, e-mails) are built from the Host header: only these names.
        "TRUSTED_HOSTS": _env_list("TRUSTED_HOSTS", DEVELOPMENT_HOSTS),
        # Sent with Strict-Transport-Security when the site runs behind HTTPS.
        "HSTS_SECONDS": _env_int("HSTS_SECONDS", 365 * 24 * 3600),
        "WTF_CSRF_TIME_LIMIT": 24 * 3600,
        # How the outbox delivers: console (the server log) or mail (SMTP, MAIL_*).
        "VERIFICATION_SENDER": _env("VERIFICATION_SENDER", "console"),
        # Deliver a queued message right after the request's commit, in the request
        # (development, `make run`); a deployment with `flask jobs worker` sets it to 0.
        "OUTBOX_INLINE": _env_bool("OUTBOX_INLINE", True),
        # Group each opinion in the request that records it, instead of leaving it to
        # `flask jobs worker` (about a second later): slower requests, for tests.
        "GROUPING_INLINE": _env_bool("GROUPING_INLINE", False),
        # A message being sent is held this long; past it another worker takes it over.
        "OUTBOX_LEASE_SECONDS": _env_int("OUTBOX_LEASE_SECONDS", 120),
        # Days a sent or failed message keeps its recipient (and a failed one its body);
        # after them the hourly purge blanks both, keeping the row and its dedupe key.
        "OUTBOX_RETENTION_DAYS": _env_int("OUTBOX_RETENTION_DAYS", 30),
        "MAIL_SERVER": _env("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "noreply@localhost"),
        "PAGE_SIZE": 20,
        # Labels given since a government's newest suggestion model that make the hourly
        # job queue its retraining.
        "SUGGESTIONS_RETRAIN_LABELS": _env_int("SUGGESTIONS_RETRAIN_LABELS", 50),
        # Slug of the government shown at / when a deployment hosts several.
        "DEFAULT_GOVERNMENT": _env("DEFAULT_GOVERNMENT"),
        "PAGE_CACHE_SECONDS": _env_int("PAGE_CACHE_SECONDS", 10),
        "PASSWORD_HASH_METHOD": _env("PASSWORD_HASH_METHOD", "scrypt"),
        # SQLite only: how long a request waits for the writer turn before answering
        # "busy, try again" (503).
        "SQLITE_WRITER_TIMEOUT": float(_env("SQLITE_WRITER_TIMEOUT") or 5),
        "TRUST_PROXY_HEADERS": _env_int("TRUSTED_PROXIES", 0),
    }


def engine_options(database_url: str) -> dict:
    """Engine options per backend (SQLite gets a busy timeout for concurrent workers)."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    # No pool_pre_ping: core/database.py checks only connections idle for a while.
    return {"pool_size": 5, "max_overflow": 5}

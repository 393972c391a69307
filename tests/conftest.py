"""Shared fixtures: one migrated database per run, rolled back after every test.

The suite runs on SQLite by default and on PostgreSQL when
``PARTICIPATION_TEST_DATABASE_URL`` is set (``make test`` does both).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import sqlalchemy.orm
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from participation import create_app
from participation.extensions import db

PASSWORD = "correct-horse-battery"


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def scratch_database_url(tmp_path, suffix: str) -> str:
    """A fresh, empty database of the suite's kind for tests that need their own:
    a SQLite file, or ``<test database>_<suffix>`` on the PostgreSQL server."""
    url = os.environ.get("PARTICIPATION_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / (suffix + '.sqlite3')}"
    import psycopg

    base = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)
    name = urlsplit(base).path.lstrip("/") + "_" + suffix
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/]*$", "/" + name, base).replace("postgresql://",
                                                       "postgresql+psycopg://")


def migrated_scratch_app(tmp_path, suffix: str, **overrides) -> Flask:
    """An app on a fresh scratch database (see :func:`scratch_database_url`), migrated to
    the head, for tests that need real commits, other processes or their own settings."""
    from flask_migrate import upgrade

    app = create_app(make_config(scratch_database_url(tmp_path, suffix), tmp_path,
                                 **overrides))
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("PARTICIPATION_TEST_DATABASE_URL")
    if url:
        url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def make_config(database_url: str, tmp_path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Generous limits: the throttling tests build their own app with tight ones.
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "10000 per minute",
        "VERIFICATION_RATE_LIMIT": "10000 per minute",
        "OPINION_RATE_LIMIT": "10000 per minute",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes for test accounts
        "PAGE_CACHE_SECONDS": 0,  # tests/core/test_page_cache.py turns it on
        # Opinions grouped as they are recorded; tests/opinions/test_grouping_queue.py
        # turns it off to test the worker's queue.
        "GROUPING_INLINE": True,
    }
    config.update(overrides)
    return config


class RequestIsolatingClient(FlaskClient):
    """The tests keep an application context open, which Flask reuses for the client's
    requests; forget what the previous request cached in ``g`` (locale, user) as a new
    request in production would."""

    def open(self, *args, **kwargs):
        if has_app_context():
            for name in list(vars(g)):
                delattr(g, name)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory) -> Iterator[Flask]:
    app = create_app(make_config(database_url, tmp_path_factory.mktemp("instance")))
    app.test_client_class = RequestIsolatingClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app) -> Iterator[None]:
    """Every test runs inside a transaction that is rolled back afterwards; the views'
    commits become savepoints."""
    if "no_db_transaction" in request.keywords:
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        # A plain session bound to the connection (Flask-SQLAlchemy's session class would
        # pick the engine by bind key and escape the outer transaction).
        session = sa.orm.scoped_session(sa.orm.sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint"))
        original = db.session
        db.session = session
        try:
            yield
        finally:
            session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client: FlaskClient, user, password: str = PASSWORD):
    identifier = user.email or user.mobile
    response = client.post("/login", data={"identifier": identifier, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def world(app):
    """Two units of one government with an official of every role, and a citizen."""
    from tests import factories

    return factories.make_world()

"""Sign-in throttling per account and per address, the wait it announces, keys that never
hold the typed identifier, and the purge of expired counters and verification codes."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import Blueprint, jsonify

from participation.accounts.models import VerificationCode, VerificationPurpose
from participation.core.database import utcnow
from participation.core.maintenance import run_purges
from participation.core.ratelimit import rate_limit_counter
from participation.extensions import db, limiter
from tests import factories
from tests.conftest import PASSWORD, migrated_scratch_app


@pytest.fixture
def throttled(tmp_path, app):
    """An app of its own with counters in its database and tight limits (the limiter is
    one object: it is given back to the suite's app afterwards)."""
    suite_app = app
    app = migrated_scratch_app(tmp_path, "throttle", RATELIMIT_STORAGE_URI="participation+sql://",
                               LOGIN_RATE_LIMIT="6 per minute",
                               LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    with app.app_context():
        made = factories.make_world()
        db.session.commit()
        people = SimpleNamespace(citizen=SimpleNamespace(mobile=made.citizen.mobile),
                                 **{role: SimpleNamespace(email=getattr(made, role).email)
                                    for role in ("admin", "editor", "approver")})
        db.session.remove()
    yield app, people
    with app.app_context():
        db.engine.dispose()
    engine = getattr(limiter.storage, "_engine", None)
    if engine is not None:
        engine.dispose()
    limiter.init_app(suite_app)


def _attempt(client, identifier: str):
    return client.post("/login", data={"identifier": identifier, "password": "wrong"})


pytestmark = pytest.mark.no_db_transaction


def test_one_account_is_throttled_tighter_than_one_address(throttled):
    app, world = throttled
    client = app.test_client()
    # The same account from three addresses: the account's limit counts them all.
    statuses = [client.post("/login", data={"identifier": world.citizen.mobile,
                                            "password": "wrong"},
                            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
                for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    # The account is also recognised when typed differently.
    spaced = world.citizen.mobile[:3] + " " + world.citizen.mobile[3:7] + " " \
        + world.citizen.mobile[7:]
    assert client.post("/login", data={"identifier": spaced, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 429
    # Other people behind one office address still get in: six attempts per address.
    office = {"REMOTE_ADDR": "192.0.2.1"}
    for official in (world.admin, world.editor, world.approver):
        response = client.post("/login", data={"identifier": official.email,
                                               "password": PASSWORD}, environ_base=office)
        assert response.status_code == 302
        client.post("/logout", environ_base=office)


def test_the_refusal_says_how_long_to_wait(throttled):
    app, world = throttled
    client = app.test_client()
    for _ in range(3):
        _attempt(client, world.citizen.mobile)
    refused = _attempt(client, world.citizen.mobile)
    assert refused.status_code == 429
    seconds = int(refused.headers["Retry-After"])
    assert 1 <= seconds <= 61
    page = refused.get_data(as_text=True)
    assert f"请等待{seconds}秒后再试" in page


def test_the_api_refusal_is_json_with_the_wait(throttled):
    app, _ = throttled
    blueprint = Blueprint("throttled_probe", __name__)

    @blueprint.route("/api/v1/_throttled_probe")
    @limiter.limit("1 per 10 minutes")
    def probe():
        return jsonify({"ok": True})

    app.register_blueprint(blueprint)
    client = app.test_client()
    assert client.get("/api/v1/_throttled_probe").status_code == 200
    refused = client.get("/api/v1/_throttled_probe")
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert 500 < error["retry_after"] <= 600
    assert refused.headers["Retry-After"] == str(error["retry_after"])
    assert "请等待10分钟后再试" in error["message"]


def test_the_counters_never_hold_the_typed_identifier(throttled):
    app, world = throttled
    client = app.test_client()
    _attempt(client, world.citizen.mobile)
    _attempt(client, "zhang.san@example.com")
    with app.app_context():
        keys = db.session.scalars(sa.select(rate_limit_counter.c.key)).all()
    assert len(keys) == 3  # one address, two accounts
    for key in keys:
        assert world.citizen.mobile not in key
        assert "zhang.san" not in key
        assert "example.com" not in key


def test_a_hit_is_counted_without_waiting_for_the_disk_on_postgresql(throttled):
    """Each counted request costs one statement that does not wait for the disk (the
    signup benchmark: a second fsync per POST halved the rate). The hit is still seen at
    once by every other connection, so every worker and host counts it."""
    app, world = throttled
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has one writer and no asynchronous commit")
    _attempt(app.test_client(), world.citizen.mobile)
    idle_in_transaction = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                  "current_database() AND state = 'idle in transaction'")
    with limiter.storage.engine.connect() as connection:
        assert connection.execute(sa.text("SHOW synchronous_commit")).scalar() == "off"
        assert connection.execute(idle_in_transaction).scalar() == 0
    with app.app_context():  # the application's own connections see the hits at once
        assert db.session.scalar(sa.select(sa.func.count()).select_from(rate_limit_counter)) == 2


def test_purging_removes_expired_counters_and_spent_codes(throttled):
    app, world = throttled
    client = app.test_client()
    _attempt(client, world.citizen.mobile)
    with app.app_context():
        now = utcnow()

        def code(token: str, expires_in: timedelta, used: bool) -> None:
            db.session.add(VerificationCode(
                token=token, purpose=VerificationPurpose.REGISTER, destination="13900009999",
                code_hash="x", payload={"password_hash": "scrypt$secret"},
                expires_at=now + expires_in, used_at=now if used else None))

        def purged(at) -> dict[str, int]:
            # Other domains register purges of their own; these are the accounts' ones.
            counts = run_purges(at)
            return {name: counts[name] for name in ("rate_limit_counters",
                                                    "verification_codes")}

        code("pending", timedelta(minutes=10), used=False)
        code("expired", timedelta(minutes=-1), used=False)
        code("used", timedelta(minutes=10), used=True)
        db.session.commit()
        # Now: the counters' windows are still running and the pending code is kept.
        assert purged(now) == {"rate_limit_counters": 0, "verification_codes": 2}
        db.session.commit()
        assert db.session.scalars(sa.select(VerificationCode.token)).all() == ["pending"]
        assert purged(now) == {"rate_limit_counters": 0, "verification_codes": 0}
        # Two hours later every window has ended and the pending code has expired too.
        assert purged(now + timedelta(hours=2)) == {"rate_limit_counters": 2,
                                                        "verification_codes": 1}
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(rate_limit_counter)) == 0
        assert db.session.scalars(sa.select(VerificationCode.token)).all() == []


def test_the_purge_command_keeps_what_is_still_needed(throttled):
    app, world = throttled
    with app.app_context():
        now = utcnow()
        for token, expires_in, used in (("pending", 10, False), ("expired", -1, False),
                                        ("used", 10, True)):
            db.session.add(VerificationCode(
                token=token, purpose=VerificationPurpose.REGISTER, destination="13900009999",
                code_hash="x", payload={}, expires_at=now + timedelta(minutes=expires_in),
                used_at=now if used else None))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["maintenance", "purge"])
    assert result.exit_code == 0, result.output
    assert "verification_codes: 2 deleted" in result.output
    with app.app_context():
        assert db.session.scalars(sa.select(VerificationCode.token)).all() == ["pending"]

"""End-to-end fixtures: the app under gunicorn on a database of its own, and Debian's chromium.

The live server gets a fresh database loaded with the demo town (``flask demo load``): a
SQLite file by default, or ``<dbname>_browser`` on the PostgreSQL server of
``PARTICIPATION_TEST_DATABASE_URL``. Browser tests drive Debian's chromium through
Playwright (``playwright install`` downloads are not available); without it they skip, or
fail when ``PARTICIPATION_REQUIRE_BROWSER`` is set (as ``.ci/run`` does).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-password"
STARTUP_SECONDS = 60
COMMAND_SECONDS = 300


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _require_chromium() -> None:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    message = ("Debian's chromium is not installed: apt-get install chromium to run the "
               "browser tests")
    if os.environ.get("PARTICIPATION_REQUIRE_BROWSER"):
        pytest.fail(f"{message} (PARTICIPATION_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_available() -> None:
    _require_chromium()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin_conninfo(url: str) -> str:
    """libpq URL of the configured test database (psycopg does not take ``+psycopg``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _recreate_postgres_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_admin_conninfo(url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop_postgres_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_admin_conninfo(url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def _server_environment(database_url: str) -> dict[str, str]:
    # Start from the caller's environment without any PARTICIPATION_* setting (a developer's
    # Redis, secure cookies or proxy settings would change what the server does).
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PARTICIPATION_") and key not in ("SECRET_KEY", "FLASK_APP")}
    env.update({
        "PARTICIPATION_DATABASE_URL": database_url,
        "SECRET_KEY": "browser-test-secret-key",
        "PARTICIPATION_OPINION_RATE_LIMIT": "1000 per minute",
        "PARTICIPATION_LOGIN_RATE_LIMIT": "1000 per minute",
        "PARTICIPATION_LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        # Pages change under the tests' eyes; the page cache has its own tests.
        "PARTICIPATION_PAGE_CACHE_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _flask(args: list[str], env: dict[str, str]) -> None:
    command = [str(BIN / "flask"), "--app", "wsgi", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=COMMAND_SECONDS, check=False)
    if result.returncode != 0:
        pytest.fail(f"`flask {' '.join(args)}` failed ({result.returncode}):\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}", pytrace=False)


def _wait_until_serving(url: str, process: subprocess.Popen, server: LiveServer) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no http_proxy
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log_tail()}",
                        pytrace=False)
        try:
            with opener.open(url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            error.close()
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS}s:\n{server.log_tail()}",
                pytrace=False)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture(scope="session")
def live_server(chromium_available, tmp_path_factory) -> Iterator[LiveServer]:
    """The app under gunicorn (two workers) on a fresh database holding the demo town."""
    tmp = tmp_path_factory.mktemp("live_server")
    configured = os.environ.get("PARTICIPATION_TEST_DATABASE_URL")
    postgres_name = None
    if configured:
        base = make_url(configured)
        postgres_name = f"{base.database}_browser"
        _recreate_postgres_database(configured, postgres_name)
        database_url = base.set(drivername="postgresql+psycopg", database=postgres_name) \
            .render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{tmp / 'browser.sqlite3'}"
    try:
        env = _server_environment(database_url)
        _flask(["db", "upgrade"], env)
        _flask(["demo", "load"], env)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = LiveServer(url=url, database_url=database_url, log_path=tmp / "gunicorn.log")
        command = [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                   "--graceful-timeout", "5", "--no-control-socket", "--access-logfile", "-",
                   "wsgi:app"]
        with server.log_path.open("wb") as log, subprocess.Popen(
                command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT) as process:
            try:
                _wait_until_serving(url, process, server)
                yield server
            finally:
                _stop(process)
    finally:
        if postgres_name and configured:
            _drop_postgres_database(configured, postgres_name)


@pytest.fixture(scope="session")
def browser(chromium_available) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        if os.environ.get("PARTICIPATION_REQUIRE_BROWSER"):
            pytest.fail("playwright is not installed: make install", pytrace=False)
        pytest.skip("playwright is not installed: make install to run the browser tests")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_context(browser, live_server) -> Iterator[Callable[..., Any]]:
    """Factory of browser contexts (one visitor each) on the live server; closed afterwards."""
    contexts = []

    def make(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", "zh-CN")
        options.setdefault("timezone_id", "Asia/Shanghai")
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def _log_in(page, identifier: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    form = page.locator("main form:has(#identifier)")
    form.locator("#identifier").fill(identifier)
    form.locator("#password").fill(password)
    form.locator("button[type=submit]").click()
    # A refused sign-in stays on /login and times out here.
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def log_in() -> Callable[..., None]:
    """``log_in(page, identifier, password=DEMO_PASSWORD)`` through the login form."""
    return _log_in

"""Against a real gunicorn server with several workers: the same form sent many times at
once creates exactly one opinion, and concurrent different opinions are all counted."""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import scratch_database_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.no_db_transaction


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("concurrency")
    url = scratch_database_url(tmp_path, "concurrency")
    env = {**os.environ, "PARTICIPATION_DATABASE_URL": url, "SECRET_KEY": "concurrency-test",
           "PARTICIPATION_OPINION_RATE_LIMIT": "100000 per minute", "FLASK_APP": "wsgi",
           "PARTICIPATION_LOGIN_ACCOUNT_RATE_LIMIT": "100000 per minute",
           "PARTICIPATION_SQLITE_WRITER_TIMEOUT": "1.5"}
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([str(BIN / "flask"), "demo", "load"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "3", "--bind", f"127.0.0.1:{port}",
         "--no-control-socket", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=2).close()  # noqa: S310
            break
        except OSError:
            time.sleep(0.1)
    engine = sa.create_engine(url)
    try:
        yield base, engine
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        engine.dispose()
        shutil.rmtree(tmp_path, ignore_errors=True)


def _open_consultation(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(
            "SELECT id FROM consultation WHERE closes_at > CURRENT_TIMESTAMP "
            "AND opens_at < CURRENT_TIMESTAMP ORDER BY id LIMIT 1")).scalar_one()


def _count(engine, consultation_id: int) -> tuple[int, int]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT count(*) FROM opinion WHERE consultation_id = :c"),
            {"c": consultation_id}).scalar_one()
        counter = connection.execute(sa.text(
            "SELECT opinion_count FROM consultation WHERE id = :c"),
            {"c": consultation_id}).scalar_one()
    return rows, counter


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _form(base: str, consultation_id: int):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    page = opener.open(f"{base}/consultations/{consultation_id}/opinions/new").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    return opener, token, key


def _post(opener, url: str, data: dict) -> tuple[int, str]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(),
                                     method="POST")
    try:
        response = opener.open(request)
        return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def test_the_same_form_sent_at_once_creates_one_opinion(server):
    base, engine = server
    consultation_id = _open_consultation(engine)
    before = _count(engine, consultation_id)
    opener, token, key = _form(base, consultation_id)
    data = {"csrf_token": token, "submission_key": key, "node_id": "0",
            "body": "同一表单被连续点击多次提交，只应保存一条意见。", "consent_to_publish": "y"}
    url = f"{base}/consultations/{consultation_id}/opinions/new"
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda _: _post(opener, url, data), range(12)))
    assert {status for status, _ in results} == {302}
    assert len({location for _, location in results}) == 1
    after = _count(engine, consultation_id)
    assert after == (before[0] + 1, before[1] + 1)


def test_concurrent_different_opinions_are_all_kept_and_counted(server):
    base, engine = server
    consultation_id = _open_consultation(engine)
    before = _count(engine, consultation_id)
    url = f"{base}/consultations/{consultation_id}/opinions/new"

    def send(index: int):
        opener, token, key = _form(base, consultation_id)
        return _post(opener, url, {"csrf_token": token, "submission_key": key, "node_id": "0",
                                   "body": f"第{index}位市民的意见：建议增加分类收集点。"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, range(40)))
    assert [status for status, _ in results] == [302] * 40
    after = _count(engine, consultation_id)
    assert after == (before[0] + 40, before[1] + 40)


def test_a_writer_turn_held_too_long_answers_busy_then_signs_in(server):
    """Another process keeps the SQLite writer turn: a sign-in is answered "busy, try
    again" (503, Retry-After) after the timeout instead of hanging, then succeeds."""
    base, engine = server
    if engine.dialect.name != "sqlite":
        pytest.skip("the writer turn exists on SQLite only")
    import fcntl

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, "identifier": "admin@qinghe.example.gov.cn",
            "password": "demo-password"}
    fd = os.open(engine.url.database + "-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        request = urllib.request.Request(f"{base}/login",
                                         data=urllib.parse.urlencode(data).encode())
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(request, timeout=20)
        waited = time.monotonic() - started
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    error = refused.value
    body = error.read().decode()
    error.close()
    assert error.code == 503
    assert error.headers["Retry-After"] == "2"
    assert "网站正忙" in body
    assert 1.4 < waited < 10
    assert _post(opener, f"{base}/login", data)[0] == 302

"""Security rules of the core: sanitizing, headers, trusted hosts."""

from __future__ import annotations

from participation.core.sanitize import plain_text
from participation.extensions import db
from participation.opinions import operations as opinion_ops
from participation.opinions.models import Opinion
from tests import factories

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f466"  # man, woman, boy joined: one family
HINDI = "\u0915\u094d\u200d\u0937"  # क्‍ष with a joiner
MALAYALAM_CHILLU = "\u0d28\u0d4d\u200c"  # ന്‌ with a non-joiner


def test_joiners_survive_sanitizing_while_other_invisible_characters_go():
    assert plain_text(f"全家{FAMILY}都支持") == f"全家{FAMILY}都支持"
    assert plain_text(HINDI) == HINDI
    assert plain_text(MALAYALAM_CHILLU + "x") == MALAYALAM_CHILLU + "x"
    assert plain_text("a\u200bb\u202ec\u2066d\u200fe") == "abcde"


def test_an_opinion_with_a_family_emoji_is_stored_as_one_family(world):
    catalogue = factories.make_catalogue(world.government)
    consultation = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    opinion, _ = opinion_ops.submit_online(
        consultation, body=f"我们一家{FAMILY}希望增设儿童游乐设施。", node_id=None,
        consent_to_publish=True, display_name="李先生", contact="", submission_key="zwj1")
    db.session.commit()
    stored = db.session.get(Opinion, opinion.id).body
    assert FAMILY in stored
    assert stored.count("\u200d") == 2


def test_a_forged_host_header_is_refused_and_never_appears_in_links(client, world):
    catalogue = factories.make_catalogue(world.government)
    factories.make_decision(catalogue, world.unit)
    db.session.commit()
    forged = client.get("/api/v1/decisions", headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert forged.get_json()["error"]["code"] == "bad_request"
    assert "evil.example" not in forged.get_data(as_text=True)
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    normal = client.get("/api/v1/decisions", headers={"Host": "localhost:5000"})
    assert normal.status_code == 200
    assert normal.get_json()["items"][0]["url"].startswith("http://localhost:5000/")


def test_trusted_hosts_come_from_the_environment(monkeypatch, tmp_path):
    from participation.config import default_config

    monkeypatch.setenv("PARTICIPATION_TRUSTED_HOSTS", "canyu.qinghe.gov.cn, .example.gov.cn")
    assert default_config(tmp_path)["TRUSTED_HOSTS"] == ["canyu.qinghe.gov.cn",
                                                         ".example.gov.cn"]
    monkeypatch.delenv("PARTICIPATION_TRUSTED_HOSTS")
    assert default_config(tmp_path)["TRUSTED_HOSTS"] == ["localhost", "127.0.0.1"]


def test_every_page_denies_browser_features_and_https_sites_send_hsts(app, client,
                                                                      monkeypatch):
    response = client.get("/login")
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_sign_in_registration_and_account_pages_are_never_stored(client, world):
    from tests.conftest import login

    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert client.get("/register").headers["Cache-Control"] == "no-store"
    with client.session_transaction() as session:
        session["registration_token"] = "x"
    assert client.get("/register/verify").headers["Cache-Control"] == "no-store"
    login(client, world.citizen)
    assert client.get("/account").headers["Cache-Control"] == "no-store"
    response = client.post("/account/password", data={"current_password": "wrong",
                                                      "new_password": "x"})
    assert response.headers["Cache-Control"] == "no-store"

"""Public pages are cached briefly for visitors without a session, never for others."""

from __future__ import annotations

import pytest

from participation.core import page_cache
from participation.extensions import db
from tests import factories
from tests.conftest import login


@pytest.fixture
def cache_on(app):
    app.config["PAGE_CACHE_SECONDS"] = 10
    page_cache.clear()
    yield
    app.config["PAGE_CACHE_SECONDS"] = 0
    page_cache.clear()


def test_anonymous_visitors_get_the_cached_page_until_it_expires(app, client, world, cache_on,
                                                                 monkeypatch):
    catalogue = factories.make_catalogue(world.government)
    db.session.commit()
    first = client.get("/catalogue?year=2026").get_data(as_text=True)
    factories.make_decision(catalogue, world.unit, title="刚刚增列的事项")
    db.session.commit()
    cached = client.get("/catalogue?year=2026").get_data(as_text=True)
    assert cached == first
    assert "刚刚增列的事项" not in cached
    later = page_cache.time.monotonic() + 11
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    assert "刚刚增列的事项" in client.get("/catalogue?year=2026").get_data(as_text=True)


def test_signed_in_people_always_get_fresh_pages(app, client, world, cache_on):
    catalogue = factories.make_catalogue(world.government)
    db.session.commit()
    client.get("/catalogue?year=2026")
    factories.make_decision(catalogue, world.unit, title="官员应当立即看到的事项")
    db.session.commit()
    login(client, world.editor)
    assert "官员应当立即看到的事项" in client.get("/catalogue?year=2026").get_data(as_text=True)


def test_each_language_is_cached_separately(app, client, world, cache_on):
    factories.make_catalogue(world.government)
    db.session.commit()
    chinese = client.get("/catalogue").get_data(as_text=True)
    client.get("/locale/en")
    english = client.get("/catalogue").get_data(as_text=True)
    assert 'lang="zh-CN"' in chinese
    assert 'lang="en"' in english


def test_errors_and_private_pages_are_not_cached(app, client, world, cache_on):
    assert client.get("/decisions/999999").status_code == 404
    catalogue = factories.make_catalogue(world.government)
    secret = factories.make_decision(catalogue, world.unit, confidential=True)
    db.session.commit()
    assert client.get(f"/decisions/{secret.id}").status_code == 404
    assert not any("/decisions/" in key[1] for key in page_cache._entries)

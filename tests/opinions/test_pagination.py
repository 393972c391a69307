"""Opinion lists and the API page by keyset (no OFFSET over long lists); the pager keeps
only the filters its view knows (issue 5, sections 1 and 2)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions import operations
from participation.opinions.models import Channel, Opinion
from tests import factories
from tests.conftest import login

NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
FIRST_PAGE = "首页"


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def _opinions(consultation, count: int, author=None, channel=Channel.ONLINE) -> list[Opinion]:
    made = []
    for index in range(count):
        if channel == Channel.ONLINE:
            opinion, _created = operations.submit_online(
                consultation, body=f"第{index}号意见，内容足够长。", node_id=None,
                consent_to_publish=True, display_name="李女士", contact=None,
                submission_key=f"key-{channel}-{index}", author=author)
        else:
            opinion = operations.record_offline(consultation, {
                "channel": channel, "reference": None, "body": f"第{index}号来电意见内容。",
                "received_at": utcnow() - timedelta(hours=1)})
        made.append(opinion)
    db.session.commit()
    return made


def _bodies(page: str) -> list[str]:
    return re.findall(r"第(\d+)号", page)


def _next(page: str) -> str | None:
    match = NEXT.search(page)
    return html.unescape(match.group(1)) if match else None


class _Statements:
    """The SQL a request sends."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, parameters, *_args) -> None:
        self.seen.append((statement, parameters))

    def listings(self) -> list[tuple[str, object]]:
        """The opinion list queries; none skips rows with OFFSET (SQLite's dialect writes
        ``OFFSET ?`` with 0)."""
        found = [(s, p) for s, p in self.seen if "FROM opinion" in s and "LIMIT" in s]
        for statement, parameters in found:
            assert "OFFSET" not in statement or list(parameters)[-1] == 0, statement
        return found


def test_the_public_list_continues_after_the_last_opinion_shown(client, consultation):
    made = _opinions(consultation, 25)
    with _Statements() as sql:
        first = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    assert _bodies(first) == [str(i) for i in range(24, 4, -1)]
    assert sql.listings()
    link = _next(first)
    assert link == f"/consultations/{consultation.id}/opinions?cursor={made[5].id}"
    assert FIRST_PAGE not in first
    with _Statements() as sql:
        second = client.get(link).get_data(as_text=True)
    assert any("opinion.id < " in statement for statement, _p in sql.listings())
    assert _bodies(second) == ["4", "3", "2", "1", "0"]
    assert _next(second) is None
    assert f'href="/consultations/{consultation.id}/opinions">{FIRST_PAGE}</a>' in second


@pytest.mark.parametrize("cursor", ["abc", "-5", "0", "⁰⁴⁵", "99999999999", "2147483648",
                                    "99999999999999999999", "1e3", "%E2%80%AE"])
def test_a_malformed_cursor_shows_the_first_page(client, consultation, world, cursor):
    _opinions(consultation, 21, author=world.moderator)
    login(client, world.moderator)
    for url in (f"/consultations/{consultation.id}/opinions",
                f"/admin/consultations/{consultation.id}/opinions", "/my/opinions"):
        response = client.get(f"{url}?cursor={cursor}")
        assert response.status_code == 200, url
        assert _bodies(response.get_data(as_text=True))[0] == "20", url


def test_the_article_filter_is_kept_on_the_next_page(client, consultation):
    article = consultation.draft_version.nodes[2]
    for index in range(22):
        operations.submit_online(consultation, body=f"第{index}号意见，针对条款。",
                                 node_id=article.id, consent_to_publish=True,
                                 display_name=None, contact=None, submission_key=f"n{index}")
    db.session.commit()
    first = client.get(f"/consultations/{consultation.id}/opinions?node={article.id}")
    link = _next(first.get_data(as_text=True))
    assert f"node={article.id}" in link
    assert _bodies(client.get(link).get_data(as_text=True)) == ["1", "0"]


def test_the_officials_list_pages_by_keyset_and_keeps_the_channel(client, consultation,
                                                                   world):
    _opinions(consultation, 3)
    _opinions(consultation, 52, channel=Channel.HOTLINE)
    login(client, world.moderator)
    url = f"/admin/consultations/{consultation.id}/opinions"
    first = client.get(url).get_data(as_text=True)
    assert "55条意见" in first
    assert first.count("/admin/opinions/") == 50
    second = client.get(_next(first)).get_data(as_text=True)
    assert second.count("/admin/opinions/") == 5
    hotline = client.get(f"{url}?channel=hotline").get_data(as_text=True)
    assert "52条意见" in hotline
    link = _next(hotline)
    assert "channel=hotline" in link
    assert "cursor=" in link
    rest = client.get(link).get_data(as_text=True)
    assert rest.count("/admin/opinions/") == 2


def test_my_opinions_page_by_keyset(client, consultation, world):
    _opinions(consultation, 23, author=world.citizen)
    login(client, world.citizen)
    first = client.get("/my/opinions").get_data(as_text=True)
    assert len(_bodies(first)) == 20
    second = client.get(_next(first)).get_data(as_text=True)
    assert _bodies(second) == ["2", "1", "0"]


def test_the_api_gives_next_links_with_a_cursor(client, consultation):
    made = _opinions(consultation, 5)
    url = f"/api/v1/consultations/{consultation.id}/opinions"
    first = client.get(f"{url}?per_page=2").get_json()
    assert [item["id"] for item in first["items"]] == [made[4].id, made[3].id]
    assert first["total"] == 5
    assert first["page"] == 1
    assert first["next_cursor"] == str(made[3].id)
    assert first["next"] == (f"http://localhost{url}?cursor={made[3].id}&per_page=2")
    second = client.get(first["next"]).get_json()
    assert [item["id"] for item in second["items"]] == [made[2].id, made[1].id]
    assert second["page"] is None
    third = client.get(second["next"]).get_json()
    assert [item["id"] for item in third["items"]] == [made[0].id]
    assert third["next"] is None
    # The first pages by number still work.
    numbered = client.get(f"{url}?per_page=2&page=2").get_json()
    assert [item["id"] for item in numbered["items"]] == [made[2].id, made[1].id]
    assert numbered["page"] == 2


@pytest.mark.parametrize("cursor", ["abc", "-1", "0", "⁰⁴⁵", "99999999999999999999", "1.5"])
def test_a_malformed_api_cursor_is_a_clear_400(client, consultation, cursor):
    response = client.get(f"/api/v1/consultations/{consultation.id}/opinions?cursor={cursor}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_parameter"
    assert "cursor" in error["message"]


def test_deep_numbered_pages_point_to_the_cursor(client, consultation):
    response = client.get(
        f"/api/v1/consultations/{consultation.id}/opinions?per_page=100&page=101")
    assert response.status_code == 400
    assert "cursor" in response.get_json()["error"]["message"]


def test_the_other_api_lists_give_next_links(client, consultation, world):
    catalogue = consultation.decision.catalogue
    for _ in range(2):
        factories.make_decision(catalogue, world.unit)
    db.session.commit()
    first = client.get("/api/v1/decisions?per_page=2&year=2026").get_json()
    assert first["next"] == "http://localhost/api/v1/decisions?year=2026&page=2&per_page=2"
    last = client.get(first["next"]).get_json()
    assert last["next"] is None
    assert len(first["items"]) + len(last["items"]) == first["total"] == 4


# The pager used to pass every query argument to url_for: these gave server errors or
# rewrote its links.
ODD_PAGER_ARGS = ["consultation_id=abc", "_method=POST", "endpoint=x", "_anchor=zz",
                  "consultation_id=2", "cursor_id=1&page=x", "government_id=9"]


@pytest.mark.parametrize("odd", ODD_PAGER_ARGS)
def test_the_keyset_pager_carries_only_its_filters(client, consultation, odd):
    made = _opinions(consultation, 45)
    url = f"/consultations/{consultation.id}/opinions"
    for query in (f"?{odd}", f"?cursor={made[30].id}&{odd}"):
        response = client.get(url + query)
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        link = _next(page)
        assert link.startswith(f"{url}?cursor=")
        assert odd.split("=")[0] not in link
        assert "#" not in link


@pytest.mark.parametrize("odd", ODD_PAGER_ARGS)
def test_the_numbered_pager_carries_only_its_filters(client, world, odd):
    catalogue = factories.make_catalogue(world.government)
    for _ in range(50):
        factories.make_decision(catalogue, world.unit)
    db.session.commit()
    response = client.get(f"/catalogue?page=2&year=2026&{odd}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    prev = html.unescape(re.search(r'<a rel="prev" href="([^"]+)"', page).group(1))
    assert prev == "/catalogue?year=2026&page=1"
    first = client.get(f"/catalogue?year=2026&{odd}").get_data(as_text=True)
    assert _next(first) == "/catalogue?year=2026&page=2"


def test_keyset_reads_use_an_index_on_the_list_order(app, consultation):
    """The officials' list at scale reads (consultation_id, id) from an index."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the query plan is checked on SQLite")
    plan = db.session.execute(sa.text(
        "EXPLAIN QUERY PLAN SELECT id FROM opinion WHERE consultation_id = 1 AND id < 100 "
        "ORDER BY id DESC LIMIT 51")).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "ix_opinion_consultation_list" in details
    assert "TEMP B-TREE" not in details

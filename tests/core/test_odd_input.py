"""Whatever a visitor types into an address or a form field gives a page or a clear error,
never a server error.

The query-string walk finds, for every GET route, the arguments its view reads (by
recording them during one valid request), then sends each odd value in each of those
arguments on its own, with every other argument valid, so that no early 404 hides a
later failure.
"""

from __future__ import annotations

import re

import pytest
from flask import url_for
from werkzeug.datastructures import ImmutableMultiDict

from participation.opinions import operations as opinion_ops
from tests import factories
from tests.conftest import login

# Naughty strings (a subset of the Big List of Naughty Strings, and what broke before).
ODD_VALUES = [
    "-1", "0", "99999999999", "99999999999999999999", "9223372036854775808", "1e10",
    "⁰⁴⁵", "١٢٣", "１２", "½", "1_0", " 1", "0x10", "NaN", "nil", "<x>", "'; drop table",
    "\u0000", "\u202e", "𝕏", "👨‍👩‍👦", "%%%", "a" * 500, "../../etc/passwd", "{{7*7}}",
    "true", "[]",
]
# Arguments the pager and url_for take specially: must never reach url_for as such.
PAGER_TRAPS = {"consultation_id": "abc", "_method": "POST", "endpoint": "x",
               "_anchor": "zz", "_external": "1", "_scheme": "javascript"}


class RecordingArgs(ImmutableMultiDict):
    """Remembers which argument names a view asked for."""

    seen: set[str] = set()

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's name
        RecordingArgs.seen.add(key)
        return super().get(key, default, type)

    def __getitem__(self, key):
        RecordingArgs.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingArgs.seen.add(key)
        return super().__contains__(key)


@pytest.fixture
def values(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    opinion, _ = opinion_ops.submit_online(
        consultation, body="一条用于检查异常输入的意见。", node_id=None, consent_to_publish=True,
        display_name=None, contact=None, submission_key="odd")
    for n in range(25):  # enough for a second page everywhere
        opinion_ops.submit_online(
            consultation, body=f"第{n}条用于翻页的意见。", node_id=None, consent_to_publish=True,
            display_name=None, contact=None, submission_key=f"odd-{n}")
    copy, _ = opinion_ops.submit_online(  # the same words again: a group of opinions
        consultation, body="一条用于检查异常输入的意见！", node_id=None, consent_to_publish=True,
        display_name=None, contact=None, submission_key="odd-copy")
    assert copy.group_id is not None
    from tests.meetings.conftest import make_drawn_meeting
    from tests.opendays.factories import make_open_day
    from tests.opendays.factories import sign_up as open_day_sign_up

    open_day = make_open_day(world)
    signup = open_day_sign_up(open_day, 1)
    meeting, application, entry = make_drawn_meeting(world, decision)
    return {"meeting_id": meeting.id, "item_id": meeting.agenda_items[0].id,
            "application_id": application.id, "entry_id": entry.id,
            "open_day_id": open_day.id, "signup_id": signup.id, "token": signup.token,
            "group_id": copy.group_id, "government_id": world.government.id,
            "unit_id": world.unit.id,
            "user_id": world.editor.id, "membership_id": world.editor.memberships[0].id,
            "catalogue_id": catalogue.id, "decision_id": decision.id, "document_id": 1,
            "attachment_id": 1, "consultation_id": consultation.id, "opinion_id": opinion.id,
            "anchor": "article-1", "number": opinion.receipt_number, "code": "en",
            "task_id": 1, "year": 2026, "fmt": "csv", "import_id": 1}


def _get_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static"]


def _read_arguments(app, client, url: str) -> set[str]:
    original = app.request_class.parameter_storage_class
    app.request_class.parameter_storage_class = RecordingArgs
    RecordingArgs.seen = set()
    try:
        client.get(url).close()
    finally:
        app.request_class.parameter_storage_class = original
    return set(RecordingArgs.seen)


@pytest.mark.parametrize("who", ["visitor", "administrator"])
def test_each_query_argument_alone_never_causes_a_server_error(app, client, world, values,
                                                                who):
    if who == "administrator":
        login(client, world.admin)
    walked = 0
    for rule in _get_rules(app):
        with app.test_request_context():
            url = url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})
        arguments = _read_arguments(app, client, url) | {"page"}
        for name in sorted(arguments):
            for value in ODD_VALUES:
                response = client.get(url, query_string={name: value})
                assert response.status_code < 500, (rule.endpoint, name, value)
                response.close()
                walked += 1
    assert walked > 500  # the walk reached the views' arguments


def test_the_pager_carries_only_the_filters_it_knows(client, values):
    consultation_id = values["consultation_id"]
    base = f"/consultations/{consultation_id}/opinions"
    for name, value in PAGER_TRAPS.items():
        response = client.get(base, query_string={"page": "1", name: value})
        assert response.status_code == 200, (name, response.status_code)
        page = response.get_data(as_text=True)
        links = re.findall(r'rel="(?:next|prev)" href="([^"]*)"', page)
        assert links, name  # there is a next page to link to
        for link in links:
            assert link.startswith(base + "?"), (name, link)
            assert name not in link, (name, link)
            assert "#" not in link, (name, link)


def test_nul_bytes_in_any_form_field_are_a_bad_request(client, world):
    for path, data in (("/login", {"identifier": "a\x00b", "password": "x"}),
                       ("/register", {"identifier": "138\x000001001", "display_name": "x",
                                      "password": "x"}),
                       ("/receipts", None)):
        response = client.post(path, data=data) if data else client.get(
            path, query_string={"number": "\x00"})
        assert response.status_code == 400, path


def test_odd_form_values_never_cause_a_server_error(client, world, values):
    consultation_id = values["consultation_id"]
    for data in ({"node_id": "abc", "body": "x" * 10}, {"node_id": "-1", "body": "有效的意见内容"},
                 {"node_id": "99999999999999999999", "body": "很大的条文编号也不应出错"},
                 {"body": "\u0000\u202e隐藏字符的意见内容"}, {"submission_key": "k" * 500,
                                                          "body": "很长的提交标识也不应出错"}):
        response = client.post(f"/consultations/{consultation_id}/opinions/new", data=data)
        assert response.status_code in (302, 400), data
    login(client, world.approver)
    response = client.post(f"/admin/decisions/{values['decision_id']}/stage",
                           data={"stage": "nonsense", "occurred_on": "2026-13-45"})
    assert response.status_code == 302
    response = client.post(f"/admin/decisions/{values['decision_id']}/consultations/new",
                           data={"title": "x", "text": "第一条　内容",
                                 "opens_at": "2026-01-01T00:00",
                                 "closes_at": "9999-12-31T23:59"})
    assert response.status_code < 500

"""The audit log reads as sentences: translated actions, linked objects, readable values."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from participation.core.audit_labels import ACTION_LABELS
from participation.extensions import db
from tests import factories
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


def _rows(page: str) -> list[str]:
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    return body.split("<tr ")[1:]


def test_every_action_key_has_a_label():
    keys = set()
    for path in (ROOT / "participation").rglob("*.py"):
        # The first argument of every audit.record(...) call, with both keys of a ternary.
        for first in re.findall(r"audit\.record\(\s*([^,]+),", path.read_text()):
            keys |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', first))
    assert {"consultation.opened", "official.deactivated"} <= keys
    assert not keys - set(ACTION_LABELS), sorted(keys - set(ACTION_LABELS))


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    db.session.commit()
    return consultation


def test_actions_are_named_objects_linked_and_values_readable(client, world, consultation):
    login(client, world.admin)
    response = client.get(f"/admin/governments/{world.government.id}/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    rows = {re.search(r'data-action="([^"]+)"', row).group(1): row for row in _rows(page)}
    opened = rows["consultation.opened"]
    assert "发布征求意见" in opened
    assert f'href="/admin/consultations/{consultation.id}"' in opened
    assert "征求意见 #" in opened
    # Dates in local time, not ISO strings; no JSON.
    text = html.unescape(re.sub(r"<[^>]+>", " ", opened))
    assert "截止时间" in text
    assert "T" not in re.sub(r"[^T0-9:-]", " ", text).replace(" ", "")  # no 2026-03-01T08:00
    assert "{" not in text
    assert "&#34;" not in page
    assert "&quot;" not in page
    # A stage change: field name translated, old → new with the stage labels.
    stage = html.unescape(re.sub(r"<[^>]+>", "", rows["decision.stage_changed"]))
    assert "进入新阶段" in stage
    assert re.search(r"环节: 起草\S* → 公开征求意见", stage), stage
    assert f'href="/admin/decisions/{consultation.decision_id}"' in rows["decision.stage_changed"]
    # The catalogue's publication date is a date.
    published = html.unescape(re.sub(r"<[^>]+>", "", rows["catalogue.published"]))
    assert "发布目录" in published
    assert re.search(r"\d{4}-\d{2}-\d{2}", published)
    # Field names per kind of object; unit ids shown as unit names.
    assert "单位名称: 农业农村办公室" in html.unescape(re.sub(r"<[^>]+>", "", rows["unit.created"]))
    added = html.unescape(re.sub(r"<[^>]+>", "", rows["decision.added"]))
    assert "承办单位: 农业农村办公室" in added
    assert "依法应当保密: 否" in added


def test_filter_by_action(client, world, consultation):
    login(client, world.admin)
    page = client.get(f"/admin/governments/{world.government.id}/audit"
                      "?action=consultation.opened").get_data(as_text=True)
    actions = re.findall(r'<tr data-action="([^"]+)"', page)
    assert actions == ["consultation.opened"]
    assert '<option value="consultation.opened" selected>' in page
    # A domain prefix still narrows to that domain; odd values give an empty list, not a 500.
    page = client.get(f"/admin/governments/{world.government.id}/audit?action=decision."
                      ).get_data(as_text=True)
    assert set(re.findall(r'<tr data-action="([^"]+)"', page)) == {
        "decision.added", "decision.stage_changed"}
    response = client.get(f"/admin/governments/{world.government.id}/audit?action=%25_")
    assert response.status_code == 200
    assert re.findall(r'<tr data-action="', response.get_data(as_text=True)) == []


def test_english_labels(client, world, consultation):
    login(client, world.admin)
    client.set_cookie("locale", "en")
    page = client.get(f"/admin/governments/{world.government.id}/audit").get_data(as_text=True)
    assert "Consultation opened" in page
    assert "Decision moved to a new stage" in page

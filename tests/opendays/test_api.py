"""API v1 of open days: counts, never personal data; JSON errors."""

from __future__ import annotations

import json

from participation.extensions import db
from tests.opendays.factories import make_open_day, sign_up


def test_the_api_lists_open_days_with_counts_only(client, world):
    open_day = make_open_day(world, capacity=1)
    signup = sign_up(open_day, 1)
    waiting = sign_up(open_day, 2)
    make_open_day(world, publish=False, title="未发布的开放日")
    db.session.commit()
    response = client.get(f"/api/v1/open-days?government={world.government.slug}")
    assert response.status_code == 200
    data = response.get_json()
    assert [item["title"] for item in data["items"]] == ["营商环境政府开放日"]
    item = data["items"][0]
    assert (item["capacity"], item["confirmed"], item["waitlisted"], item["checked_in"]) == (
        1,
        1,
        1,
        0,
    )
    one = client.get(f"/api/v1/open-days/{open_day.id}").get_json()
    assert one["places_left"] == 0
    assert one["url"].endswith(f"/open-days/{open_day.id}")
    text = json.dumps([data, one], ensure_ascii=False)
    for private in (signup.name, signup.mobile, waiting.name, waiting.code, signup.token):
        assert private not in text


def test_unknown_or_unpublished_open_days_are_json_404(client, world):
    draft = make_open_day(world, publish=False)
    db.session.commit()
    for path in (f"/api/v1/open-days/{draft.id}", "/api/v1/open-days/999999"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    bad = client.get(f"/api/v1/open-days?government={world.government.slug}&page=x")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "bad_parameter"

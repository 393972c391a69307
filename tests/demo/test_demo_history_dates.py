"""The demo catalogue's public history is dated over the year, not all on the loading day."""

from __future__ import annotations

import sqlalchemy as sa

from participation.catalogue.models import Catalogue, CatalogueChange, ChangeKind
from participation.core.timeutil import local_today
from participation.demo import loader
from participation.extensions import db


def test_history_entries_are_spread_after_the_publication(client, app):
    loader.load_demo()
    db.session.commit()
    catalogue = db.session.scalars(sa.select(Catalogue)).one()
    changes = db.session.scalars(sa.select(CatalogueChange).order_by(CatalogueChange.id)).all()
    assert len(changes) >= 3
    dates = [change.occurred_on for change in changes]
    today = local_today()
    assert all(catalogue.published_on < d < today for d in dates), (catalogue.published_on, dates)
    assert len(set(dates)) == len(dates)
    assert dates == sorted(dates)
    assert max(dates) - min(dates) > (today - catalogue.published_on) / 3
    # An entry added later began its drafting the day it was added.
    added = next(c for c in changes if c.kind == ChangeKind.ADDED)
    assert added.decision.stage_changes[0].occurred_on == added.occurred_on
    page = client.get("/catalogue/history").get_data(as_text=True)
    assert today.isoformat() not in page
    for d in dates:
        assert d.isoformat() in page

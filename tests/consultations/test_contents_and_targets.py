"""A long draft has a table of contents by chapter, one control per article, and
24 × 24 px targets."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from participation.consultations.models import Consultation, DraftNode
from participation.core.database import utcnow
from participation.demo import loader
from participation.extensions import db
from tests import factories

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"


def _actions(page: str) -> list[str]:
    return re.findall(r'<p class="node-actions">(.*?)</p>', page, flags=re.S)


def test_the_open_demo_draft_has_contents_and_one_control_per_article(client, app):
    loader.load_demo()
    db.session.commit()
    consultation = db.session.scalars(sa.select(Consultation).where(
        Consultation.is_open_at(utcnow()))).one()
    chapters = db.session.scalars(sa.select(DraftNode).where(
        DraftNode.version_id == consultation.draft_version_id,
        DraftNode.kind == "chapter").order_by(DraftNode.position)).all()
    articles = db.session.scalar(sa.select(sa.func.count(DraftNode.id)).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.kind == "article"))
    assert len(chapters) >= 2
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    contents = page[page.index('id="contents"'):page.index("</nav>", page.index('id="contents"'))]
    for chapter in chapters:
        assert f'href="#{chapter.anchor}"' in contents
        assert chapter.label in contents
    assert page.count('href="#contents"') == len(chapters)
    actions = _actions(page)
    assert len(actions) == articles
    assert all(a.count("<a ") == 1 for a in actions)
    assert all("/opinions/new?node=" in a for a in actions)
    assert 'class="permalink"' not in page


def test_a_closed_draft_offers_its_opinions_or_nothing(client, world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    factories.close(consultation)
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    actions = _actions(page)
    assert actions
    assert all(a.count("<a ") == 0 for a in actions)  # no opinions yet: plain text
    assert all("0条意见" in a for a in actions)


def test_targets_are_at_least_24_pixels():
    css = CSS.read_text(encoding="utf-8")
    rule = re.search(r"([^{}]*\.node-actions a[^{}]*)\{([^}]*)\}", css.split("WCAG 2.5.8")[1])
    assert rule is not None
    assert "min-height: 24px" in rule.group(2)
    assert "min-width: 24px" in rule.group(2)
    assert ".toc a" in rule.group(1)

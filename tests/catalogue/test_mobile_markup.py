"""Narrow screens: the header is one row with a menu that opens without JavaScript, and the
catalogue table turns into cards whose cells carry their column's label."""

from __future__ import annotations

import re
from pathlib import Path

from tests import factories

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"


def test_the_header_has_a_disclosure_menu_with_every_link(client, world):
    page = client.get("/").get_data(as_text=True)
    menu = re.search(r'<details class="menu">(.*?)</details>', page, re.S)
    assert menu, "no <details> menu in the header"
    assert "<summary>菜单</summary>" in menu.group(1)
    for href in ("/catalogue", "/consultations", "/receipts", "/login", "/register",
                 "/locale/en"):
        assert f'href="{href}' in menu.group(1), href
    assert "<script" not in page
    css = STYLESHEET.read_text()
    narrow = css[css.index("@media (max-width: 40rem)"):]
    assert re.search(r"\.main-nav, \.locale-switch \{ display: none; \}", narrow)
    assert re.search(r"\.menu \{ display: block;", narrow)
    assert re.search(r"^\.menu \{ display: none; \}", css, re.M)  # wide screens: the row


def test_catalogue_cells_carry_their_column_labels(client, world):
    catalogue = factories.make_catalogue(world.government)
    factories.make_decision(catalogue, world.unit, title="农村生活垃圾分类管理办法")
    page = client.get("/catalogue?year=2026").get_data(as_text=True)
    row = page[page.index("<tbody>"):page.index("</tr>", page.index("<tbody>"))]
    labels = re.findall(r'data-label="([^"]+)"', row)
    assert labels == ["序号", "决策事项", "承办单位", "计划完成时间", "当前环节",
                      "决策档案"], labels
    css = STYLESHEET.read_text()
    narrow = css[css.index("@media (max-width: 40rem)"):]
    assert "content: attr(data-label)" in narrow
    assert re.search(r"table\.catalogue tr \{[^}]*border", narrow)

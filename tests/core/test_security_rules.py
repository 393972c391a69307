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

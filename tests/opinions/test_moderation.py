"""Moderation: set_moderation_state keeps the counters in step (and `flask opinions recount`
agrees), the initial state on every write path, sensitive words matched per government."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.consultations import operations as consultation_ops
from participation.consultations.models import Consultation, ModerationMode
from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions import moderation, moderation_words
from participation.opinions import operations as opinion_ops
from participation.opinions.counters import recount_counters
from participation.opinions.models import ModerationReason, ModerationState, Opinion
from participation.opinions.moderation import ModerationError, set_moderation_state
from participation.opinions.moderation_models import ModerationSettings
from tests import factories


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def submit(consultation, body="建议明确适用范围，包括镇区和各行政村。", consent=True,
           name="李女士", key=None) -> Opinion:
    opinion, _created = opinion_ops.submit_online(
        consultation, body=body, node_id=None, consent_to_publish=consent,
        display_name=name, contact=None, submission_key=key or f"k{utcnow().timestamp()}")
    return opinion


def record(consultation, body="来信建议增加停车位。", consent=True) -> Opinion:
    return opinion_ops.record_offline(consultation, {
        "channel": "letter", "received_at": utcnow() - timedelta(hours=1),
        "body": body, "consent_to_publish": consent})


def public_count(consultation) -> int:
    db.session.expire(consultation)
    return db.session.get(Consultation, consultation.id).public_opinion_count


def test_hiding_and_publishing_move_the_public_counter_and_recount_agrees(consultation,
                                                                          world):
    shown = submit(consultation, key="a")
    private = submit(consultation, consent=False, key="b")
    assert public_count(consultation) == 1
    changed = set_moderation_state([shown, private], ModerationState.HIDDEN,
                                   ModerationReason.SPAM, actor=world.moderator)
    assert {o.id for o in changed} == {shown.id, private.id}
    assert public_count(consultation) == 0
    # Hiding never removes from the totals.
    assert db.session.get(Consultation, consultation.id).opinion_count == 2
    factories.assert_counters_agree()
    assert recount_counters() == []
    # Hiding again with the same reason changes nothing and counts nothing twice.
    assert set_moderation_state([shown], "hidden", "spam", actor=world.moderator) == []
    assert public_count(consultation) == 0
    # A new reason is a change, still not public.
    assert set_moderation_state([shown], "hidden", "abusive") == [shown]
    assert shown.moderation_reason == ModerationReason.ABUSIVE
    set_moderation_state([shown, private], ModerationState.PUBLISHED, actor=world.moderator)
    assert shown.moderation_state == ModerationState.PUBLISHED
    assert shown.moderation_reason is None
    assert public_count(consultation) == 1
    factories.assert_counters_agree()
    set_moderation_state([shown], ModerationState.PENDING)
    assert shown.pending_since is not None
    assert public_count(consultation) == 0
    factories.assert_counters_agree()
    entries = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "opinion.moderated", AuditEntry.object_id == shown.id)
        .order_by(AuditEntry.id)).all()
    assert [e.changes["moderation_state"] for e in entries] == [
        ["published", "hidden"], ["hidden", "hidden"], ["hidden", "published"],
        ["published", "pending"]]
    assert entries[0].actor_id == world.moderator.id


def test_a_counter_corrupted_behind_its_back_is_seen_by_recount(consultation):
    """The check above can fail: a direct state change without the operation is caught."""
    opinion = submit(consultation)
    db.session.execute(sa.update(Opinion).where(Opinion.id == opinion.id)
                       .values(moderation_state=ModerationState.HIDDEN))
    mismatches = recount_counters()
    assert [(m.column, m.stored, m.counted) for m in mismatches] == [
        ("public_opinion_count", 1, 0)]


def test_hiding_needs_a_reason_and_other_needs_a_note(consultation):
    opinion = submit(consultation)
    with pytest.raises(ModerationError) as missing:
        set_moderation_state([opinion], ModerationState.HIDDEN)
    assert missing.value.code == "reason_required"
    with pytest.raises(ModerationError) as bogus:
        set_moderation_state([opinion], ModerationState.HIDDEN, "bogus")
    assert bogus.value.code == "reason_required"
    with pytest.raises(ModerationError) as note:
        set_moderation_state([opinion], ModerationState.HIDDEN, ModerationReason.OTHER,
                             "   ")
    assert note.value.code == "note_required"
    with pytest.raises(ModerationError) as nothing:
        set_moderation_state([], ModerationState.PUBLISHED)
    assert nothing.value.code == "nothing_selected"
    set_moderation_state([opinion], ModerationState.HIDDEN, ModerationReason.OTHER,
                         "与本草案无关的广告链接")
    db.session.expire_all()
    stored = db.session.get(Opinion, opinion.id)
    assert stored.moderation_state == ModerationState.HIDDEN
    assert stored.moderation_note == "与本草案无关的广告链接"
    assert db.session.scalar(sa.select(sa.func.count(Opinion.id))) == 1  # never deleted


def _import(consultation, data: bytes):
    return factories.import_file(consultation, data)


def test_pre_moderation_holds_every_channel_and_counts_nothing_public(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision, moderation_mode="pre")
    assert consultation.moderation_mode == ModerationMode.PRE
    online = submit(consultation)
    offline = record(consultation)
    csv = ("reference,channel,received_at,article,body,name,contact,consent_to_publish\n"
           "T-1,hotline,2026-01-05 09:00,,热线来电建议延长开放时间。,,,是\n").encode()
    outcome = _import(consultation, csv)
    assert outcome.stored is not None, outcome.errors
    imported = db.session.scalars(sa.select(Opinion).where(
        Opinion.import_id == outcome.record.id)).all()
    assert len(imported) == 1
    for opinion in [online, offline, *imported]:
        assert opinion.moderation_state == ModerationState.PENDING
        assert opinion.pending_since is not None
        assert opinion.moderation_flags is None
    assert public_count(consultation) == 0
    assert db.session.get(Consultation, consultation.id).opinion_count == 3
    factories.assert_counters_agree()
    set_moderation_state([online, offline], ModerationState.PUBLISHED)
    assert public_count(consultation) == 2
    factories.assert_counters_agree()


def test_the_mode_can_be_changed_and_is_audited(consultation, world):
    consultation_ops.set_moderation_mode(consultation, ModerationMode.PRE, actor=world.approver)
    assert submit(consultation).moderation_state == ModerationState.PENDING
    entry = db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "consultation.moderation_mode_changed"))
    assert entry.changes == {"moderation_mode": ["post", "pre"]}


def test_a_sensitive_word_holds_the_opinion_with_the_rule_that_fired(consultation, world):
    added = moderation_words.add_words(world.government, ["代开发票", "ＶＰＮ", "代开发票", ""],
                                       actor=world.admin)
    assert added == 2
    # Full-width and upper case match the same word (NFKC, case folding).
    held = submit(consultation, body="出售vpn账号，另可代开发票，联系我。", key="w1")
    clean = submit(consultation, body="建议增加公共停车位的数量。", key="w2")
    named = submit(consultation, body="建议增加公共停车位的数量。", name="代开发票小王",
                   key="w3")
    assert held.moderation_state == ModerationState.PENDING
    assert held.moderation_flags == {"words": ["vpn", "代开发票"]}
    assert clean.moderation_state == ModerationState.PUBLISHED
    assert named.moderation_flags == {"words": ["代开发票"]}
    offline = record(consultation, body="来信称可以代开发票。")
    assert offline.moderation_state == ModerationState.PENDING
    assert public_count(consultation) == 1
    factories.assert_counters_agree()


def test_each_government_has_its_own_list(consultation, world):
    other = factories.make_government()
    moderation_words.add_words(other, ["停车位"])
    assert submit(consultation, body="建议增加公共停车位的数量。").moderation_state \
        == ModerationState.PUBLISHED
    assert moderation_words.matched_words(other.id, "建议增加公共停车位") == ["停车位"]
    assert moderation_words.matched_words(world.government.id, "建议增加公共停车位") == []


def test_a_change_made_by_another_server_is_seen_through_the_version(consultation, world):
    moderation_words.add_words(world.government, ["赌博"])
    db.session.commit()
    assert moderation_words.matched_words(world.government.id, "网络赌博") == ["赌博"]
    version = db.session.get(ModerationSettings, world.government.id).word_list_version
    # Another server adds a word: the row and the version change in the database only;
    # this process's cached automaton is not told.
    db.session.execute(sa.text(
        "INSERT INTO sensitive_word (government_id, word, created_at, updated_at) "
        "VALUES (:g, '彩票', :now, :now)"), {"g": world.government.id, "now": utcnow()})
    db.session.execute(sa.update(ModerationSettings)
                       .where(ModerationSettings.government_id == world.government.id)
                       .values(word_list_version=version + 1, updated_at=utcnow()))
    db.session.commit()
    assert moderation_words.matched_words(world.government.id, "网络彩票") == ["彩票"]
    # Without a version change the cached automaton stays (no query per text).
    db.session.execute(sa.text(
        "INSERT INTO sensitive_word (government_id, word, created_at, updated_at) "
        "VALUES (:g, '代购', :now, :now)"), {"g": world.government.id, "now": utcnow()})
    db.session.commit()
    assert moderation_words.matched_words(world.government.id, "海外代购") == []


def test_removing_a_word_stops_matching_it(world):
    moderation_words.add_words(world.government, ["赌博", "彩票"])
    from participation.opinions.moderation_models import SensitiveWord

    word_id = db.session.scalar(sa.select(SensitiveWord.id).where(SensitiveWord.word == "赌博"))
    assert moderation_words.remove_words(world.government, [word_id, 999_999]) == 1
    assert moderation_words.matched_words(world.government.id, "赌博 彩票") == ["彩票"]


def test_word_files_in_utf8_and_gbk(world):
    utf8 = "\ufeff赌博\n彩票\n\n# 注释\n赌博\n".encode()
    assert moderation_words.import_words(world.government, utf8) == 2
    gbk = "彩票\n代开发票\r\n".encode("gbk")
    assert moderation_words.import_words(world.government, gbk) == 1
    assert moderation_words.word_count(world.government.id) == 3
    with pytest.raises(ModerationError):
        moderation_words.import_words(world.government, b"\x00\x01binary")


def test_the_moderation_log_counts_by_reason(consultation):
    spam = [submit(consultation, key=f"s{i}") for i in range(2)]
    abusive = submit(consultation, key="x")
    waiting = submit(consultation, key="y")
    submit(consultation, key="z")
    set_moderation_state(spam, "hidden", "spam")
    set_moderation_state([abusive], "hidden", "abusive")
    set_moderation_state([waiting], "pending")
    db.session.expire(consultation)
    log = moderation.moderation_log(consultation)
    assert (log.total, log.pending, log.not_published, log.published) == (5, 1, 4, 1)
    assert log.hidden == {ModerationReason.SPAM: 2, ModerationReason.ABUSIVE: 1}
    assert log.as_json()["hidden_by_reason"] == {"abusive": 1, "spam": 2}


def test_two_moderators_acting_on_stale_pages_count_the_change_once(consultation, world):
    """Each moderator loaded the opinion as published; both hide it. The conditional
    UPDATE looks at the stored state, so the public counter moves once."""
    from sqlalchemy.orm.attributes import set_committed_value

    opinion = submit(consultation)
    db.session.commit()
    set_moderation_state([opinion], "hidden", "spam", actor=world.moderator)
    # The second moderator's copy still says published (a page loaded earlier).
    set_committed_value(opinion, "moderation_state", ModerationState.PUBLISHED)
    changed = set_moderation_state([opinion], "hidden", "abusive", actor=world.admin)
    assert changed == [opinion]  # the reason changed …
    assert public_count(consultation) == 0  # … and it left the public count once
    factories.assert_counters_agree()
    set_moderation_state([opinion], "published")
    set_committed_value(opinion, "moderation_state", ModerationState.HIDDEN)
    assert set_moderation_state([opinion], "published") == []
    assert public_count(consultation) == 1
    factories.assert_counters_agree()

"""Concentrated opinions: automatic groups as opinions arrive, people and opinion counts,
the officials' groups pages (merge, split, name, candidates, disposition, threshold)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions import operations as opinion_operations
from participation.opinions.grouping import generator
from participation.opinions.grouping.engine import group_texts, similarity
from participation.opinions.grouping.models import GroupKind, OpinionFingerprint
from participation.opinions.grouping.normalise import (
    comparison_text,
    exact_key,
    normalise,
    normalise_both,
    person_key,
)
from participation.opinions.models import Disposition, Opinion, OpinionGroup
from tests import factories
from tests.conftest import login

CAMPAIGN = ("第十条关于停车收费标准的规定，建议降低夜间收费时段的价格，否则会加重困难群众负担。"
            "小区周边停车位严重不足，建议增加公共停车泊位。")
OTHER = ("第三条关于垃圾分类投放点的规定，希望尽快落实维护责任，周边居民反映强烈。"
         "我家住在新华路，每天早上都能闻到异味。")


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def record(consultation, body: str, *, name: str | None = None, contact: str | None = None,
           reference: str | None = None, channel: str = "hotline") -> Opinion:
    opinion = opinion_operations.record_offline(consultation, {
        "channel": channel, "received_at": utcnow() - timedelta(minutes=1), "body": body,
        "display_name": name, "contact": contact, "reference": reference,
        "consent_to_publish": True})
    db.session.flush()
    return opinion


def test_normalising_folds_width_punctuation_spaces_and_case():
    assert normalise("第５条， 应当删除！ＡＢＣ") == "第5条应当删除abc"
    assert normalise("第5条应当删除abc") == "第5条应当删除abc"
    assert exact_key(normalise("建议 取消。")) == exact_key(normalise("建议取消"))
    assert exact_key("建议取消") != exact_key("建议保留")
    # Sentences in another order compare as the same text.
    assert comparison_text("甲乙丙。丁戊己！") == "甲乙丙 丁戊己"
    assert similarity("甲乙丙丁。戊己庚辛！", "戊己庚辛，。甲乙丙丁") == 100
    assert similarity(CAMPAIGN, OTHER) < 50
    # One pass gives what normalise gives, for every generated text too.
    for text in [o.body for o in generator.generate(300, seed=2)] + ["㈠第一。3.5元！ab_c"]:
        assert normalise_both(text)[0] == normalise(text)


def test_one_person_is_the_account_the_contact_or_the_name_on_one_channel():
    assert person_key(1, 7, "139", "张三", "online") == person_key(2, 7, None, None, "hotline")
    assert person_key(1, None, "+86 139-0000-1111", None, "hotline") == person_key(
        2, None, "13900001111", "李四", "letter")
    assert person_key(1, None, None, "张伟", "hotline") == person_key(2, None, None, "张伟",
                                                                    "hotline")
    assert person_key(1, None, None, "张伟", "hotline") != person_key(2, None, None, "张伟",
                                                                    "letter")
    assert person_key(1, None, None, None, "online") != person_key(2, None, None, None,
                                                                   "online")
    # Contacts are not stored in the clear.
    assert "139" not in person_key(1, None, "13900001111", None, "hotline")


def test_edited_copies_are_grouped_as_they_arrive_and_people_are_counted_once(consultation):
    first = record(consultation, CAMPAIGN, name="王伟", contact="13900001111")
    assert first.group_id is None
    # The same person again, re-punctuated: one more opinion, still one person.
    again = record(consultation, CAMPAIGN.replace("，", " ") + "！！", name="王伟",
                   contact="139 0000 1111")
    group = db.session.get(OpinionGroup, again.group_id)
    assert group is not None
    assert first.group_id == group.id
    assert (group.opinion_count, group.people_count) == (2, 1)
    # Someone else, with a word deleted, a sentence moved and a name appended.
    edited = ("小区周边停车位严重不足，建议增加公共停车泊位。第十条关于停车收费标准的规定，"
              "建议降低夜间收费时段的价格，否则会加重群众负担。李娜 城关镇居民")
    third = record(consultation, edited, name="李娜", contact="13800002222")
    assert third.group_id == group.id
    unrelated = record(consultation, OTHER, name="赵强")
    assert unrelated.group_id is None
    db.session.refresh(group)
    assert (group.opinion_count, group.people_count) == (3, 2)
    assert group.representative_opinion_id == first.id
    assert db.session.get(OpinionFingerprint, third.id).person_key != db.session.get(
        OpinionFingerprint, first.id).person_key


def test_generated_campaigns_are_found_and_unrelated_opinions_stay_apart():
    opinions = generator.generate(3000, seed=11)
    labels = group_texts([o.body for o in opinions])
    by_campaign: dict[int, list[int]] = {}
    for opinion, label in zip(opinions, labels.tolist(), strict=True):
        if opinion.campaign is not None:
            by_campaign.setdefault(opinion.campaign, []).append(label)
    found = sum(max(labels_.count(x) for x in set(labels_)) for labels_ in by_campaign.values())
    members = sum(len(labels_) for labels_ in by_campaign.values())
    assert found / members >= 0.95
    sizes = {label: int((labels == label).sum()) for label in set(labels.tolist())}
    unrelated = [label for opinion, label in zip(opinions, labels.tolist(), strict=True)
                 if opinion.campaign is None]
    assert sum(1 for label in unrelated if sizes[label] > 1) / len(unrelated) <= 0.01


def _two_groups(consultation):
    a = [record(consultation, CAMPAIGN + f"（{n}）", reference=f"A{n}") for n in range(3)]
    b = [record(consultation, OTHER + f"（{n}）", reference=f"B{n}") for n in range(3)]
    assert len({o.group_id for o in a}) == 1
    assert len({o.group_id for o in b}) == 1
    return (db.session.get(OpinionGroup, a[0].group_id),
            db.session.get(OpinionGroup, b[0].group_id), a, b)


def test_an_official_merges_two_groups_names_and_disposes_them(client, world, consultation):
    first, second, a, b = _two_groups(consultation)
    login(client, world.moderator)
    page = client.get(f"/admin/consultations/{consultation.id}/groups").get_data(as_text=True)
    assert f'value="{first.id}"' in page
    assert f'value="{second.id}"' in page
    response = client.post(f"/admin/consultations/{consultation.id}/groups/merge",
                           data={"group_ids": [str(first.id), str(second.id)]})
    assert response.status_code == 302
    db.session.expire_all()
    merged = db.session.get(OpinionGroup, first.id) or db.session.get(OpinionGroup, second.id)
    gone = second.id if merged.id == first.id else first.id
    assert db.session.get(OpinionGroup, gone) is None
    assert (merged.opinion_count, merged.kind) == (6, GroupKind.MANUAL)
    assert {o.group_id for o in (*a, *b)} == {merged.id}
    assert merged.confirmed_by_id == world.moderator.id
    # Six opinions make a concentrated opinion (default threshold 5): a reason is needed.
    response = client.post(f"/admin/groups/{merged.id}/disposition",
                           data={"disposition": "adopted", "reason": ""})
    assert response.status_code == 400
    assert "较为集中意见无论是否采纳，都须说明理由" in response.get_data(as_text=True)
    client.post(f"/admin/groups/{merged.id}/summary", data={"summary": "降低夜间停车收费"})
    client.post(f"/admin/groups/{merged.id}/disposition",
                data={"disposition": "not_adopted", "reason": "收费标准由省级价格主管部门核定。"})
    db.session.expire_all()
    assert merged.summary == "降低夜间停车收费"
    assert merged.disposition == Disposition.NOT_ADOPTED
    members = db.session.scalars(sa.select(Opinion).where(Opinion.group_id == merged.id)).all()
    assert {(o.disposition, o.disposition_reason) for o in members} == {
        (Disposition.NOT_ADOPTED, "收费标准由省级价格主管部门核定。")}
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_type == "opinion_group")))
    assert {"opinion_group.merged", "opinion_group.named",
            "opinion_group.disposed"} <= actions


def test_a_member_disposed_of_by_itself_keeps_its_own_disposition(world, consultation):
    from participation.opinions.grouping.operations import set_group_disposition

    group, _other, a, _b = _two_groups(consultation)
    own = a[1]
    own.disposition_overridden = True
    own.disposition = Disposition.ADOPTED
    db.session.flush()
    set_group_disposition(group, Disposition.EXPLAINED, "已在说明中解释。", actor=world.editor)
    db.session.expire_all()
    assert own.disposition == Disposition.ADOPTED
    assert a[0].disposition == Disposition.EXPLAINED
    assert a[0].disposition_reason == "已在说明中解释。"


def test_split_members_lose_what_they_inherited_and_candidates_can_be_added(
        client, world, consultation):
    from participation.opinions.grouping.operations import set_group_disposition

    group, _other, a, _b = _two_groups(consultation)
    set_group_disposition(group, Disposition.EXPLAINED, "已解释。", actor=world.editor)
    db.session.commit()
    login(client, world.editor)
    response = client.post(f"/admin/groups/{group.id}/split",
                           data={"opinion_ids": [str(a[2].id)]})
    assert response.status_code == 302
    db.session.expire_all()
    assert a[2].group_id is None
    assert a[2].disposition is None
    assert db.session.get(OpinionFingerprint, a[2].id).pinned
    assert group.opinion_count == 2
    # The split opinion is offered back as a candidate (same article, similar words).
    page = client.get(f"/admin/groups/{group.id}").get_data(as_text=True)
    assert f'id="candidate-{a[2].id}"' in page
    # An opinion making the same point in other words can be added with one action.
    similar = record(consultation, "夜间停车收费太贵了，第十条应当降低收费标准，增加停车泊位。")
    assert similar.group_id is None
    client.post(f"/admin/groups/{group.id}/add", data={"opinion_ids": [str(similar.id)]})
    db.session.expire_all()
    assert similar.group_id == group.id
    assert similar.disposition == Disposition.EXPLAINED
    assert group.opinion_count == 3


def test_the_threshold_is_set_per_consultation(client, world, consultation):
    group, _other, _a, _b = _two_groups(consultation)
    login(client, world.approver)
    page = client.get(f"/admin/consultations/{consultation.id}/groups?concentrated=y")
    assert f"/admin/groups/{group.id}" not in page.get_data(as_text=True)
    bad = client.post(f"/admin/consultations/{consultation.id}/groups/threshold",
                      data={"threshold": "1"})
    assert bad.status_code == 400
    assert "threshold-error" in bad.get_data(as_text=True)
    client.post(f"/admin/consultations/{consultation.id}/groups/threshold",
                data={"threshold": "3"})
    page = client.get(f"/admin/consultations/{consultation.id}/groups?concentrated=y")
    assert f"/admin/groups/{group.id}" in page.get_data(as_text=True)


def test_officials_of_another_unit_cannot_see_or_change_groups(client, world, consultation):
    group, other, _a, _b = _two_groups(consultation)
    login(client, world.other_approver)
    assert client.get(f"/admin/consultations/{consultation.id}/groups").status_code == 403
    assert client.get(f"/admin/groups/{group.id}").status_code == 403
    assert client.post(f"/admin/consultations/{consultation.id}/groups/merge",
                       data={"group_ids": [str(group.id), str(other.id)]}).status_code == 403
    db.session.expire_all()
    assert db.session.get(OpinionGroup, other.id) is not None

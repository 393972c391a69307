"""Full regrouping (command, background task) keeps officials' work; imports are grouped
in bulk; the public API lists concentrated opinions with public-safe data only."""

from __future__ import annotations

import sqlalchemy as sa

from participation.core import signals
from participation.core.audit import AuditEntry
from participation.core.tasks import Task, TaskState, run_one
from participation.extensions import db
from participation.opinions.grouping import incremental
from participation.opinions.grouping.models import GroupKind, OpinionBand, OpinionFingerprint
from participation.opinions.grouping.operations import (
    merge_groups,
    name_group,
    set_group_disposition,
    split_members,
)
from participation.opinions.grouping.store import move
from participation.opinions.models import (
    Channel,
    Disposition,
    Opinion,
    OpinionGroup,
    OpinionMembership,
)
from tests.conftest import login
from tests.opinions.test_grouping import CAMPAIGN, OTHER, _two_groups, consultation, record

__all__ = ["consultation"]

THIRD = ("第二十条关于公交线路调整的规定，建议延长末班车时间，很多上夜班的居民回家不方便。"
         "希望公交公司听取沿线群众意见。")


def _forget_grouping(opinion_ids) -> None:
    """As if these opinions had been written before grouping existed."""
    db.session.execute(sa.delete(OpinionMembership)
                       .where(OpinionMembership.opinion_id.in_(opinion_ids)))
    db.session.execute(sa.delete(OpinionBand).where(OpinionBand.opinion_id.in_(opinion_ids)))
    db.session.execute(sa.delete(OpinionFingerprint)
                       .where(OpinionFingerprint.opinion_id.in_(opinion_ids)))
    db.session.execute(sa.delete(OpinionGroup))
    db.session.expire_all()


def test_the_command_groups_opinions_written_before_grouping(runner, consultation):
    opinions = [record(consultation, CAMPAIGN + "！" * n) for n in range(4)]
    opinions.append(record(consultation, OTHER))
    db.session.commit()
    _forget_grouping([o.id for o in opinions])
    db.session.commit()
    result = runner.invoke(args=["opinions", "group", "--consultation", str(consultation.id)])
    assert result.exit_code == 0, result.output
    assert "5 opinions looked at, 4 moved, 1 groups created." in result.output
    db.session.expire_all()
    group_ids = [db.session.get(Opinion, o.id).group_id for o in opinions]
    assert len(set(group_ids[:4])) == 1
    assert group_ids[4] is None
    group = db.session.get(OpinionGroup, group_ids[0])
    assert (group.opinion_count, group.people_count, group.kind) == (4, 4, GroupKind.AUTOMATIC)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpinionFingerprint)) == 5
    assert runner.invoke(args=["opinions", "group", "--consultation", "999999"]).exit_code != 0


def test_regrouping_keeps_merged_named_split_and_disposed_groups(world, consultation):
    from participation.opinions.grouping.regroup import regroup

    first, second, a, b = _two_groups(consultation)
    # Officials' work: the two groups are merged and named; one opinion is split out.
    merge_groups(first, [second], actor=world.editor)
    name_group(first, "停车与垃圾分类", actor=world.editor)
    split_members(first, [b[0].id], actor=world.editor)
    # A third group the grouping found, that an official disposed of.
    c = [record(consultation, THIRD + "。" * n) for n in range(2)]
    third = db.session.get(OpinionGroup, c[0].group_id)
    set_group_disposition(third, Disposition.EXPLAINED, "线路由公交公司调整。",
                          actor=world.editor)
    # An automatic group, and a free copy that arrives while grouping is not listening.
    d = [record(consultation, "建议第七条增加农村公路养护资金，由县财政统一保障。" + "！" * n)
         for n in range(2)]
    automatic = db.session.get(OpinionGroup, d[0].group_id)
    late = record(consultation, THIRD + "！！")
    late_group = late.group_id
    move([late.id], None)
    db.session.flush()
    db.session.execute(sa.update(OpinionGroup).where(OpinionGroup.id == late_group)
                       .values(opinion_count=OpinionGroup.opinion_count - 1))
    db.session.commit()

    regroup(consultation)
    db.session.commit()
    db.session.expire_all()
    # The merged group is whole and named, without the opinion split out of it.
    assert {o.group_id for o in (*a, *b[1:])} == {first.id}
    assert first.summary == "停车与垃圾分类"
    assert first.opinion_count == 5
    assert db.session.get(Opinion, b[0].id).group_id is None
    # The disposed group gained the late copy, which inherited its disposition.
    late = db.session.get(Opinion, late.id)
    assert late.group_id == third.id
    assert late.disposition == Disposition.EXPLAINED
    assert db.session.get(OpinionGroup, third.id).opinion_count == 3
    # The automatic group is kept (same members, same id).
    assert {db.session.get(Opinion, o.id).group_id for o in d} == {automatic.id}


def test_the_groups_page_queues_a_regrouping_with_its_progress_page(client, world,
                                                                     consultation):
    record(consultation, CAMPAIGN)
    record(consultation, CAMPAIGN + "！")
    db.session.commit()
    login(client, world.editor)
    response = client.post(f"/admin/consultations/{consultation.id}/groups/regroup")
    assert response.status_code == 302
    task = db.session.scalar(sa.select(Task).where(Task.kind == incremental.REGROUP_TASK))
    assert response.headers["Location"].endswith(f"/admin/tasks/{task.id}")
    # Asking again while it waits gives the same task.
    again = client.post(f"/admin/consultations/{consultation.id}/groups/regroup")
    assert again.headers["Location"] == response.headers["Location"]
    assert run_one()
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.state == TaskState.DONE
    assert task.progress_done == task.progress_total
    assert client.get(f"/admin/tasks/{task.id}").status_code == 200
    assert db.session.scalar(sa.select(AuditEntry.actor_id).where(
        AuditEntry.action == "opinion_group.regrouped")) == world.editor.id


def _insert_without_signal(consultation, bodies):
    """Opinions stored as a bulk import stores them (no opinion_received per row)."""
    from participation.core.database import utcnow
    from participation.opinions.operations import _new_opinion

    created = []
    for n, body in enumerate(bodies):
        opinion = _new_opinion(consultation, None, channel=Channel.LETTER, reference=f"L{n}",
                               received_at=utcnow(), body=body, consent_to_publish=False)
        db.session.add(opinion)
        created.append(opinion)
    db.session.flush()
    return created


def test_an_import_is_grouped_in_bulk_with_the_opinions_already_there(consultation):
    earlier = record(consultation, CAMPAIGN, reference="H1")
    created = _insert_without_signal(consultation, [CAMPAIGN + "！", CAMPAIGN + "。。", OTHER])
    signals.opinions_imported.send(consultation, opinion_ids=(created[0].id, created[-1].id))
    db.session.expire_all()
    group_id = db.session.get(Opinion, earlier.id).group_id
    assert group_id is not None
    assert [db.session.get(Opinion, o.id).group_id for o in created] == [group_id, group_id,
                                                                          None]
    assert db.session.get(OpinionGroup, group_id).opinion_count == 3


def test_a_large_import_is_grouped_by_a_background_task(monkeypatch, consultation):
    monkeypatch.setattr(incremental, "INLINE_IMPORT_LIMIT", 1)
    created = _insert_without_signal(consultation, [CAMPAIGN, CAMPAIGN + "！", OTHER])
    signals.opinions_imported.send(consultation, opinion_ids=(created[0].id, created[-1].id))
    assert db.session.get(Opinion, created[0].id).group_id is None
    db.session.commit()
    assert run_one()
    db.session.expire_all()
    assert db.session.get(Opinion, created[0].id).group_id is not None
    assert db.session.get(Opinion, created[0].id).group_id == db.session.get(
        Opinion, created[1].id).group_id


def test_a_large_import_is_fingerprinted_in_its_own_transaction(monkeypatch, runner,
                                                                  consultation):
    """An import left to a background task is still fingerprinted by the import (exact
    keys, person keys, bands, band rows: those a full regrouping writes), so that the
    grouping after it, the task or the command, only reads them."""
    monkeypatch.setattr(incremental, "INLINE_IMPORT_LIMIT", 1)
    bodies = [CAMPAIGN, CAMPAIGN + "！", CAMPAIGN + "。。", OTHER, THIRD, "？！"]
    created = _insert_without_signal(consultation, bodies)
    assert _fingerprint_rows() == ([], [])
    signals.opinions_imported.send(consultation, opinion_ids=(created[0].id, created[-1].id))
    db.session.commit()
    imported = _fingerprint_rows()
    assert [row.opinion_id for row in imported[0]] == [o.id for o in created]
    assert db.session.get(Opinion, created[0].id).group_id is None  # the task groups them
    assert _written_by_the_command(runner, consultation, created) == imported


def test_the_api_lists_concentrated_opinions_without_private_data(client, world,
                                                                    consultation):
    online = []
    for n in range(3):
        response = client.post(f"/consultations/{consultation.id}/opinions/new", data={
            "body": CAMPAIGN + "！" * n, "node_id": "0", "consent_to_publish": "y",
            "display_name": "张秘密", "contact": "13912345678", "submission_key": f"k{n}"})
        assert response.status_code == 302
    online = db.session.scalars(sa.select(Opinion).order_by(Opinion.id)).all()
    offline = [record(consultation, CAMPAIGN + "。" * n, reference=f"12345-{n}",
                      name="李隐私", contact="13800001111") for n in range(1, 3)]
    small = [record(consultation, OTHER + "！" * n) for n in range(2)]
    db.session.commit()
    response = client.get(f"/api/v1/consultations/{consultation.id}/concentrated-opinions")
    assert response.status_code == 200
    body = response.get_json()
    text = response.get_data(as_text=True)
    assert body["threshold"] == 5
    assert body["total"] == 1
    (group,) = body["items"]
    # Five opinions from two people (one contact online, another offline).
    assert (group["opinion_count"], group["people_count"]) == (5, 2)
    assert group["id"] == online[0].group_id != small[0].group_id
    refs = {m.get("reference") for m in group["members"]} - {None}
    assert refs == {"12345-1", "12345-2"}
    ids = {m.get("opinion_id") for m in group["members"]} - {None}
    assert ids == {o.id for o in online}  # public opinions, by their public id
    for secret in ("张秘密", "李隐私", "13912345678", "13800001111",
                   *(o.receipt_number for o in online + offline)):
        assert secret not in text
    assert client.get("/api/v1/consultations/999999/concentrated-opinions").status_code == 404
    bad = client.get(f"/api/v1/consultations/{consultation.id}/concentrated-opinions"
                     "?cursor=abc")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "bad_parameter"


def test_moving_an_opinion_grouped_meanwhile_moves_it(consultation):
    """A regrouping moves what it read; an opinion that an arriving one paired in the
    meantime (the membership written by another transaction) is moved, not refused."""
    from participation.opinions.grouping.store import move_many

    _first, second, a, _b = _two_groups(consultation)
    stale = {a[0].id: (None, None, None, False)}  # read before it was grouped
    move_many({second.id: [a[0].id]}, {second.id: second}, known=stale)
    db.session.flush()
    assert db.session.scalar(sa.select(OpinionMembership.group_id).where(
        OpinionMembership.opinion_id == a[0].id)) == second.id


def test_a_full_regrouping_repairs_the_counts_of_every_group(runner, consultation):
    opinions = [record(consultation, CAMPAIGN + "！" * n, contact="13900001111")
                for n in range(3)]
    group_id = opinions[0].group_id
    db.session.execute(sa.update(OpinionGroup).where(OpinionGroup.id == group_id)
                       .values(opinion_count=9, people_count=7))
    db.session.commit()
    result = runner.invoke(args=["opinions", "group", "--consultation", str(consultation.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    group = db.session.get(OpinionGroup, group_id)
    assert (group.opinion_count, group.people_count) == (3, 1)


def test_the_api_pages_through_concentrated_opinions_by_cursor(client, consultation):
    from participation.opinions.grouping.operations import set_threshold

    set_threshold(consultation, 2)
    for n, text in enumerate((CAMPAIGN, OTHER, THIRD)):
        record(consultation, text, reference=f"R{n}a")
        record(consultation, text + "！", reference=f"R{n}b")
    db.session.commit()
    url = f"/api/v1/consultations/{consultation.id}/concentrated-opinions?per_page=2"
    first = client.get(url).get_json()
    assert (first["total"], len(first["items"]), first["threshold"]) == (3, 2, 2)
    second = client.get(first["next"]).get_json()
    assert len(second["items"]) == 1
    assert second["next"] is None
    ids = [g["id"] for g in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 3


def test_a_full_regrouping_of_many_campaigns_places_every_member(runner, consultation):
    """Thousands of groups are written in bulk (more than a handful of target groups):
    every copy lands in its own campaign's group, with the counts right."""
    import random

    rng = random.Random(5)
    bases = ["".join(chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(60)) for _ in range(12)]
    campaigns = [[record(consultation, base + "！" * n) for n in range(3)] for base in bases]
    db.session.commit()
    _forget_grouping([o.id for members in campaigns for o in members])
    db.session.commit()
    result = runner.invoke(args=["opinions", "group", "--consultation", str(consultation.id)])
    assert result.exit_code == 0, result.output
    assert "36 opinions looked at, 36 moved, 12 groups created." in result.output
    db.session.expire_all()
    placed = [{db.session.get(Opinion, o.id).group_id for o in members} for members in campaigns]
    assert all(len(ids) == 1 and None not in ids for ids in placed)
    group_ids = {next(iter(ids)) for ids in placed}
    assert len(group_ids) == 12
    assert {db.session.get(OpinionGroup, gid).opinion_count for gid in group_ids} == {3}


def _fingerprint_rows() -> tuple[list, list]:
    return (db.session.execute(sa.select(
                OpinionFingerprint.opinion_id, OpinionFingerprint.exact_key,
                OpinionFingerprint.person_key, OpinionFingerprint.bands)
                .order_by(OpinionFingerprint.opinion_id)).all(),
            db.session.execute(sa.select(OpinionBand.opinion_id, OpinionBand.band_hash)
                               .order_by(OpinionBand.opinion_id, OpinionBand.band_hash)).all())


def _written_by_the_command(runner, consultation, opinions) -> tuple[list, list]:
    """The fingerprint rows after these opinions' grouping is forgotten and ``flask
    opinions group`` writes it again."""
    _forget_grouping([o.id for o in opinions])
    db.session.commit()
    result = runner.invoke(args=["opinions", "group", "--consultation", str(consultation.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return _fingerprint_rows()


def test_a_full_regrouping_writes_the_fingerprints_an_arriving_opinion_gets(runner,
                                                                            consultation):
    """The full regrouping builds fingerprints and band rows in bulk from its own
    arrays: they are the ones each opinion got when it arrived (exact key, person key,
    the band hashes in band order and the distinct band hashes as rows), so later
    arrivals find the same neighbours."""
    opinions = [record(consultation, CAMPAIGN + "！" * n, contact=f"1390000000{n % 2}")
                for n in range(4)]
    opinions += [record(consultation, OTHER), record(consultation, THIRD)]
    db.session.commit()
    arrived = _fingerprint_rows()
    assert len(arrived[0]) == 6
    assert arrived[1]
    assert _written_by_the_command(runner, consultation, opinions) == arrived

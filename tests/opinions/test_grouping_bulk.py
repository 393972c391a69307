"""A full regrouping's bulk paths give what the one-opinion paths give: many texts
normalised at once, exact keys and bands read back from the fingerprints, fingerprints
written before their bands were stored."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from participation.extensions import db
from participation.opinions.grouping import engine, generator, minhash
from participation.opinions.grouping.models import OpinionFingerprint
from participation.opinions.grouping.normalise import exact_key, normalise_both, normalise_many
from tests.opinions.test_grouping import CAMPAIGN, OTHER, consultation, record
from tests.opinions.test_grouping_regroup import THIRD

__all__ = ["consultation"]

# What the normaliser treats specially: sentence ends (a full stop beside a digit is
# none), full-width and compatibility forms, combining marks, case, underscores, NUL
# and the batch's own separator.
TRICKY = list("第五条，应当删除！。｡？?!；;\n．. _\u3000aBßΣς1２３ＡＢ①Ⅻﬁ㈠e\u0301é\x00\x01")
texts = st.lists(st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=20),
                 min_size=0, max_size=150)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_normalising_many_texts_at_once_equals_one_by_one(values):
    assert normalise_many(values) == [normalise_both(v) for v in values]


def test_normalising_many_generated_opinions_equals_one_by_one():
    bodies = [o.body for o in generator.generate(3_000, seed=11)]
    assert normalise_many(bodies) == [normalise_both(b) for b in bodies]


def test_grouping_from_stored_keys_and_bands_equals_grouping_from_the_texts():
    """A regrouping of fingerprinted opinions reads exact keys and bands instead of
    hashing again, and normalises only the candidates: the groups are the same."""
    bodies = [o.body for o in generator.generate(4_000, seed=12)]
    prepared = engine.prepare(bodies)
    keys = np.array([exact_key(normalise_both(b)[0]) for b in bodies], dtype=np.int64)
    known = engine.prepare_known(bodies, keys, prepared.bands[prepared.distinct_of], {})
    assert np.array_equal(engine.group_prepared(known), engine.group_prepared(prepared))
    assert sum(both is None for both in known.normalised) > 0  # not all normalised


def test_band_bytes_round_trip():
    bands = minhash.band_hashes(minhash.signatures(["第五条应当删除", "", "a"]))
    assert np.array_equal(minhash.from_bytes(minhash.to_bytes(bands)), bands)


def test_person_keys_in_bulk_equal_one_by_one():
    """Each distinct sender is worked out once in bulk: the keys are those of
    ``person_key`` row by row (accounts, contacts, names on a channel, anonymous)."""
    from types import SimpleNamespace

    from participation.opinions.grouping.normalise import person_key
    from participation.opinions.grouping.store import person_keys

    senders = [(None, "139 0000 0001", None, "hotline"), (None, None, "张伟", "letter"),
               (None, None, "张伟", "hotline"), (7, "139 0000 0001", "张伟", "online"),
               (None, None, None, "letter"), (None, "！", "。", "letter"),
               (None, "+86 13900000001", None, "hotline"), (None, None, "ＺＨＡＮＧ", "email")]
    rows = [SimpleNamespace(id=n, author_id=a, contact=c, display_name=d, channel=ch)
            for n, (a, c, d, ch) in enumerate(senders * 3, start=1)]
    expected = [person_key(r.id, r.author_id, r.contact, r.display_name, r.channel)
                for r in rows]
    assert person_keys(rows) == expected
    assert len(set(expected)) < len(expected)  # repeated senders share a key
    assert {"o5", "o6"} <= set(expected)  # anonymous: one person each


def test_a_signature_does_not_depend_on_the_texts_beside_it():
    """Every text has the signature it has alone, short and empty ones included, and
    wherever it stands in a batch (an empty text last once fell off the end)."""
    texts = ["第五条应当删除", "", "a", "ab", "建议延长末班车时间", ""]
    alone = np.concatenate([minhash.signatures([text]) for text in texts])
    assert np.array_equal(minhash.signatures(texts), alone)
    assert np.array_equal(minhash.signatures(texts[::-1]), alone[::-1])


def test_a_regrouping_fills_in_the_bands_of_fingerprints_written_before_they_were_stored(
        runner, consultation):
    opinions = [record(consultation, CAMPAIGN + "！" * n) for n in range(3)]
    opinions.append(record(consultation, OTHER))
    db.session.commit()
    arrived = dict(db.session.execute(sa.select(OpinionFingerprint.opinion_id,
                                                OpinionFingerprint.bands)).all())
    assert all(len(value) == minhash.BANDS * 8 for value in arrived.values())
    db.session.execute(sa.update(OpinionFingerprint).values(bands=None))
    db.session.commit()
    result = runner.invoke(args=["opinions", "group", "--consultation", str(consultation.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(OpinionFingerprint.opinion_id,
                                             OpinionFingerprint.bands)).all()) == arrived
    groups = {db.session.get(type(o), o.id).group_id for o in opinions[:3]}
    assert len(groups) == 1
    assert None not in groups


def test_fingerprints_written_on_their_own_thread_are_the_arriving_ones(
        runner, consultation, monkeypatch):
    """A large regrouping writes the fingerprints on a thread, part by part while it
    hashes and groups (here from the first opinion, two opinions a part): the same rows
    as written one by one, and the same groups."""
    from participation.opinions.grouping import regroup
    from tests.opinions.test_grouping_regroup import _fingerprint_rows, _forget_grouping

    opinions = [record(consultation, CAMPAIGN + "！" * n, contact=f"1390000000{n % 2}")
                for n in range(4)]
    opinions.append(record(consultation, OTHER))
    db.session.commit()
    arrived = _fingerprint_rows()
    _forget_grouping([o.id for o in opinions])
    db.session.commit()
    monkeypatch.setattr(regroup._Fingerprinting, "THREADED", 1)
    monkeypatch.setattr(regroup, "PREPARE_CHUNK", 2)
    result = runner.invoke(args=["opinions", "group", "--consultation", str(consultation.id)])
    assert result.exit_code == 0, result.output
    assert "5 opinions looked at, 4 moved, 1 groups created." in result.output
    db.session.expire_all()
    assert _fingerprint_rows() == arrived


def test_an_error_while_writing_fingerprints_on_their_thread_stops_the_regrouping(
        runner, consultation, monkeypatch):
    from participation.opinions.grouping import regroup
    from tests.opinions.test_grouping_regroup import _forget_grouping

    opinions = [record(consultation, CAMPAIGN + "！" * n) for n in range(3)]
    db.session.commit()
    _forget_grouping([o.id for o in opinions])
    db.session.commit()

    def broken(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(regroup._Fingerprinting, "THREADED", 1)
    monkeypatch.setattr(regroup, "write_band_rows", broken)
    result = runner.invoke(args=["opinions", "group", "--consultation", str(consultation.id)])
    assert result.exit_code != 0
    assert isinstance(result.exception, RuntimeError)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpinionFingerprint)) == 0


def _stored_as_imported(consultation, bodies, prefix):
    """Opinions stored as a bulk import stores them (no fingerprint, no signal)."""
    from participation.core.database import utcnow
    from participation.opinions.models import Channel
    from participation.opinions.operations import _new_opinion

    created = [_new_opinion(consultation, None, channel=Channel.LETTER,
                            reference=f"{prefix}{n}", received_at=utcnow(), body=body,
                            consent_to_publish=False) for n, body in enumerate(bodies)]
    db.session.add_all(created)
    db.session.flush()
    return created


@pytest.mark.parametrize("in_memory", [True, False])
def test_an_import_finds_the_same_neighbours_in_memory_as_through_the_database(
        monkeypatch, consultation, in_memory):
    """A large import among few recorded opinions reads them all and finds its
    neighbours in numpy; a small one asks the band index. Either way the recorded
    opinions that share nothing with the import are left alone."""
    from participation.opinions.grouping import regroup
    from participation.opinions.models import Opinion

    monkeypatch.setattr(regroup, "NEIGHBOURS_IN_MEMORY", 10**6 if in_memory else 0)
    earlier = record(consultation, CAMPAIGN, reference="H1")
    alone = record(consultation, OTHER, reference="H2")
    strangers = _stored_as_imported(consultation, [THIRD, THIRD + "！"], "S")
    created = _stored_as_imported(consultation, [CAMPAIGN + "！", OTHER + "。", THIRD[::-1]],
                                  "I")
    regroup.regroup(consultation, opinion_ids=(created[0].id, created[-1].id))
    db.session.expire_all()

    def group(opinion):
        return db.session.get(Opinion, opinion.id).group_id

    assert group(earlier) is not None
    assert group(created[0]) == group(earlier)
    assert group(alone) is not None
    assert group(created[1]) == group(alone)
    assert group(created[2]) is None
    assert [group(o) for o in strangers] == [None, None]  # not neighbours: not grouped


"""Grouping many texts at once, in memory (full regrouping, imports, the bench).

1. Exact copies: texts equal after :func:`~.normalise.normalise` share one key and are
   grouped at once; only the distinct texts go on.
2. Candidates: MinHash signatures and LSH bands of the distinct texts
   (:mod:`.minhash`); rows sharing a band hash are candidate pairs.
3. Confirmation: each candidate pair is compared by rapidfuzz (:func:`similarity`:
   ``fuzz.ratio`` of the normalised texts, else ``fuzz.token_sort_ratio`` of their
   sentences; many pairs at once with ``process.cpdist`` on every core); pairs at or
   above :data:`CONFIRM_SCORE` are kept.
4. Groups: the connected components of the kept pairs (scipy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from participation.opinions.grouping import minhash
from participation.opinions.grouping.normalise import normalise_both, normalise_many

# rapidfuzz score (0–100) from which two texts say the same thing.
CONFIRM_SCORE = 85.0


def _ratios(left: Sequence[str], right: Sequence[str], scorer=fuzz.ratio) -> np.ndarray:
    """``scorer(left[i], right[i])`` for every ``i`` on every core (0 under the bar)."""
    if not len(left):
        return np.empty(0, dtype=np.float32)
    return process.cpdist(left, right, scorer=scorer, workers=-1, dtype=np.float32,
                          score_cutoff=CONFIRM_SCORE)


def similarity(one: str, other: str) -> float:
    """How much two opinions say the same thing (0–100): the better of ``fuzz.ratio`` of
    their normalised texts and ``fuzz.token_sort_ratio`` of their normalised sentences
    (the same sentences reordered still match; a sentence end deleted with a word does
    not spoil both). :func:`group_texts` scores its pairs the same way."""
    plain_one, sentences_one = normalise_both(one)
    plain_other, sentences_other = normalise_both(other)
    return max(fuzz.ratio(plain_one, plain_other),
               fuzz.token_sort_ratio(sentences_one, sentences_other))


@dataclass
class Prepared:
    """Texts ready for grouping: which texts are equal after normalisation (the distinct
    texts) and the LSH band hashes of each distinct text. The normalised forms (text and
    sentences) are computed when first needed: a regrouping that reads exact keys and
    bands from the fingerprints normalises only the texts that are candidates."""

    texts: Sequence[str]
    distinct_of: np.ndarray  # text index -> distinct text index
    first_text: np.ndarray  # distinct text index -> first text index
    bands: np.ndarray  # (len(first_text), BANDS) int64
    normalised: list[tuple[str, str] | None]  # per distinct text: (plain, sentences)

    def both(self, distinct: np.ndarray) -> list[tuple[str, str]]:
        """``(normalised text, normalised sentences)`` of these distinct texts."""
        known, texts, first = self.normalised, self.texts, self.first_text
        wanted = distinct.tolist()
        missing = list(dict.fromkeys(d for d in wanted if known[d] is None))
        for d, both in zip(missing, normalise_many([texts[int(first[d])] for d in missing]),
                           strict=True):
            known[d] = both
        return [known[d] for d in wanted]


def first_appearance(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(distinct_of, first_text)`` of per-text keys, distinct texts numbered in the
    order of their first text."""
    _unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank[inverse.reshape(-1)], first[order].astype(np.int64)


def prepare(texts: Sequence[str]) -> Prepared:
    """Normalise ``texts``, find the distinct ones and their MinHash band hashes."""
    count = len(texts)
    both = normalise_many(texts)
    first_of: dict[str, int] = {}
    distinct_of = np.fromiter((first_of.setdefault(plain, len(first_of))
                               for plain, _sentences in both), dtype=np.int64, count=count)
    distinct = list(first_of)
    first_text = (np.unique(distinct_of, return_index=True)[1].astype(np.int64) if count
                  else np.empty(0, dtype=np.int64))
    bands = (minhash.band_hashes(minhash.signatures(distinct)) if distinct
             else np.empty((0, minhash.BANDS), dtype=np.int64))
    return Prepared(texts, distinct_of, first_text, bands,
                    [both[i] for i in first_text.tolist()])


def prepare_known(texts: Sequence[str], keys: np.ndarray, bands: np.ndarray,
                  both: dict[int, tuple[str, str]]) -> Prepared:
    """:func:`prepare` of texts whose exact keys (``keys``, int64 per text) and band
    hashes (``bands``, one row per text) are known, e.g. read from their fingerprints;
    ``both`` holds the normalised forms already computed (by text index)."""
    if not len(texts):
        return prepare(texts)
    distinct_of, first_text = first_appearance(keys)
    return Prepared(texts, distinct_of, first_text, bands[first_text],
                    [both.get(i) for i in first_text.tolist()])


def group_texts(texts: Sequence[str]) -> np.ndarray:
    """A group label for every text (int64): texts with one label say the same thing;
    a label used once is a text alone. Labels are the index of the group's first text."""
    return group_prepared(prepare(texts))


def group_prepared(prepared: Prepared) -> np.ndarray:
    """:func:`group_texts` of texts that went through :func:`prepare`.

    Bands are taken one after the other, and a candidate pair is confirmed only when its
    texts are not already in one group through the pairs confirmed so far: most copies
    of a campaign share several bands, and each link needs confirming once.
    """
    count = len(prepared.texts)
    if count == 0:
        return np.empty(0, dtype=np.int64)
    first_text, bands = prepared.first_text, prepared.bands
    size = len(first_text)
    component = np.arange(size, dtype=np.int64)
    edges: list[np.ndarray] = []
    for band in range(bands.shape[1]):
        pairs = minhash.band_pairs(bands[:, band])
        pairs = pairs[component[pairs[:, 0]] != component[pairs[:, 1]]]
        if not len(pairs):
            continue
        lefts, rights = prepared.both(pairs[:, 0]), prepared.both(pairs[:, 1])
        scores = _ratios([b[0] for b in lefts], [b[0] for b in rights])
        # Pairs the plain texts do not confirm: compare their sorted sentences.
        retry = np.flatnonzero(scores < CONFIRM_SCORE).tolist()
        if retry:
            scores[retry] = _ratios([lefts[i][1] for i in retry],
                                    [rights[i][1] for i in retry], fuzz.token_sort_ratio)
        kept = pairs[scores >= CONFIRM_SCORE]
        if len(kept):
            edges.append(kept)
            component = _components(np.concatenate(edges), size)
    # Label each component by its first text's index.
    label_of_component = np.full(component.max() + 1, count, dtype=np.int64)
    np.minimum.at(label_of_component, component, first_text)
    return label_of_component[component[prepared.distinct_of]]


def _components(edges: np.ndarray, size: int) -> np.ndarray:
    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])),
                       shape=(size, size))
    return connected_components(graph, directed=False)[1].astype(np.int64)

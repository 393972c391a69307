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
from participation.opinions.grouping.normalise import normalise_both

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
    """Texts ready for grouping: each text's normalised form and sentences, the distinct
    normalised texts and the LSH band hashes of each (computed once, used both by the
    grouping and by the fingerprints a full regrouping writes)."""

    both: list[tuple[str, str]]
    distinct_of: np.ndarray  # text index -> distinct text index
    distinct: list[str]
    first_text: np.ndarray  # distinct text index -> first text index
    bands: np.ndarray  # (len(distinct), BANDS) int64

    def text_bands(self, index: int) -> list[int]:
        """The distinct band hashes of text ``index``."""
        return sorted(set(self.bands[self.distinct_of[index]].tolist()))


def prepare(texts: Sequence[str]) -> Prepared:
    """Normalise ``texts``, find the distinct ones and their MinHash band hashes."""
    count = len(texts)
    both = [normalise_both(t) for t in texts]
    first_of: dict[str, int] = {}
    distinct_of = np.fromiter((first_of.setdefault(plain, len(first_of))
                               for plain, _sentences in both), dtype=np.int64, count=count)
    distinct = list(first_of)
    first_text = (np.unique(distinct_of, return_index=True)[1].astype(np.int64) if count
                  else np.empty(0, dtype=np.int64))
    bands = (minhash.band_hashes(minhash.signatures(distinct)) if distinct
             else np.empty((0, minhash.BANDS), dtype=np.int64))
    return Prepared(both, distinct_of, distinct, first_text, bands)


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
    count = len(prepared.both)
    if count == 0:
        return np.empty(0, dtype=np.int64)
    distinct, first_text, bands = prepared.distinct, prepared.first_text, prepared.bands
    ordered = [prepared.both[i][1] for i in first_text.tolist()]
    size = len(distinct)
    component = np.arange(size, dtype=np.int64)
    edges: list[np.ndarray] = []
    for band in range(bands.shape[1]):
        pairs = minhash.band_pairs(bands[:, band])
        pairs = pairs[component[pairs[:, 0]] != component[pairs[:, 1]]]
        if not len(pairs):
            continue
        lefts, rights = pairs[:, 0].tolist(), pairs[:, 1].tolist()
        scores = _ratios([distinct[i] for i in lefts], [distinct[i] for i in rights])
        # Pairs the plain texts do not confirm: compare their sorted sentences.
        retry = np.flatnonzero(scores < CONFIRM_SCORE)
        if len(retry):
            again = pairs[retry]
            scores[retry] = _ratios([ordered[i] for i in again[:, 0].tolist()],
                                    [ordered[i] for i in again[:, 1].tolist()],
                                    fuzz.token_sort_ratio)
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

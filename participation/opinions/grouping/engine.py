"""Grouping many texts at once, in memory (full regrouping, imports, the bench).

1. Exact copies: texts equal after :func:`~.normalise.normalise` share one key and are
   grouped at once; only the distinct texts go on.
2. Candidates: MinHash signatures and LSH bands of the distinct texts
   (:mod:`.minhash`); rows sharing a band hash are candidate pairs.
3. Confirmation: each candidate pair is compared by rapidfuzz (``fuzz.ratio`` of the
   sentence-sorted :func:`~.normalise.comparison_text`, many pairs at once with
   ``process.cpdist`` on every core); pairs at or above :data:`CONFIRM_SCORE` are kept.
4. Groups: the connected components of the kept pairs (scipy).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from participation.opinions.grouping import minhash
from participation.opinions.grouping.normalise import comparison_text, normalise

# rapidfuzz score (0–100) from which two texts say the same thing.
CONFIRM_SCORE = 85.0


def confirm(left: Sequence[str], right: Sequence[str], left_sorted: Sequence[str],
            right_sorted: Sequence[str]) -> np.ndarray:
    """The scores of pairs: for each ``i`` the better ``fuzz.ratio`` of the normalised
    texts ``left[i]``, ``right[i]`` and of their sentence-sorted forms (the same sentences
    reordered still match; a sentence end deleted with a word does not spoil both)."""
    if not len(left):
        return np.empty(0, dtype=np.float32)
    plain = process.cpdist(left, right, scorer=fuzz.ratio, workers=-1, dtype=np.float32)
    ordered = process.cpdist(left_sorted, right_sorted, scorer=fuzz.ratio, workers=-1,
                             dtype=np.float32)
    return np.maximum(plain, ordered)


def similarity(one: str, other: str) -> float:
    """The score of two original texts (as :func:`confirm` computes it for a pair)."""
    return max(fuzz.ratio(normalise(one), normalise(other)),
               fuzz.ratio(comparison_text(one), comparison_text(other)))


def group_texts(texts: Sequence[str], *, normalised: Sequence[str] | None = None
                ) -> np.ndarray:
    """A group label for every text (int64): texts with one label say the same thing;
    a label used once is a text alone. Labels are the index of the group's first text.
    ``normalised`` may pass the texts already normalised."""
    count = len(texts)
    if count == 0:
        return np.empty(0, dtype=np.int64)
    norms = list(normalised) if normalised is not None else [normalise(t) for t in texts]
    first_of: dict[str, int] = {}
    distinct_of = np.fromiter((first_of.setdefault(n, len(first_of)) for n in norms),
                              dtype=np.int64, count=count)
    distinct = list(first_of)
    first_text = np.unique(distinct_of, return_index=True)[1].astype(np.int64)
    pairs = minhash.candidate_pairs(minhash.band_hashes(minhash.signatures(distinct)))
    if len(pairs):
        involved = np.unique(pairs)
        ordered = {int(i): comparison_text(texts[int(first_text[i])]) for i in involved}
        lefts, rights = pairs[:, 0].tolist(), pairs[:, 1].tolist()
        scores = confirm([distinct[i] for i in lefts], [distinct[i] for i in rights],
                         [ordered[i] for i in lefts], [ordered[i] for i in rights])
        pairs = pairs[scores >= CONFIRM_SCORE]
    size = len(distinct)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
                       shape=(size, size))
    _n, component = connected_components(graph, directed=False)
    # Label each component by its first text's index.
    label_of_component = np.full(component.max() + 1, count, dtype=np.int64)
    np.minimum.at(label_of_component, component, first_text)
    return label_of_component[component[distinct_of]]

"""Character shingles, MinHash signatures and LSH bands, vectorised with numpy.

Texts (already normalised) are processed many at once: their characters go into one
array of code points, every shingle of :data:`SHINGLE` characters is hashed in one pass,
and each of the :data:`PERMUTATIONS` hash functions ``(a·x + b) mod 2⁶⁴ >> 32`` is
reduced per text with ``numpy.minimum.reduceat``. The signature's rows are cut into
:data:`BANDS` bands of :data:`ROWS` values; two texts sharing one band's hash are
candidates (probability ``1 - (1 - J^ROWS)^BANDS`` for Jaccard similarity ``J``: 0.89 at
0.7, 0.98 at 0.8, 0.06 at 0.3). Band hashes include the band's number, so one column
holds them all. ``bench/grouping.py`` measures this against rensa and datasketch.
"""

from __future__ import annotations

import numpy as np

SHINGLE = 3
BANDS = 8
ROWS = 4
PERMUTATIONS = BANDS * ROWS
# Texts per batch: bounds memory (about 100 bytes of arrays per character).
BATCH = 50_000

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_rng = np.random.default_rng(20260601)  # fixed: stored band hashes must stay valid
_A = (_rng.integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
_B = _rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)
_CHAR_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9],
                      dtype=np.uint64)
_BAND_MULT = np.array([0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB,
                       0xBF58476D1CE4E5B9], dtype=np.uint64)[:ROWS]
_BAND_SALT = (np.arange(BANDS, dtype=np.uint64) + np.uint64(1)) * np.uint64(0x2545F4914F6CDD1D)


def _mix(x: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser (splitmix64's), in place on a uint64 array."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def shingle_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(hashes, starts)``: the 64-bit hash of every shingle of every text, texts one
    after another, and where each text's shingles start. A text shorter than a shingle
    has one (itself, padded); an empty text has one shingle of nothing."""
    gap = SHINGLE - 1
    # An empty text is one NUL: its shingle must not reach into the next text.
    texts = [text or "\0" for text in texts]
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    # Texts separated (and ended) by gap NULs: no shingle of a text reaches the next.
    separator = "\0" * gap
    codes = np.frombuffer((separator.join(texts) + separator).encode("utf-32-le"),
                          dtype=np.uint32).astype(np.uint64)
    first_char = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + gap, out=first_char[1:])
    counts = np.maximum(lengths - gap, 1)
    size = len(codes) - gap
    hashes = codes[:size] * _CHAR_MULT[0]
    for k in range(1, SHINGLE):
        hashes ^= codes[k:k + size] * _CHAR_MULT[k] + np.uint64(k)
    # Keep the shingles that start inside a text: +1 where a text's shingles begin,
    # -1 after its last one.
    delta = np.zeros(size + 1, dtype=np.int8)
    delta[first_char] = 1
    delta[first_char + counts] -= 1
    valid = np.cumsum(delta[:size], dtype=np.int8) > 0
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    # No finaliser: the permutations below are a universal family over these values.
    return hashes[valid], starts


def signatures(texts: list[str]) -> np.ndarray:
    """The MinHash signatures of ``texts``: an array (len(texts), PERMUTATIONS) of
    uint32, computed in batches of :data:`BATCH` texts."""
    result = np.empty((len(texts), PERMUTATIONS), dtype=np.uint32)
    for first in range(0, len(texts), BATCH):
        batch = texts[first:first + BATCH]
        hashes, starts = shingle_hashes(batch)
        work = np.empty_like(hashes)
        for p in range(PERMUTATIONS):
            np.multiply(hashes, _A[p], out=work)
            work += _B[p]
            work >>= np.uint64(32)
            result[first:first + len(batch), p] = np.minimum.reduceat(work, starts)
    return result


def to_bytes(bands: np.ndarray) -> list[bytes]:
    """Each row of a band matrix (n, BANDS) as the bytes stored in
    ``opinion_fingerprint.bands`` (int64, little-endian, in band order)."""
    rows = np.ascontiguousarray(bands, dtype="<i8")
    data = rows.tobytes()
    size = BANDS * 8
    return [data[i:i + size] for i in range(0, len(data), size)]


def from_bytes(values: list[bytes]) -> np.ndarray:
    """The band matrix (len(values), BANDS) int64 of stored ``bands`` values."""
    if not values:
        return np.empty((0, BANDS), dtype=np.int64)
    return np.frombuffer(b"".join(values), dtype="<i8").reshape(len(values), BANDS) \
        .astype(np.int64)


def band_hashes(signature: np.ndarray) -> np.ndarray:
    """The LSH band hashes (len, BANDS) as signed 64-bit integers (stored as BIGINT)."""
    rows = signature.reshape(len(signature), BANDS, ROWS).astype(np.uint64)
    combined = (rows * _BAND_MULT).sum(axis=2, dtype=np.uint64) + _BAND_SALT
    return _mix(combined).view(np.int64)


def band_pairs(hashes: np.ndarray) -> np.ndarray:
    """Pairs ``(leader, member)`` of row indexes sharing one band's hash (``hashes``: that
    band's column): in each bucket every member is paired with the bucket's first row
    (lowest index). An array (n, 2) of int64, leader < member."""
    index = np.arange(len(hashes), dtype=np.int64)
    order = np.argsort(hashes, kind="stable")
    keys = hashes[order]
    new_bucket = np.empty(len(keys), dtype=bool)
    new_bucket[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=new_bucket[1:])
    leader_position = np.maximum.accumulate(np.where(new_bucket, index, 0))
    members = ~new_bucket
    return np.stack([order[leader_position[members]], order[members]], axis=1)


def candidate_pairs(bands: np.ndarray) -> np.ndarray:
    """The pairs of :func:`band_pairs` of every band, without repeats."""
    if not bands.shape[1]:
        return np.empty((0, 2), dtype=np.int64)
    found = np.concatenate([band_pairs(bands[:, band]) for band in range(bands.shape[1])])
    found.sort(axis=1)
    return np.unique(found, axis=0)

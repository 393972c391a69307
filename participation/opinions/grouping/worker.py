"""The worker process that fingerprints an import's texts while they are stored
(:class:`~.prepare.ImportFingerprints` starts it: ``python -m
participation.opinions.grouping.worker``).

It reads batches from its standard input and writes their results to its standard
output, in order, each a pickled message after its length (8 bytes). It imports only
numpy and the grouping's pure functions (no Flask, no database: about 40 MB), and ends
when its input does. A thread reads the input as it comes, so the importing process
never waits to hand over a batch while a result is being written back.
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import sys
import threading
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np

from participation.opinions.grouping import minhash
from participation.opinions.grouping.normalise import exact_key, normalise_many, person_key

Sender = tuple[str | None, str | None, str]  # contact, display name, channel value
_LENGTH = struct.Struct("<Q")


def prepare_batch(texts: Sequence[str], senders: Sequence[Sender]
                  ) -> tuple[np.ndarray, list[str | None], np.ndarray]:
    """The fingerprints of these texts: per text its exact key, its person key (None:
    anonymous, that is ``o<id>``, known once the id is) and its band hashes; the keys
    :func:`~.store.store_fingerprints` computes, without the opinions' ids."""
    norms = [plain for plain, _sentences in normalise_many(list(texts))]
    distinct: dict[str, int] = {}
    of = np.fromiter((distinct.setdefault(norm, len(distinct)) for norm in norms),
                     dtype=np.int64, count=len(norms))
    bands = minhash.band_hashes(minhash.signatures(list(distinct)))[of]
    keys = np.fromiter((exact_key(norm) for norm in distinct), dtype=np.int64,
                       count=len(distinct))[of]
    known: dict[Sender, str | None] = {}
    people: list[str | None] = []
    for sender in senders:
        key = known.get(sender, "")
        if key == "":
            key = person_key(0, None, *sender)
            key = known[sender] = None if key == "o0" else key
        people.append(key)
    return keys, people, bands


def write_message(stream: BinaryIO, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    """``size`` bytes (an unbuffered pipe may hand over fewer at a time), or None at the
    end of the stream."""
    parts, missing = [], size
    while missing:
        part = stream.read(missing)
        if not part:
            return None
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def read_message(stream: BinaryIO):
    """The next message, or None at the end of the stream."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    data = _read_exactly(stream, _LENGTH.unpack(head)[0])
    if data is None:
        return None
    return pickle.loads(data)  # noqa: S301 - our own process's messages, on our pipe


def main() -> int:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    batches: queue.Queue = queue.Queue()

    def read() -> None:
        while (message := read_message(source)) is not None:
            batches.put(message)
        batches.put(None)

    threading.Thread(target=read, name="input", daemon=True).start()
    try:
        while (message := batches.get()) is not None:
            write_message(sink, prepare_batch(*message))
    except BrokenPipeError:
        # The import ended without the rest (refused, or rolled back): nothing to say.
        # Python's flush of the closed output at exit is sent nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

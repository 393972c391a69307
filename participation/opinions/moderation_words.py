"""Sensitive-word lists (敏感词) per government, matched with Aho-Corasick (pyahocorasick).

Every word is stored and matched after NFKC normalisation and case folding, so "ＡＢＣ",
"abc" and "ABC" are one word. Each process keeps one automaton per government with the
version of the list it was built from; the version lives in the database
(``moderation_settings.word_list_version`` with its ``updated_at``, bumped in the same
transaction as every change), and is read once per transaction, so every app server
rebuilds its automaton after a change made on another one, and an import of a million
rows costs one look-up per row, not one query.
"""

from __future__ import annotations

import threading
import unicodedata
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import ahocorasick
import sqlalchemy as sa

from participation.core import audit
from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions.moderation_models import (
    SENSITIVE_WORD_MAX,
    ModerationSettings,
    SensitiveWord,
)

MAX_WORDS_PER_CHANGE = 50_000


def normalise(text: str | None) -> str:
    """The form words are stored and texts matched in: NFKC, case folded, trimmed."""
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


@dataclass(frozen=True)
class _Built:
    version: tuple
    automaton: ahocorasick.Automaton | None  # None: an empty list


_AUTOMATA: dict[int, _Built] = {}
_LOCK = threading.Lock()
# {root transaction: {government id: list version}}: the version is read once per
# transaction (a change made meanwhile by another server is seen by the next one).
_VERSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def settings_for(government_id: int, create: bool = False) -> ModerationSettings | None:
    """The government's moderation settings row (created with the defaults when asked)."""
    settings = db.session.get(ModerationSettings, government_id)
    if settings is None and create:
        settings = ModerationSettings(government_id=government_id)
        db.session.add(settings)
        db.session.flush()
    return settings


def _root_transaction():
    """The session's current root transaction (a new one after each commit), or None."""
    return db.session().get_transaction()


def _list_version(government_id: int) -> tuple:
    """The version of the government's list: its counter with the time of the last
    change (a counter alone could repeat after a rolled-back change or a recreated row)."""
    transaction = _root_transaction()
    memo = _VERSIONS.get(transaction) if transaction is not None else None
    if memo is not None and government_id in memo:
        return memo[government_id]
    row = db.session.execute(
        sa.select(ModerationSettings.word_list_version, ModerationSettings.updated_at)
        .where(ModerationSettings.government_id == government_id)).first()
    version = tuple(row) if row is not None else (0, None)
    transaction = _root_transaction()
    if transaction is not None:
        _VERSIONS.setdefault(transaction, {})[government_id] = version
    return version


def _automaton(government_id: int) -> ahocorasick.Automaton | None:
    version = _list_version(government_id)
    built = _AUTOMATA.get(government_id)
    if built is not None and built.version == version:
        return built.automaton
    # The words are read after the version: a change committed in between is newer than
    # the version kept with them, so the next comparison rebuilds (never the reverse).
    words = db.session.scalars(sa.select(SensitiveWord.word).where(
        SensitiveWord.government_id == government_id)).all()
    automaton = None
    if words:
        automaton = ahocorasick.Automaton()
        for word in words:
            automaton.add_word(word, word)
        automaton.make_automaton()
    with _LOCK:
        _AUTOMATA[government_id] = _Built(version, automaton)
    return automaton


def matched_words(government_id: int, *texts: str | None) -> list[str]:
    """The words of the government's list found in ``texts`` (after normalisation),
    sorted, each once; empty when the list is empty or nothing matched."""
    return _matches(_automaton(government_id), texts)


def word_matcher(government_id: int) -> Callable[..., list[str]]:
    """:func:`matched_words` of the government for the many texts of one transaction (a
    bulk import): the list's version, read once per transaction anyway, and its
    automaton are looked up once, now, instead of for every text."""
    automaton = _automaton(government_id)

    def matched(*texts: str | None) -> list[str]:
        return _matches(automaton, texts)

    return matched


def _matches(automaton: ahocorasick.Automaton | None,
             texts: tuple[str | None, ...]) -> list[str]:
    if automaton is None:
        return []
    found: set[str] = set()
    for text in texts:
        if text:
            found.update(word for _end, word in automaton.iter(normalise(text)))
    return sorted(found)


def _bump(government_id: int) -> None:
    settings_for(government_id, create=True)
    db.session.execute(
        sa.update(ModerationSettings).where(ModerationSettings.government_id == government_id)
        .values(word_list_version=ModerationSettings.word_list_version + 1,
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    transaction = _root_transaction()
    if transaction is not None:
        _VERSIONS.pop(transaction, None)


def clean_words(lines: list[str]) -> list[str]:
    """The distinct normalised words of ``lines`` (blank lines and ``#`` comments left
    out, words longer than 100 characters cut), in their first order."""
    words: dict[str, None] = {}
    for line in lines:
        word = normalise(line)
        if word and not word.startswith("#"):
            words.setdefault(word[:SENSITIVE_WORD_MAX], None)
    return list(words)


def add_words(government, lines: list[str], actor=None) -> int:
    """Add the words of ``lines`` (one per line) to the government's list; words already
    there are ignored. Returns how many were added; audited as
    ``sensitive_words.added`` and the list's version bumped when any was. Flushes."""
    from participation.opinions.moderation import ModerationError

    words = clean_words(lines)[:MAX_WORDS_PER_CHANGE]
    if not words:
        raise ModerationError("word_required", field="words")
    existing = set(db.session.scalars(sa.select(SensitiveWord.word).where(
        SensitiveWord.government_id == government.id)))
    new = [word for word in words if word not in existing]
    if not new:
        return 0
    table = SensitiveWord.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    added = 0
    for start in range(0, len(new), 1000):
        # RETURNING counts what was inserted (a word added meanwhile by another request
        # is skipped by the conflict clause; rowcount is not reliable on every driver).
        added += len(db.session.execute(insert(table).values([
            {"government_id": government.id, "word": word, "created_at": now,
             "updated_at": now} for word in new[start:start + 1000]])
            .on_conflict_do_nothing().returning(table.c.id)).all())
    if added:
        _bump(government.id)
        audit.record("sensitive_words.added", government,
                     {"count": added, "words": new[:20]}, government_id=government.id,
                     actor=actor)
    db.session.flush()
    return added


def remove_words(government, word_ids: list[int], actor=None) -> int:
    """Remove the given words from the government's list (ids of other governments are
    ignored). Returns how many were removed; audited as ``sensitive_words.removed``."""
    if not word_ids:
        from participation.opinions.moderation import ModerationError

        raise ModerationError("nothing_selected")
    words = db.session.scalars(sa.select(SensitiveWord.word).where(
        SensitiveWord.government_id == government.id,
        SensitiveWord.id.in_(word_ids[:MAX_WORDS_PER_CHANGE]))).all()
    if not words:
        return 0
    db.session.execute(sa.delete(SensitiveWord).where(
        SensitiveWord.government_id == government.id,
        SensitiveWord.id.in_(word_ids[:MAX_WORDS_PER_CHANGE]))
        .execution_options(synchronize_session=False))
    _bump(government.id)
    audit.record("sensitive_words.removed", government,
                 {"count": len(words), "words": sorted(words)[:20]},
                 government_id=government.id, actor=actor)
    db.session.flush()
    return len(words)


def decode_word_file(data: bytes) -> list[str]:
    """The lines of an uploaded word list: UTF-8 (with or without BOM), else GBK/GB18030."""
    from participation.opinions.moderation import ModerationError

    if b"\x00" in data:
        raise ModerationError("word_file_unreadable", field="file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).splitlines()
        except UnicodeDecodeError:
            continue
    raise ModerationError("word_file_unreadable", field="file")


def import_words(government, data: bytes, actor=None) -> int:
    """Add the words of an uploaded text file (UTF-8 or GBK, one word per line;
    duplicates ignored). Returns how many were added."""
    return add_words(government, decode_word_file(data), actor=actor)


def set_report_threshold(government, threshold: int, actor=None) -> None:
    """Set how many citizens' reports send a public opinion back to review (1 … 100);
    audited as ``moderation.threshold_changed``."""
    from participation.opinions.moderation import ModerationError

    if not 1 <= threshold <= 100:
        raise ModerationError("threshold_range", field="report_threshold")
    settings = settings_for(government.id, create=True)
    changes = audit.diff(settings, {"report_threshold": threshold})
    db.session.flush()
    if changes:
        audit.record("moderation.threshold_changed", government, changes,
                     government_id=government.id, actor=actor)


def word_count(government_id: int) -> int:
    """How many words the government's list holds."""
    return db.session.scalar(sa.select(sa.func.count(SensitiveWord.id)).where(
        SensitiveWord.government_id == government_id)) or 0

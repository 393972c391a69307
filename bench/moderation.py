"""Moderation costs: what initial moderation adds per written opinion (the import path
calls ``written_fields`` once per row) and a bulk ``set_moderation_state``.

    .venv/bin/python bench/moderation.py [--words 10000] [--rows 20000]

Runs on a temporary SQLite database (migrated, one government and consultation). Prints
microseconds per row of ``written_fields`` with an empty and with a full sensitive-word
list, of the matching alone, and the time to hide then publish 1,000 opinions.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RARE = "鬻彘羸黩魍魉饕餮龃龉耄耋"
CHARS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"


def _text(rng: random.Random, length: int = 120) -> str:
    return "".join(rng.choice(CHARS) for _ in range(length))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from participation import create_app
    from participation.extensions import db

    tmp = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
                      "SECRET_KEY": "bench", "TESTING": True,
                      "UPLOAD_FOLDER": str(tmp / "uploads")})
    with app.app_context(), app.test_request_context():
        upgrade()
        from participation.opinions import moderation_words
        from participation.opinions import operations as opinion_ops
        from participation.opinions.models import ModerationState, Opinion
        from participation.opinions.moderation import set_moderation_state
        from tests import factories

        world = factories.make_world()
        catalogue = factories.make_catalogue(world.government)
        consultation = factories.make_consultation(
            factories.make_decision(catalogue, world.unit))
        rng = random.Random(6)
        texts = [_text(rng) for _ in range(args.rows)]

        def per_row(label: str, function) -> None:
            started = time.perf_counter()
            for text in texts:
                function(text)
            elapsed = time.perf_counter() - started
            print(f"{label}: {elapsed / len(texts) * 1e6:.1f} µs per row "
                  f"({len(texts)} rows)")

        from participation.opinions.moderation import initial_moderation

        per_row("written_fields, empty word list",
                lambda t: opinion_ops.written_fields(consultation, t, "张三"))
        per_row("initial_moderation alone, empty word list",
                lambda t: initial_moderation(consultation, t, "张三"))
        words = {"".join(rng.choice(CHARS) for _ in range(rng.randint(3, 6)))
                 for _ in range(args.words)}
        started = time.perf_counter()
        moderation_words.add_words(world.government, sorted(words))
        db.session.commit()
        print(f"adding {len(words)} words: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        moderation_words.matched_words(world.government.id, "x")  # builds the automaton
        print(f"building the automaton: {time.perf_counter() - started:.3f} s")
        per_row(f"matching alone, {len(words)} words (most texts contain some)",
                lambda t: moderation_words.matched_words(world.government.id, t, "张三"))
        per_row(f"initial_moderation alone, {len(words)} words",
                lambda t: initial_moderation(consultation, t, "张三"))
        per_row(f"written_fields, {len(words)} words",
                lambda t: opinion_ops.written_fields(consultation, t, "张三"))
        # The usual case: a list whose words occur in few opinions (another government).
        other = factories.make_government()
        rare = {"".join(rng.choice(RARE) for _ in range(rng.randint(2, 4)))
                for _ in range(args.words)}
        moderation_words.add_words(other, sorted(rare))
        db.session.commit()
        moderation_words.matched_words(other.id, "x")  # builds the automaton
        per_row(f"matching alone, {len(rare)} words absent from the texts",
                lambda t: moderation_words.matched_words(other.id, t, "张三"))
        held = sum(bool(moderation_words.matched_words(world.government.id, t))
                   for t in texts)
        print(f"rows held by a word: {held} of {len(texts)}")

        for i in range(1000):
            opinion_ops.submit_online(consultation, body=f"建议增加停车位{i}。", node_id=None,
                                      consent_to_publish=True, display_name=None,
                                      contact=None, submission_key=f"bench-{i}")
        db.session.commit()
        opinions = db.session.query(Opinion).all()
        started = time.perf_counter()
        set_moderation_state(opinions, ModerationState.HIDDEN, "spam")
        set_moderation_state(opinions, ModerationState.PUBLISHED)
        db.session.commit()
        print(f"hide then publish {len(opinions)} opinions (with audit entries): "
              f"{time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()

"""Issue 17: the message parser measured on a corpus of messages written for the tests
(tests/fixtures/messages.jsonl: terse, polite, several lines, traditional characters,
full-width digits, typos, two phone numbers, no phone, addressee and sender both named).
Issue 28 grew it to 314: all of China, voice-to-text (no punctuation, 逗号 spoken, 场房,
spoken digits), traditional characters, broker signatures, numbers as people say them.

Field-level precision (a value given is the expected one) and recall (an expected value is
given). Targets: precision ≥ 99 % — a wrong value is worse than none — and recall ≥ 95 %;
the held-out file keeps the issue 17 targets (98 %, 90 %) as the figure for unseen text.
Run `python -m tests.unit.intake.test_message_corpus` for the table and every miss."""
import json
from collections import Counter
from pathlib import Path

import pytest

from crm import parks
from crm.intake import message

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CORPUS = FIXTURES / "messages.jsonl"
# Written after the parser was frozen and never tuned on: the honest figure for new text.
HOLDOUT = FIXTURES / "messages_holdout.jsonl"


def _same(got, want) -> bool:
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return isinstance(got, (int, float)) and abs(float(got) - want) < 0.01
    return got == want


def evaluate(path=CORPUS):
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    given, right, expected = Counter(), Counter(), Counter()
    misses = []
    for row in rows:
        got = message.as_fields(message.read(row["text"]))
        want = row["expect"]
        for name, value in got.items():
            given[name] += 1
            if name in want and _same(value, want[name]):
                right[name] += 1
            else:
                misses.append(("wrong", name, value, want.get(name), row["text"]))
        for name, value in want.items():
            expected[name] += 1
            if name not in got:
                misses.append(("missed", name, None, value, row["text"]))
    return rows, given, right, expected, misses


@pytest.fixture
def seeded_parks(app):
    """The expected regions name parks (G60科创走廊, 临港新片区): the migration seeds them."""
    parks.seed_defaults()


def test_precision_and_recall_meet_the_targets(seeded_parks):
    rows, given, right, expected, misses = evaluate()
    assert len(rows) >= 300
    precision = sum(right.values()) / sum(given.values())
    recall = sum(right.values()) / sum(expected.values())
    wrong = [m for m in misses if m[0] == "wrong"]
    assert precision >= 0.99, wrong
    assert recall >= 0.95, [m for m in misses if m[0] == "missed"]


def test_the_held_out_messages_meet_the_targets_too(seeded_parks):
    rows, given, right, expected, misses = evaluate(HOLDOUT)
    assert len(rows) >= 30
    assert sum(right.values()) / sum(given.values()) >= 0.98, misses
    assert sum(right.values()) / sum(expected.values()) >= 0.90, misses


if __name__ == "__main__":
    import sys

    from config import TestConfig
    from crm import create_app
    from crm.extensions import db
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = "sqlite://"
    context = create_app(config).app_context()
    context.push()
    db.create_all()
    parks.seed_defaults()
    rows, given, right, expected, misses = evaluate(HOLDOUT if "--holdout" in sys.argv else CORPUS)
    print(f"{len(rows)} messages")
    print(f"{'field':16} {'expected':>8} {'given':>6} {'right':>6} {'precision':>9} {'recall':>7}")
    for name in sorted(expected | given):
        p = right[name] / given[name] if given[name] else 1
        r = right[name] / expected[name] if expected[name] else 1
        print(f"{name:16} {expected[name]:8} {given[name]:6} {right[name]:6} {p:9.1%} {r:7.1%}")
    total_p = sum(right.values()) / sum(given.values())
    total_r = sum(right.values()) / sum(expected.values())
    print(f"{'all':16} {sum(expected.values()):8} {sum(given.values()):6} "
          f"{sum(right.values()):6} {total_p:9.1%} {total_r:7.1%}")
    for kind, name, got, want, text in misses:
        print(f"{kind:6} {name:14} got={got!r} want={want!r} | {text[:70]}")

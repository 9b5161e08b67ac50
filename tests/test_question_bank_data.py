"""The held-out question bank is well formed, covers every answer, and is not training data."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.knowledge import QUESTION_KINDS
from evaluation.banks import FRESH_BANK, UNSEEN_BANK, load_bank

BANK = load_bank()
# The smaller banks, each reported on its own by `make eval`.
FRESH = load_bank(FRESH_BANK) + load_bank(UNSEEN_BANK)
NLU_DIR = PROJECT_ROOT / "data" / "nlu"


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _training_examples() -> set:
    examples = set()
    for path in sorted(Path(NLU_DIR).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or ():
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.add(_words(line[2:]))
    return examples


def test_bank_is_big_enough_and_has_follow_ups():
    assert len(BANK) >= 420
    assert sum(1 for q in BANK if q.context) >= 15
    assert len(load_bank(FRESH_BANK)) >= 50
    assert len(load_bank(UNSEEN_BANK)) >= 100


def test_fresh_bank_is_not_a_copy_of_the_main_bank():
    main = {_words(t) for q in BANK for t in (q.text, q.context) if t}
    assert not [q.text for q in FRESH if _words(q.text) in main]


def test_every_entry_and_variant_is_expected_at_least_five_times(kb):
    counts = Counter(q.entry for q in BANK)
    keys = [e.id for e in kb.entries.values()] + [f"{e.id}:{v}" for e in kb.entries.values() for v in e.variants]
    assert len([k for k in keys if ":" not in k]) == len(kb.entries)
    too_few = {k: counts[k] for k in keys if counts[k] < 5}
    assert not too_few, too_few
    unknown = set(counts) - set(keys)
    assert not unknown, unknown


def test_labels_use_known_intents_and_subjects(kb):
    for q in BANK + FRESH:
        assert q.text.strip(), q
        assert q.intent in QUESTION_KINDS, q
        for label, value in q.entities:
            assert value in kb.subjects, (q.text, value)
            assert kb.subjects[value].label == label, (q.text, label, value)
        assert len(set(q.values)) == len(q.entities), f"duplicate entity in {q.text!r}"


def _near_copy(a: str, b: str) -> bool:
    """The same words in the same order but for one word added or dropped (or, in a long
    question, changed): "is NET a type of cancer" vs "is a NET a type of cancer"."""
    x, y = a.split(), b.split()
    if x == y:
        return True
    if len(x) == len(y) >= 7:
        return sum(p != q for p, q in zip(x, y, strict=True)) == 1
    if abs(len(x) - len(y)) == 1 and min(len(x), len(y)) >= 5:
        longer, shorter = (x, y) if len(x) > len(y) else (y, x)
        return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
    return False


def test_no_bank_question_is_a_training_example():
    training = _training_examples()
    assert len(training) > 300  # the NLU data was read
    asked = {_words(t) for q in BANK + FRESH for t in (q.text, q.context) if t}
    copied = sorted(t for t in asked if t in training)
    assert not copied, copied
    near = sorted((t, ex) for t in asked for ex in training if _near_copy(t, ex))
    assert not near, near


def test_bank_questions_are_distinct():
    seen = Counter(_words(q.text) for q in BANK + FRESH if not q.context)
    assert [t for t, n in seen.items() if n > 1] == []


def test_bank_includes_questions_answered_by_a_more_general_entry(kb):
    """Some subjects have no entry of their own for the question asked: the general one answers."""
    general = []
    for q in BANK:
        routing = [v for label, v in q.entities if label not in ("uncovered", "region", "other_condition")]
        found = kb.resolve(q.intent, routing) if routing else None
        if found is not None and found.key == q.entry and not found.specific:
            general.append(q.text)
    assert len(general) >= 10, general


@pytest.mark.parametrize("kind", ["tumor", "tumour", "diarrhea", "diarrhoea"])
def test_bank_mixes_uk_and_us_spellings(kind):
    assert any(kind in q.text.lower() for q in BANK)

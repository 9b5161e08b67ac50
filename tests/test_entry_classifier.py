"""The entry model (bot/entry_classifier.py) and how bot/dialogue.py weighs it against the route."""

from __future__ import annotations

import pytest

from bot import entry_classifier
from bot.dialogue import Turn, respond

MIN_EXAMPLES_PER_ENTRY = 30  # issue 12: at least 30 training examples per entry and variant


def test_every_entry_and_variant_has_enough_example_questions(kb):
    counts = entry_classifier.counts()
    keys = {entry.id for entry in kb.entries.values()} | {
        f"{entry.id}:{variant}" for entry in kb.entries.values() for variant in entry.variants
    }
    assert set(counts) <= keys, f"example questions for unknown entries: {sorted(set(counts) - keys)}"
    short = {key: counts.get(key, 0) for key in keys if counts.get(key, 0) < MIN_EXAMPLES_PER_ENTRY}
    assert not short, f"fewer than {MIN_EXAMPLES_PER_ENTRY} example questions: {short}"


def test_the_route_examples_are_labelled_with_real_entries(kb):
    rows = entry_classifier.route_examples()
    assert len(rows) > 1000
    for _, key in rows:
        assert kb.resolution_for(key) is not None, key


def test_a_question_outside_the_kinds_is_answered_by_the_entry_model():
    """No question kind was recognised (the NLU fell back), but the model knows the entry."""
    text = "what share of people with a NET end up getting carcinoid syndrome?"
    reply = respond(Turn(text=text, intent="nlu_fallback", confidence=0.2, ranking=[("nlu_fallback", 0.2)]))
    assert reply.kind == "answer"
    assert reply.entry == "carcinoid_syndrome"


@pytest.mark.parametrize("text", ["asdf qwer zxcv", "the thing"])
def test_below_the_model_minimum_the_fallback_is_honest(text):
    reply = respond(Turn(text=text, intent="nlu_fallback", confidence=0.1, ranking=[("nlu_fallback", 0.1)]))
    assert reply.kind == "fallback"
    assert reply.entry is None


def test_a_question_without_a_subject_is_read_with_the_conversations_subject():
    """The route knows the subject in context; the model, reading only the words, would not."""
    turn = Turn(
        text="what are the symptoms?",
        intent="ask_symptoms",
        confidence=0.9,
        context_subject="insulinoma",
        ranking=[("ask_symptoms", 0.9)],
    )
    assert respond(turn).entry == "pancreatic_nets:insulinoma"
    assert entry_classifier.ranking("what are the symptoms?")[0].key != "pancreatic_nets:insulinoma"

"""Feedback on an answer: "Helpful" / "Not helpful" buttons after every entry's answer; the choice
is recorded in the conversation with the entry it rates, and a "not helpful" gets a short thanks
and the starter suggestions, never a second medical answer."""

from __future__ import annotations

import json

import pytest

from bot import answers
from bot.dialogue import Turn, respond
from bot.knowledge import Resolution
from bot.shaping import choose, shape


@pytest.fixture(scope="module")
def answer(kb):
    return respond(Turn("what is carcinoid syndrome?", "ask_definition", 0.95), kb)


def payload_turn(button: answers.Button, last_entry: str) -> Turn:
    intent, _, entities = button.payload[1:].partition("{")
    parsed = json.loads("{" + entities) if entities else {}
    return Turn(
        button.payload,
        intent,
        1.0,
        entities=[{"entity": k, "value": v} for k, v in parsed.items()],
        last_entry=last_entry,
        first_reply=False,
    )


def test_every_entry_answer_offers_helpful_and_not_helpful_for_itself(kb):
    for entry in kb.entries.values():
        for variant in [None, *entry.variants.values()]:
            key = variant.key if variant else None
            resolution = Resolution(entry, variant, key, key, True)
            reply = answers.answer_reply(kb, resolution, None)
            helpful, not_helpful = reply.buttons[-2:]
            assert (helpful.title, not_helpful.title) == ("Helpful", "Not helpful")
            for button, intent in ((helpful, "feedback_helpful"), (not_helpful, "feedback_not_helpful")):
                assert button.payload == f'/{intent}{{"rated_entry":"{resolution.key}"}}'


def test_helpful_is_thanked_and_recorded_with_the_entry(kb, answer):
    helpful = answer.buttons[-2]
    reply = respond(payload_turn(helpful, answer.slots[answers.LAST_ENTRY_SLOT]), kb)
    assert reply.kind == "feedback" and reply.entry is None and not reply.sources
    assert reply.body == kb.messages["feedback_thanks"]
    assert reply.slots[answers.FEEDBACK_SLOT] == "helpful carcinoid_syndrome"
    assert reply.text.endswith(answers.closing(kb, None, compact=True))


def test_not_helpful_gets_thanks_and_the_starter_suggestions_never_a_medical_answer(kb, answer):
    not_helpful = answer.buttons[-1]
    reply = respond(payload_turn(not_helpful, answer.slots[answers.LAST_ENTRY_SLOT]), kb)
    assert reply.kind == "feedback" and reply.entry is None and not reply.sources and not reply.citation
    assert reply.body == " ".join(kb.messages["feedback_sorry"].split())
    assert [b.payload for b in reply.buttons] == [b.payload for b in answers.starter_buttons(kb)]
    assert reply.slots[answers.FEEDBACK_SLOT] == "not_helpful carcinoid_syndrome"
    # The answer rated stays the one "where does it say that?" quotes.
    assert answers.LAST_ENTRY_SLOT not in reply.slots


def test_a_title_sent_back_as_text_rates_the_last_answer(kb):
    # Telegram carries a payload over 64 bytes as the button's title, which the NLU reads.
    reply = respond(Turn("Not helpful", "feedback_not_helpful", 0.97, last_entry="pancreatic_nets:insulinoma"), kb)
    assert reply.kind == "feedback"
    assert reply.slots[answers.FEEDBACK_SLOT] == "not_helpful pancreatic_nets:insulinoma"


def test_a_question_that_says_something_was_not_helpful_is_answered_as_a_question(kb):
    text = "the octreotide injections were not helpful for my carcinoid syndrome flushing, what can I do to ease it?"
    reply = respond(Turn(text, "feedback_not_helpful", 0.6, context_subject="carcinoid_syndrome"), kb)
    assert reply.kind != "feedback"
    assert answers.FEEDBACK_SLOT not in reply.slots


def test_on_sms_feedback_is_a_numbered_reply(kb, answer):
    (message,) = shape("twilio", answer.as_message())[-1:]
    offered = [b.as_dict() for b in answer.buttons]
    numbers = {b.title: i for i, b in enumerate(answer.buttons, 1)}
    assert f"{numbers['Helpful']}. Helpful" in message.text and f"{numbers['Not helpful']}. Not helpful" in message.text
    assert choose("twilio", str(numbers["Not helpful"]), offered) == answer.buttons[-1].payload

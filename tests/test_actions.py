"""The Rasa SDK actions, with trackers built in code and a CollectingDispatcher."""

from __future__ import annotations

import pytest

from actions.answer import ActionAnswer, ActionDefaultFallback, ActionRestart, turn_from_tracker
from bot import answers
from bot.referral import referral_text
from tests.conftest import make_tracker


async def run(action, tracker, dispatcher):
    return await action.run(dispatcher, tracker, {})


async def test_answers_a_definition_with_source_disclaimer_and_referral(kb, dispatcher):
    tracker = make_tracker(
        "what is a neuroendocrine tumour?", "ask_definition", entities=[{"entity": "net_type", "value": "net"}]
    )
    events = await run(ActionAnswer(), tracker, dispatcher)
    assert len(dispatcher.messages) == 1
    text = dispatcher.messages[0]["text"]
    assert text.startswith("A neuroendocrine tumour (NET) is an uncommon type of cancer")
    assert "Sources: Neuroendocrine Tumor Research Foundation (NETRF); Canadian Cancer Society." in text
    assert text.endswith(referral_text(kb, None))
    assert {"event": "slot", "timestamp": None, "name": "subject", "value": "net"} in events
    buttons = dispatcher.messages[0]["buttons"]
    assert len(buttons) == 6  # three related topics, "Show the source", then the feedback pair
    assert buttons[3] == {"title": "Show the source", "payload": "/ask_source"}
    assert buttons[4:] == [
        {"title": "Helpful", "payload": '/feedback_helpful{"rated_entry":"what_is_net"}'},
        {"title": "Not helpful", "payload": '/feedback_not_helpful{"rated_entry":"what_is_net"}'},
    ]
    assert {"event": "slot", "timestamp": None, "name": "last_entry", "value": "what_is_net"} in events


async def test_uses_the_subject_slot_for_follow_ups(dispatcher):
    tracker = make_tracker("what are the symptoms?", "ask_symptoms", slots={"subject": "lung_net"})
    await run(ActionAnswer(), tracker, dispatcher)
    assert "a cough that won't go away" in dispatcher.messages[0]["text"]  # the lung answer


async def test_entity_values_as_typed_are_normalised(dispatcher):
    tracker = make_tracker(
        "symptoms of carcinod syndrom", "ask_symptoms", entities=[{"entity": "condition", "value": "carcinod syndrom"}]
    )
    await run(ActionAnswer(), tracker, dispatcher)
    assert dispatcher.messages[0]["text"].startswith("The main symptoms of carcinoid syndrome")


async def test_region_from_channel_metadata(kb, dispatcher):
    tracker = make_tracker("how do I find a NET specialist?", "find_specialist", metadata={"country": "CA"})
    events = await run(ActionAnswer(), tracker, dispatcher)
    assert dispatcher.messages[0]["text"].endswith(referral_text(kb, "canada"))
    assert any(e.get("name") == "region" and e.get("value") == "canada" for e in events)


async def test_region_is_asked_once_with_buttons(dispatcher):
    tracker = make_tracker("how do I find a NET specialist?", "find_specialist")
    events = await run(ActionAnswer(), tracker, dispatcher)
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert '/inform_region{"region":"uk"}' in payloads
    assert any(e.get("name") == "region_asked" for e in events)
    again = make_tracker("how do I find a NET specialist?", "find_specialist", slots={"region_asked": "true"})
    dispatcher.messages.clear()
    await run(ActionAnswer(), again, dispatcher)
    assert not any("/inform_region" in b["payload"] for b in dispatcher.messages[0].get("buttons", []))


async def test_fallback_action_is_honest_and_safe(kb, dispatcher):
    tracker = make_tracker("blorp fizzle wug", "nlu_fallback", confidence=0.2)
    await run(ActionDefaultFallback(), tracker, dispatcher)
    text = dispatcher.messages[0]["text"]
    assert text.startswith("I'm not sure I understood that")
    assert text.endswith(referral_text(kb, None))


async def test_a_failure_inside_the_bot_still_gets_a_safe_reply(kb, dispatcher, monkeypatch):
    def broken(turn):
        raise RuntimeError("knowledge base unavailable")

    monkeypatch.setattr("actions.answer.respond", broken)
    tracker = make_tracker("what is a NET?", "ask_definition", slots={"region": "uk"})
    events = await run(ActionAnswer(), tracker, dispatcher)
    text = dispatcher.messages[0]["text"]
    assert text.startswith("Sorry, something went wrong")
    assert text.endswith(referral_text(kb, "uk"))
    assert events == []


def test_turn_reads_text_intent_entities_slots_and_metadata():
    tracker = make_tracker(
        "hi", "greet", 0.7, entities=[{"entity": "region", "value": "uk"}], slots={"subject": "nec"}, metadata={"country": "GB"}
    )
    turn = turn_from_tracker(tracker)
    assert (turn.text, turn.intent, turn.confidence, turn.context_subject) == ("hi", "greet", 0.7, "nec")
    assert turn.metadata == {"country": "GB"} and turn.entities[0]["value"] == "uk"


@pytest.mark.parametrize("action", [ActionAnswer(), ActionDefaultFallback(), ActionRestart()])
def test_action_names_match_the_domain(action):
    import yaml

    from bot.config import PROJECT_ROOT

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    assert action.name() in domain["actions"]


async def test_restart_says_so_and_ends_with_disclaimer_and_referral(kb, dispatcher):
    tracker = make_tracker("/restart", "restart", slots={"region": "canada", "subject": "nec"})
    events = await run(ActionRestart(), tracker, dispatcher)
    assert events == [{"event": "restart", "timestamp": None}]
    [message] = dispatcher.messages
    assert message["text"].startswith("I've started a new conversation")
    assert message["text"].endswith(referral_text(kb, "canada"))
    assert message["buttons"]


def test_the_first_reply_of_a_conversation_is_known_from_its_events():
    from actions.answer import first_reply

    started = [{"event": "action", "name": "action_session_start"}, {"event": "session_started"}]
    user = {"event": "user", "text": "hi"}
    bot = {"event": "bot", "text": "Hello"}
    assert first_reply([]) and first_reply(started + [user])
    assert not first_reply(started + [user, bot, user])
    # A new session, or a restart, starts a new conversation: the full closing again.
    assert first_reply(started + [user, bot] + started + [user])
    assert first_reply([user, bot, {"event": "restart"}, user])


async def test_later_replies_carry_the_compact_closing(kb, dispatcher):
    tracker = make_tracker("what is carcinoid syndrome?", "ask_definition", slots={"region": "canada"})
    tracker.events[:0] = [{"event": "user", "text": "hello"}, {"event": "bot", "text": "Hello!"}]
    await run(ActionAnswer(), tracker, dispatcher)
    text = dispatcher.messages[0]["text"]
    assert text.endswith(referral_text(kb, "canada", compact=True))
    assert text.endswith(answers.closing(kb, "canada", compact=True))

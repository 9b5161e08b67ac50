"""bot/serving/action_call.py: what Rasa sends the action server is bounded, whatever is stored."""

from __future__ import annotations

from rasa.core.actions.action import RemoteAction
from rasa.shared.core.constants import SESSION_START_METADATA_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.serving.action_call import RECENT_EVENTS, action_call

# Rasa adds the session_started_metadata slot to every domain itself.
DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
actions: [action_answer]
"""
)


def test_a_long_conversation_with_an_oversized_stored_event_is_sent_bounded():
    huge = {"x": "a" * 500_000, **{f"k{i}": i for i in range(20_000)}, "region": "uk", "model_id": "m1"}
    events = [SlotSet(SESSION_START_METADATA_SLOT, huge)]
    for turn in range(30):
        events += [
            UserUttered(f"question {turn}", {"name": "greet", "confidence": 1.0}, metadata=huge),
            ActionExecuted("action_answer"),
        ]
    tracker = DialogueStateTracker.from_events("someone", events, slots=DOMAIN.slots)
    action = RemoteAction("action_answer", EndpointConfig("http://127.0.0.1:9/webhook"))

    call = action_call(action, tracker, DOMAIN)

    state = call["tracker"]
    assert call["next_action"] == "action_answer" and call["sender_id"] == "someone"
    assert len(state["events"]) == RECENT_EVENTS
    assert state["latest_message"]["text"] == "question 29"
    assert state["latest_message"]["metadata"] == {"region": "uk"}
    assert state["slots"][SESSION_START_METADATA_SLOT] == {"region": "uk"}
    user_events = [e for e in state["events"] if e["event"] == "user"]
    assert user_events and all(e["metadata"] == {"region": "uk", "model_id": "m1"} for e in user_events)
    assert "domain" in call  # sent exactly when Rasa would (no selective domain configured)
    assert len(str(call)) < 20_000

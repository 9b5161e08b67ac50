"""What Rasa sends the action server on each turn: the state our actions read, bounded.

Rasa's RemoteAction posts the whole conversation (every event, `EventVerbosity.ALL`) on every
turn. Our actions read only the latest message, the slots and the last few events, so a long
conversation made each turn slower and, past the action server's request bound, refused for
good (413: the apology on every later turn, `/restart` included). Here the call carries the
same fields as Rasa's, with the last `RECENT_EVENTS` events and the metadata bounded as the
channels bound it (bot.serving.metadata), so an event stored before the bounds existed is not
sent again. The domain is sent exactly when Rasa would send it.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, Dict

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.constants import SESSION_START_METADATA_SLOT
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.serving import metadata

RECENT_EVENTS = 12
# A stored user event's metadata: the channel's keys and Rasa's own (model and assistant ids).
EVENT_KEYS = metadata.ALLOWED_KEYS | frozenset(metadata.RASA_EVENT_KEYS)


def _bound_event(event: Dict[str, Any]) -> None:
    """A stored event as sent: the metadata of a user message (its own and its parse's) and the
    session-start metadata slot bounded, whatever was stored before the channels bounded them."""
    if event.get("event") == "user":
        if "metadata" in event:
            event["metadata"] = metadata.bounded(event["metadata"], EVENT_KEYS, log=False)
        parse = event.get("parse_data")
        if isinstance(parse, dict) and "metadata" in parse:
            parse["metadata"] = metadata.bounded(parse["metadata"], log=False)
    elif event.get("event") == "slot" and event.get("name") == SESSION_START_METADATA_SLOT and event.get("value") is not None:
        event["value"] = metadata.bounded(event.get("value"), log=False)


def action_call(action: RemoteAction, tracker: DialogueStateTracker, domain: Any) -> Dict[str, Any]:
    """Rasa's action-call payload, bounded (same keys and meaning as `RemoteAction._action_call_format`)."""
    state = tracker.current_state(EventVerbosity.NONE)
    skip = max(0, len(tracker.events) - RECENT_EVENTS)
    state["events"] = [event.as_dict() for event in islice(tracker.events, skip, None)]
    latest = state.get("latest_message")
    if isinstance(latest, dict) and "metadata" in latest:
        latest["metadata"] = metadata.bounded(latest["metadata"], log=False)
    for event in state["events"]:
        _bound_event(event)
    slots = state.get("slots")
    if isinstance(slots, dict) and slots.get(SESSION_START_METADATA_SLOT) is not None:
        slots[SESSION_START_METADATA_SLOT] = metadata.bounded(slots[SESSION_START_METADATA_SLOT], log=False)
    result: Dict[str, Any] = {
        "next_action": action.name(),
        "sender_id": tracker.sender_id,
        "tracker": state,
        "version": rasa.__version__,
    }
    if not action._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(action.name()):
        result["domain"] = domain.as_dict()
    return result


def install() -> None:
    """Use `action_call` for every call Rasa makes to the action server."""
    RemoteAction._action_call_format = action_call  # type: ignore[method-assign,assignment]

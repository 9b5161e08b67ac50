"""The one action that answers every user turn, and the fallback override."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import Restarted, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.answers import Reply
from bot.dialogue import Turn, command_reply, error_reply, respond, restart_reply

logger = logging.getLogger(__name__)


def turn_from_tracker(tracker: Tracker) -> Turn:
    """What `bot/` needs from the tracker: text, intent, entities, slots and channel metadata."""
    message: Dict[str, Any] = tracker.latest_message or {}
    metadata = message.get("metadata") or tracker.get_slot("session_started_metadata") or {}
    return Turn.from_parse(
        message,
        context_subject=tracker.get_slot("subject"),
        region=tracker.get_slot("region"),
        region_asked=bool(tracker.get_slot("region_asked")),
        last_entry=tracker.get_slot("last_entry"),
        metadata=metadata if isinstance(metadata, dict) else {},
        first_reply=first_reply(tracker.events),
    )


def first_reply(events: List[Dict[str, Any]]) -> bool:
    """Whether the bot has said nothing yet in this conversation (since it started or restarted):
    the first reply carries the full disclaimer and referral. (Rasa sends the last events of the
    conversation, bot/serving/action_call.py: the last reply is always among them.)"""
    for event in reversed(events or []):
        kind = event.get("event")
        if kind == "bot":
            return False
        if kind in ("session_started", "restart"):
            return True
    return True


class SafeReplyAction(Action, ABC):
    """An action whose user always gets a reply: if building it fails, the safe error reply.
    (Abstract, so rasa_sdk does not register it as an action of its own.)"""

    @abstractmethod
    def reply_for(self, tracker: Tracker) -> Reply:
        """The reply to send."""

    def events_after(self, reply: Reply) -> List[Dict[str, Any]]:
        return [SlotSet(name, value) for name, value in reply.slots.items()]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        region: Optional[str] = tracker.get_slot("region")
        try:
            reply = self.reply_for(tracker)
        except Exception:  # the user must always get a safe reply
            logger.exception("%s failed", self.name())
            reply = error_reply(region)
        dispatcher.utter_message(**reply.as_message())  # type: ignore[arg-type]
        return self.events_after(reply)


class ActionAnswer(SafeReplyAction):
    """Answer the latest message: safety checks, then the knowledge base."""

    def name(self) -> str:
        return "action_answer"

    def reply_for(self, tracker: Tracker) -> Reply:
        return respond(turn_from_tracker(tracker))


class ActionDefaultFallback(ActionAnswer):
    """Rasa's core fallback goes through the same safe path (honest 'not sure' + referral)."""

    def name(self) -> str:
        return "action_default_fallback"


class ActionRestart(SafeReplyAction):
    """/restart: Rasa's own restart says nothing without an `utter_restart` template; ours says
    the conversation was restarted, with the disclaimer and referral like every reply."""

    def name(self) -> str:
        return "action_restart"

    def reply_for(self, tracker: Tracker) -> Reply:
        return restart_reply(tracker.get_slot("region"))

    def events_after(self, reply: Reply) -> List[Dict[str, Any]]:
        return [Restarted()]


class ActionBack(SafeReplyAction):
    """/back typed by a user: Rasa's own undoes the last exchange in silence; ours also says so."""

    def name(self) -> str:
        return "action_back"

    def reply_for(self, tracker: Tracker) -> Reply:
        return command_reply("back", tracker.get_slot("region"))

    def events_after(self, reply: Reply) -> List[Dict[str, Any]]:
        return [UserUtteranceReverted(), UserUtteranceReverted()]

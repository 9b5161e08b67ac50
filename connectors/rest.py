"""REST channel that never answers with a 500 and never leaves the user without a reply.

Same URL and JSON as Rasa's own (`POST /webhooks/rest/webhook` with `{"sender", "message"}`),
plus: request validation with clear 4xx errors, a bound on message size, a friendly reply to
empty messages, and a safe reply (apology + disclaimer + referral) when the bot produced
nothing, e.g. because the action server is down.
"""

from __future__ import annotations

import inspect
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import settings
from bot.dialogue import Turn, error_reply, respond

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
# Texts longer than this are refused outright; shorter long texts are cut by the bot and the
# user is told so.
MAX_MESSAGE_CHARS = 100_000


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def safe_messages(recipient_id: str, region: Optional[str] = None) -> List[Dict[str, Any]]:
    reply = error_reply(region)
    message: Dict[str, Any] = {"recipient_id": recipient_id, **reply.as_message()}
    return [message]


class SafeRestInput(RestInput):
    """Rasa's REST channel with validation and a guaranteed, safe reply."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:
                return _error(400, "The body must be JSON, like {\"sender\": \"id\", \"message\": \"text\"}.")
            if not isinstance(body, dict):
                return _error(400, "The body must be a JSON object with 'sender' and 'message'.")
            sender = body.get("sender")
            text = body.get("message")
            if sender is None or (isinstance(sender, str) and not sender.strip()):
                return _error(400, "'sender' is required: an id for the conversation.")
            if isinstance(sender, (int, float)) and not isinstance(sender, bool):
                sender = str(sender)
            if not isinstance(sender, str):
                return _error(400, "'sender' must be a string.")
            if len(sender) > MAX_SENDER_CHARS:
                return _error(400, f"'sender' must be at most {MAX_SENDER_CHARS} characters.")
            if "message" not in body:
                return _error(400, "'message' is required: the user's text.")
            if not isinstance(text, str):
                return _error(400, "'message' must be a string.")
            if len(text) > MAX_MESSAGE_CHARS:
                return _error(413, f"'message' must be at most {MAX_MESSAGE_CHARS} characters.")
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            if not text.strip():
                reply = respond(Turn(text=""))
                return response.json([{"recipient_id": sender, **reply.as_message()}])
            # The bot reads at most max_message_chars (+1 so it knows it was cut).
            text = text[: settings().max_message_chars + 1]
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except CancelledError:
                logger.error("rest channel: message handling timed out")
            except Exception:
                logger.exception("rest channel: message handling failed")
            messages = [m for m in collector.messages if m.get("text") or m.get("buttons") or m.get("custom")]
            if not messages:
                messages = safe_messages(sender)
            return response.json(messages)

        return webhook

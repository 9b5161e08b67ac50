"""REST channel that never answers with a 500 and never leaves the user without a reply.

Same URL and JSON as Rasa's own (`POST /webhooks/rest/webhook` with `{"sender", "message"}`),
plus request validation with clear 4xx errors. Everything else is the channel core's
(bot.serving.channels.base.guarded): bounded metadata, storable and bounded text, the reply to
an empty message, flood control (here 429 with Retry-After, before any work is done), and the
safe apology when Rasa sent nothing (the action server down or too slow). Each bot message is
returned with its `text`, `buttons`, and its parts under `reply` (body, citation, closing, kind,
entry, sources), for clients that show the closing apart from the answer.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import settings
from bot.serving.channels.base import add_health_route, guarded
from bot.shaping import REPLY_KEY

logger = logging.getLogger(__name__)

_BAD_SENDER = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _error(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=headers)


class RestOutput(CollectingOutputChannel):
    """Collects the bot messages of one request as JSON: text, buttons and the reply's parts."""

    sent = False

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent = True
        out: Dict[str, Any] = {"recipient_id": recipient_id, "text": message.get("text") or ""}
        if message.get("buttons"):
            out["buttons"] = message["buttons"]
        if message.get(REPLY_KEY):
            out[REPLY_KEY] = message[REPLY_KEY]
        self.messages.append(out)


class SafeRestInput(RestInput):
    """Rasa's REST channel with validation and a guaranteed, safe reply."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        handle = guarded(on_new_message, answer_throttled=False)
        module = inspect.getmodule(self)
        webhook = add_health_route(Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:
                return _error(400, 'The body must be JSON, like {"sender": "id", "message": "text"}.')
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
            config = settings()
            if len(sender) > config.max_sender_chars:
                return _error(400, f"'sender' must be at most {config.max_sender_chars} characters.")
            if _BAD_SENDER.search(sender):
                return _error(400, "'sender' must not contain control characters.")
            if "message" not in body:
                return _error(400, "'message' is required: the user's text.")
            if not isinstance(text, str):
                return _error(400, "'message' must be a string.")
            # Longer texts are refused outright; shorter long ones are cut by the channel core (the
            # bot then says it read only the beginning).
            if len(text) > config.max_input_chars:
                return _error(413, f"'message' must be at most {config.max_input_chars} characters.")
            collector = RestOutput()
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=body.get("metadata"))
            wait = await handle(message)
            if wait is not None:
                return _error(
                    429,
                    "Too many messages at once in this conversation: please wait for the answer, then ask again.",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
            return response.json(collector.messages)

        return webhook

"""REST channel that never answers with a 500 and never leaves the user without a reply.

Same URL and JSON as Rasa's own (`POST /webhooks/rest/webhook` with `{"sender", "message"}`),
plus: request validation with clear 4xx errors, a bound on message size, a friendly reply to
empty messages, and a safe reply (apology + disclaimer + referral) when the bot produced
nothing, e.g. because the action server is down or too slow (bot/serving/launcher.py bounds the wait).

Flood control per sender, per server process (SenderGuard): at most NETBOT_MAX_PENDING_PER_SENDER
messages of one conversation in flight (default 3), and a token bucket of NETBOT_RATE_BURST
messages (default 20) refilled at NETBOT_RATE_PER_MINUTE (default 60). Beyond that: 429 with
Retry-After, before any work is done. Rasa sends the whole conversation to the action server on
every turn, so one sender flooding one conversation would otherwise slow everybody down.

Texts are made storable before Rasa sees them: NUL and lone UTF-16 surrogates (possible in
JSON) cannot be written to PostgreSQL or SQLite and would lose the turn.
"""

from __future__ import annotations

import inspect
import logging
import math
import os
import re
import time
from asyncio import CancelledError
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import answers
from bot.answers import Reply
from bot.config import settings
from bot.dialogue import Turn, error_reply, respond
from bot.knowledge import get_knowledge_base
from bot.serving.channels.base import add_health_route, guarded

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
# Texts longer than this are refused outright; shorter long texts are cut by the bot and the
# user is told so.
MAX_MESSAGE_CHARS = 100_000

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_BAD_SENDER = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _error(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=headers)


def storable(text: str) -> str:
    """`text` without the characters no tracker store can write (NUL, lone surrogates)."""
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class SenderGuard:
    """Per-sender limits for one server process: messages in flight, and a token bucket."""

    def __init__(self, max_pending: int, burst: float, per_minute: float, max_senders: int = 50_000) -> None:
        self.max_pending = max_pending
        self.burst = burst
        self.rate = per_minute / 60.0
        self.max_senders = max_senders
        self.pending: Dict[str, int] = {}
        self.buckets: OrderedDict[str, Tuple[float, float]] = OrderedDict()

    @classmethod
    def from_environment(cls) -> SenderGuard:
        return cls(
            max_pending=int(_env_number("NETBOT_MAX_PENDING_PER_SENDER", 3)),
            burst=_env_number("NETBOT_RATE_BURST", 20),
            per_minute=_env_number("NETBOT_RATE_PER_MINUTE", 60),
        )

    def admit(self, sender: str) -> Optional[float]:
        """None if the message may go on (call `release` after), else seconds to wait."""
        if self.pending.get(sender, 0) >= self.max_pending:
            return 1.0
        now = time.monotonic()
        tokens, last = self.buckets.pop(sender, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self.buckets[sender] = (tokens, now)
            return (1.0 - tokens) / self.rate if self.rate > 0 else 60.0
        self.buckets[sender] = (tokens - 1.0, now)
        while len(self.buckets) > self.max_senders:
            self.buckets.popitem(last=False)
        self.pending[sender] = self.pending.get(sender, 0) + 1
        return None

    def release(self, sender: str) -> None:
        left = self.pending.get(sender, 1) - 1
        if left > 0:
            self.pending[sender] = left
        else:
            self.pending.pop(sender, None)


THROTTLED = "You're sending messages faster than I can answer. Please wait for my answer, then ask again."


def throttled_reply() -> Reply:
    """For a channel without status codes (socket.io): a message over the flood limit."""
    return answers.finish(get_knowledge_base(), [THROTTLED], kind="throttled", region=None, short=True)


def safe_messages(recipient_id: str, region: Optional[str] = None) -> List[Dict[str, Any]]:
    reply = error_reply(region)
    message: Dict[str, Any] = {"recipient_id": recipient_id, **reply.as_message()}
    return [message]


class SafeRestInput(RestInput):
    """Rasa's REST channel with validation and a guaranteed, safe reply."""

    def __init__(self) -> None:
        super().__init__()
        self.guard = SenderGuard.from_environment()

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        on_new_message = guarded(on_new_message)
        module = inspect.getmodule(self)
        webhook = add_health_route(Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None))

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
            if _BAD_SENDER.search(sender):
                return _error(400, "'sender' must not contain control characters.")
            if "message" not in body:
                return _error(400, "'message' is required: the user's text.")
            if not isinstance(text, str):
                return _error(400, "'message' must be a string.")
            if len(text) > MAX_MESSAGE_CHARS:
                return _error(413, f"'message' must be at most {MAX_MESSAGE_CHARS} characters.")
            metadata = body.get("metadata")
            if not text.strip():
                reply = respond(Turn(text=""))
                return response.json([{"recipient_id": sender, **reply.as_message()}])
            # The bot reads at most max_message_chars (+1 so it knows it was cut).
            text = storable(text[: settings().max_message_chars + 1])
            wait = self.guard.admit(sender)
            if wait is not None:
                return _error(
                    429,
                    "Too many messages at once in this conversation: please wait for the answer, then ask again.",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except CancelledError:
                logger.error("rest channel: message handling timed out")
            except Exception:
                logger.exception("rest channel: message handling failed")
            finally:
                self.guard.release(sender)
            messages = [m for m in collector.messages if m.get("text") or m.get("buttons") or m.get("custom")]
            if not messages:
                messages = safe_messages(sender)
            return response.json(messages)

        return webhook

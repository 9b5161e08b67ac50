"""The channel core: what every input channel (REST, socket.io, Telegram, Slack, Facebook,
Twilio) shares, so that each connector keeps only its signature check and its transport.

- `guarded(on_new_message)`: the one guard between a channel and Rasa. Metadata is bounded to
  the keys the bot uses (bot.serving.metadata); text is made storable and bounded; a message
  without text is answered here ("I didn't receive any text"); a sender over the flood limit
  is told to wait (or, for REST, gets 429); and the user is never left in silence: when Rasa
  sent nothing (the action server down, too slow, or failing) the safe apology goes out, with
  the disclaimer and referral like every reply (a typed Rasa command that Rasa carries out in
  silence, /session_start, gets its own fixed reply instead: bot.messages.SILENT_COMMANDS).
- `ShapedOutput`: our output channels. Each bot message is shaped from its parts
  (bot.shaping.shape) for the platform and handed to the channel's `send_shaped`.
- `SenderGuard`: per-sender flood control (messages in flight, token bucket).
- `MessagingInput`: the name Rasa knows a messaging channel by, and required credentials.
- `check_webhook`: a channel's checks (signature, secret token, body) as request middleware of
  its blueprint, run before its /webhook route; `is_webhook_route` tells that route apart.
- `add_health_route`: GET / on a channel's blueprint answers {"status": "ok"}, as Rasa's do.
"""

from __future__ import annotations

import logging
import re
import time
from asyncio import CancelledError
from collections import OrderedDict
from typing import Any, Awaitable, Callable, ClassVar, Dict, Iterable, List, Optional, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import messages
from bot.answers import Reply
from bot.config import settings
from bot.serving import metadata
from bot.shaping import OutMessage, shape

logger = logging.getLogger(__name__)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` without the characters no tracker store can write (NUL, lone surrogates)."""
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


class SenderGuard:
    """Per-sender limits for one server process: messages in flight, and a token bucket.

    Rasa sends the conversation to the action server on every turn, so one sender flooding one
    conversation would otherwise slow everybody down."""

    def __init__(self, max_pending: int, burst: float, per_minute: float, max_senders: int = 50_000) -> None:
        self.max_pending = max_pending
        self.burst = burst
        self.rate = per_minute / 60.0
        self.max_senders = max_senders
        self.pending: Dict[str, int] = {}
        self.buckets: OrderedDict[str, Tuple[float, float]] = OrderedDict()

    @classmethod
    def from_settings(cls) -> SenderGuard:
        config = settings()
        return cls(max_pending=config.max_pending_per_sender, burst=config.rate_burst, per_minute=config.rate_per_minute)

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


class ShapedOutput(OutputChannel):
    """Our output channels: a bot message is shaped from its parts for `platform` and each
    resulting message handed to `send_shaped`. `sent` tells the guard whether anything went out."""

    platform: ClassVar[str]
    sent: bool = False

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent = True
        for out in shape(self.platform, message):
            await self.send_shaped(recipient_id, out)

    async def send_shaped(self, recipient_id: str, message: OutMessage) -> None:
        """Send one shaped message (text, and buttons native to the platform) to the platform."""
        raise NotImplementedError

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(  # type: ignore[override]
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})


async def send_reply(output: OutputChannel, recipient_id: str, reply: Reply) -> None:
    await output.send_response(recipient_id, reply.as_message())


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def guarded(
    on_new_message: OnNewMessage, *, answer_throttled: bool = True
) -> Callable[[UserMessage], Awaitable[Optional[float]]]:
    """`on_new_message` behind the channel core's checks (module docstring).

    The returned handler gives None when the message was dealt with (answered by Rasa or here),
    or, with `answer_throttled=False`, the seconds the sender must wait (nothing was sent: the
    caller answers 429)."""
    senders = SenderGuard.from_settings()

    async def handler(message: UserMessage) -> Optional[float]:
        config = settings()
        message.metadata = metadata.bounded(message.metadata)
        # The bot reads at most max_message_chars (+1 so that it knows the text was cut).
        message.text = storable(message.text or "")[: config.max_message_chars + 1]
        output, sender = message.output_channel, str(message.sender_id)
        if not message.text.strip():
            await send_reply(output, sender, messages.empty_reply())
            return None
        wait = senders.admit(sender)
        if wait is not None:
            if not answer_throttled:
                return wait
            await send_reply(output, sender, messages.throttled_reply())
            return None
        try:
            await on_new_message(message)
        except CancelledError:
            logger.error("%s: message handling was cancelled", message.input_channel)
        except Exception:
            logger.exception("%s: message handling failed", message.input_channel)
        finally:
            senders.release(sender)
        if not getattr(output, "sent", True):  # Rasa sent nothing: never silence
            command = messages.silent_command_reply(message.text)
            if command is None:
                logger.warning("%s: nothing was sent for a message; sending the safe apology", message.input_channel)
            await send_reply(output, sender, command or messages.apology_reply())
        return None

    return handler


class MessagingInput(InputChannel):
    """Put first among the bases, before the Rasa connector it refines."""

    channel_name: ClassVar[str]

    @classmethod
    def name(cls) -> str:
        return cls.channel_name

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls.from_settings(credentials or {})

    @classmethod
    def from_settings(cls, credentials: Dict[str, Any]) -> InputChannel:
        """The channel from its (non-empty) credentials.yml section."""
        raise NotImplementedError


def add_health_route(blueprint: Blueprint) -> Blueprint:
    @blueprint.route("/", methods=["GET"])
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    return blueprint


def is_webhook_route(request: Request) -> bool:
    """Whether Sanic routed `request` to a channel's /webhook route. Told by the route, not the
    path: Sanic routes /webhook/ there too."""
    route = request.route
    return route is not None and route.path.rstrip("/").rsplit("/", 1)[-1] == "webhook"


WebhookCheck = Callable[[Request], Awaitable[Optional[HTTPResponse]]]


def check_webhook(blueprint: Blueprint, check: WebhookCheck, methods: Iterable[str] = ("POST",)) -> Blueprint:
    """Run `check` before the blueprint's /webhook route (for `methods`); the response it returns
    (a 4xx) is sent instead and the route never runs. Blueprint middleware: Sanic 21.12 runs it
    for this blueprint's routes only (tests/channels/test_middleware.py)."""
    checked = frozenset(methods)

    @blueprint.middleware("request")
    async def webhook_check(request: Request) -> Optional[HTTPResponse]:
        if request.method in checked and is_webhook_route(request):
            return await check(request)
        return None

    return blueprint

"""What the messaging-channel connectors (Telegram, Slack, Facebook, Twilio) share.

- `MessagingInput`: the name Rasa knows the channel by (`channel_name`), and credentials that
  are required: with none, Rasa's own "missing credentials" error; otherwise the channel's
  `from_settings` builds it from the credentials.yml section.
- `add_health_route`: GET / on a channel's blueprint answers {"status": "ok"}, as Rasa's do.
- `guarded`: what every input channel's messages go through before Rasa. Metadata is bounded
  to the keys the bot uses (bot.serving.metadata). A message with no text (blank, or an
  attachment without a caption) is answered here with the bot's "I didn't receive any text"
  reply, as the REST channel does, instead of going to Rasa: the NLU has nothing to read in it.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, ClassVar, Dict, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.dialogue import Turn, respond
from bot.serving import metadata


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


def guarded(
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Callable[[UserMessage], Awaitable[Any]]:
    """`on_new_message` for messages with text and bounded metadata; the others get the
    "empty message" reply here."""

    async def handler(message: UserMessage) -> Any:
        message.metadata = metadata.bounded(message.metadata)
        if (message.text or "").strip():
            return await on_new_message(message)
        reply = respond(Turn(text=""))
        await message.output_channel.send_response(message.sender_id, reply.as_message())
        return None

    return handler

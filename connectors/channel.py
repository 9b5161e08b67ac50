"""What the messaging-channel connectors (Telegram, Slack, Facebook, Twilio) share.

- `MessagingInput`: the name Rasa knows the channel by (`channel_name`), and credentials that
  are required: with none, Rasa's own "missing credentials" error; otherwise the channel's
  `from_settings` builds it from the credentials.yml section.
- `add_health_route`: GET / on a channel's blueprint answers {"status": "ok"}, as Rasa's do.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Optional

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse


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

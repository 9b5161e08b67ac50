"""Slack: Rasa's connector and its webhook route, with shaped replies and the body checks its
route lacks, added as blueprint request middleware.

Rasa's route (rasa.core.channels.slack.SlackInput.blueprint) checks X-Slack-Signature /
X-Slack-Request-Timestamp (HMAC-SHA256 of "v0:<timestamp>:<body>" with the signing secret, at
most 5 minutes old) and answers 400 to a bad one; it hands each user message to the channel
core's guard in the background and answers Slack at once. Added:
- Request middleware, before Rasa's route, for signed requests only (an unsigned one is left to
  Rasa's 400, its body unread): a body Rasa's route would fail on with a 500 gets 400 (not a
  JSON object, an `event` that is not an object, an interaction payload that is not JSON or
  lacks its user); an interaction the bot does not act on gets an empty 200 (Rasa's route
  answers most with a 500); a content type other than the two Slack sends, compared exactly as
  Rasa's route compares it, gets 415 (Rasa's route answers 200 and drops the message).
- The Events API URL check (`url_verification`) is answered as Slack expects,
  {"challenge": ...}, by that middleware (Rasa's route returns a bare JSON string).
- Replies are shaped by bot.shaping: mrkdwn-escaped, at most 3000 characters (a section
  block's limit), disclaimer + referral whole in the last message, follow-ups as buttons.
- `api_base_url` points the Web API client elsewhere (a stand-in in the tests); default
  https://slack.com/api/.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.serving.channels.base import MessagingInput, ShapedOutput, check_webhook, guarded
from bot.shaping import OutMessage

logger = logging.getLogger(__name__)


class SafeSlackBot(ShapedOutput, SlackBot):
    platform = "slack"

    def __init__(
        self,
        token: str,
        slack_channel: Optional[str] = None,
        thread_id: Optional[str] = None,
        proxy: Optional[str] = None,
        api_base_url: Optional[str] = None,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        if api_base_url:
            self.client = AsyncWebClient(token, proxy=proxy, base_url=api_base_url.rstrip("/") + "/")

    async def send_shaped(self, recipient_id: str, message: OutMessage) -> None:
        recipient = self.slack_channel or recipient_id
        blocks: List[Dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": message.text}}]
        if message.buttons:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": b["title"]}, "value": b["payload"]}
                        for b in message.buttons
                    ],
                }
            )
        # `text` is the notification / fallback text; the blocks are what is shown.
        await self._post_message(channel=recipient, text=message.text, blocks=blocks, unfurl_links=False)


def _bad_body(what: str) -> HTTPResponse:
    return response.text(f"The body must be {what}.", status=HTTPStatus.BAD_REQUEST)


def _object_or_absent(body: Dict[str, Any], key: str) -> bool:
    """Rasa's route reads body.get(key, {}) as an object."""
    return key not in body or isinstance(body[key], dict)


class SafeSlackInput(MessagingInput, SlackInput):
    """credentials.yml key: bot.serving.channels.slack.SafeSlackInput"""

    channel_name = "slack"

    @classmethod
    def from_settings(cls, credentials: Dict[str, Any]) -> InputChannel:
        channel = cls(
            credentials.get("slack_token"),
            credentials.get("slack_channel") or None,
            credentials.get("proxy") or None,
            credentials.get("slack_retry_reason_header", "x-slack-retry-reason"),
            credentials.get("slack_retry_number_header", "x-slack-retry-num"),
            credentials.get("errors_ignore_retry", None),
            bool(credentials.get("use_threads", False)),
            credentials.get("slack_signing_secret", ""),
            credentials.get("conversation_granularity", "sender"),
        )
        channel.api_base_url = credentials.get("api_base_url") or None  # type: ignore[attr-defined]
        return channel

    api_base_url: Optional[str] = None

    def get_output_channel(self, channel: Optional[str] = None, thread_id: Optional[str] = None) -> OutputChannel:
        return SafeSlackBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.api_base_url)

    async def check(self, request: Request) -> Optional[HTTPResponse]:
        """The body of a signed request, as Rasa's route will read it (module docstring)."""
        if not self.is_request_from_slack_authentic(request):
            return None  # Rasa's route answers 400
        content_type = request.headers.get("content-type")
        if content_type == "application/json":
            try:
                event = request.json
            except Exception:
                event = None
            if not isinstance(event, dict) or not _object_or_absent(event, "event"):
                return _bad_body("a Slack event")
            if event.get("type") == "url_verification" or "challenge" in event:
                return response.json({"challenge": event.get("challenge")})
            return None
        if content_type == "application/x-www-form-urlencoded":
            try:
                payload = json.loads(request.form["payload"][0])
            except Exception:
                payload = None
            if not isinstance(payload, dict):
                return _bad_body("a Slack interaction payload")
            actions = payload.get("actions")
            if actions and not (isinstance(actions, list) and isinstance(actions[0], dict)):
                return _bad_body("a Slack interaction payload")
            if not self._is_interactive_message(payload) or self._get_interactive_response(payload["actions"][0]) is None:
                return response.text("")  # nothing the bot acts on
            user = payload.get("user")
            if (
                not isinstance(user, dict)
                or "id" not in user
                or not all(_object_or_absent(payload, k) for k in ("message", "channel"))
            ):
                return _bad_body("a Slack interaction payload with its user")
            return None
        return response.text("Unsupported content type.", status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return check_webhook(super().blueprint(guarded(on_new_message)), self.check, methods=("GET", "POST"))

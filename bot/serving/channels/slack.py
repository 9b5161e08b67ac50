"""Slack, on top of Rasa's connector (slack_sdk), with shaped replies.

Rasa's connector already checks X-Slack-Signature / X-Slack-Request-Timestamp (HMAC-SHA256 of
"v0:<timestamp>:<body>" with the signing secret, at most 5 minutes old) and answers 400 to a bad
one; that is kept. Differences:
- Replies are shaped by bot.shaping: mrkdwn-escaped, at most 3000 characters (a section
  block's limit), disclaimer + referral whole in the last message, follow-ups as buttons.
- The Events API URL check (`url_verification`) is answered as Slack expects, {"challenge": ...}
  (Rasa's connector returns a bare JSON string).
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

from bot.serving.channels.base import MessagingInput, ShapedOutput, add_health_route, guarded
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

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = guarded(on_new_message)
        slack_webhook = add_health_route(Blueprint("slack_webhook", __name__))

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.is_request_from_slack_authentic(request):
                return response.text(
                    "Message is not properly signed with a valid X-Slack-Signature header", status=HTTPStatus.BAD_REQUEST
                )
            content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            if content_type == "application/json":
                try:
                    output = request.json
                except Exception:
                    output = None
                if not isinstance(output, dict):
                    return response.text("The body must be a Slack event.", status=HTTPStatus.BAD_REQUEST)
                if output.get("type") == "url_verification" or "challenge" in output:
                    return response.json({"challenge": output.get("challenge")})
                if not self._is_user_message(output):
                    return response.text("Bot message delivered.")
                event = output.get("event") or {}
                metadata = self.get_metadata(request) or {
                    "out_channel": event.get("channel"),
                    "thread_id": event.get("thread_ts", event.get("ts")),
                    "users": output.get("authed_users") or [],
                }
                if not self._is_supported_channel(output, metadata):
                    logger.warning("slack: message on unsupported channel %s", metadata.get("out_channel"))
                    return response.text("channel not supported.")
                conversation_id = self._get_conversation_id(
                    event.get("user", ""), metadata.get("out_channel"), metadata.get("thread_id")
                )
                return await self.process_message(
                    request,
                    on_new_message,
                    text=self._sanitize_user_message(event.get("text", ""), metadata.get("users")),
                    sender_id=conversation_id,
                    metadata=metadata,
                )
            if content_type == "application/x-www-form-urlencoded":
                try:
                    payload = json.loads(request.form["payload"][0])
                except Exception:
                    return response.text("The body must carry a Slack interaction payload.", status=HTTPStatus.BAD_REQUEST)
                if self._is_interactive_message(payload):
                    text = self._get_interactive_response(payload["actions"][0])
                    if text is not None:
                        metadata = self.get_metadata(request)
                        conversation_id = self._get_conversation_id(
                            payload["user"]["id"], metadata.get("out_channel"), metadata.get("thread_id")
                        )
                        return await self.process_message(request, on_new_message, text, conversation_id, metadata)
                return response.text("")
            return response.text("Unsupported content type.", status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE)

        return slack_webhook

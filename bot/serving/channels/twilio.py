"""Twilio SMS (and WhatsApp via Twilio), on top of Rasa's connector, with signatures and SMS shaping.

Differences from rasa.core.channels.twilio:
- X-Twilio-Signature is checked (HMAC-SHA1 of the public webhook URL + the sorted form
  parameters, with the auth token, as twilio.request_validator computes it); a missing or wrong
  one gets 403 and nothing is processed. Rasa's connector checks nothing. Set `webhook_url` to
  the exact public URL configured in Twilio when the server runs behind a proxy; without it the
  URL is rebuilt from the request (X-Forwarded-Proto / X-Forwarded-Host are honoured).
- Replies are shaped by bot.shaping for SMS: at most 1600 characters a message (Twilio's
  limit), numbered "(1/2)" when split, disclaimer + referral whole in the last one, typographic
  punctuation turned into plain ASCII (keeps messages in the cheaper GSM-7 encoding), and the
  follow-up buttons listed as "Reply with a number". A reply of "2" is turned back into the
  second option's payload, read from the conversation's last bot message in the tracker store.
- Sending runs in a worker thread (the Twilio client blocks), errors are logged, and the
  webhook answers Twilio with an empty TwiML document.
- `api_base_url` points the client elsewhere (a stand-in in the tests); default https://api.twilio.com.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from rasa.shared.core.events import BotUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.serving.channels.base import MessagingInput, ShapedOutput, add_health_route, guarded
from bot.shaping import OutMessage, choose, inbound_text, sms_segments

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TIMEOUT_SECONDS = 15
_TWILIO_HOST = re.compile(r"^https://[a-z0-9.-]*twilio\.com")


def form_params(request: Request) -> Dict[str, str]:
    """The form fields, blank ones included (Twilio signs them all; sanic's request.form drops them)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}


class RebasedHttpClient(TwilioHttpClient):
    """Sends the Twilio client's requests to another base address (same paths)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=TIMEOUT_SECONDS)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().request(method, _TWILIO_HOST.sub(self.base_url, url), *args, **kwargs)


class SafeTwilioOutput(ShapedOutput, TwilioOutput):
    platform = "twilio"

    def __init__(
        self,
        account_sid: Optional[str],
        auth_token: Optional[str],
        twilio_number: Optional[str],
        api_base_url: Optional[str] = None,
    ) -> None:
        http_client = RebasedHttpClient(api_base_url) if api_base_url else TwilioHttpClient(timeout=TIMEOUT_SECONDS)
        Client.__init__(self, account_sid, auth_token, http_client=http_client)
        self.twilio_number = twilio_number
        self.send_retry = 0
        self.max_retry = 1

    async def _create(self, **data: Any) -> None:
        try:
            await asyncio.to_thread(self.messages.create, **data)
        except Exception as error:
            logger.error("twilio: sending failed: %s", error)

    async def send_shaped(self, recipient_id: str, message: OutMessage) -> None:
        logger.debug("twilio: %d characters, %d SMS segments", len(message.text), sms_segments(message.text))
        await self._create(to=recipient_id, from_=self.twilio_number, body=message.text)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        json_message.setdefault("to", recipient_id)
        if not json_message.get("messaging_service_sid"):
            json_message.setdefault("from_", self.twilio_number)
        await self._create(**json_message)


class SafeTwilioInput(MessagingInput, TwilioInput):
    """credentials.yml key: bot.serving.channels.twilio.SafeTwilioInput"""

    channel_name = "twilio"

    @classmethod
    def from_settings(cls, credentials: Dict[str, Any]) -> InputChannel:
        return cls(
            credentials.get("account_sid"),
            credentials.get("auth_token"),
            credentials.get("twilio_number"),
            webhook_url=credentials.get("webhook_url") or None,
            api_base_url=credentials.get("api_base_url") or None,
        )

    def __init__(
        self,
        account_sid: Optional[str],
        auth_token: Optional[str],
        twilio_number: Optional[str],
        webhook_url: Optional[str] = None,
        api_base_url: Optional[str] = None,
    ) -> None:
        if not account_sid or not auth_token or not twilio_number:
            raise ValueError("twilio needs account_sid, auth_token and twilio_number")
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=False)
        self.webhook_url = webhook_url
        self.api_base_url = api_base_url
        self.validator = RequestValidator(auth_token)

    def get_output_channel(self) -> OutputChannel:
        return SafeTwilioOutput(self.account_sid, self.auth_token, self.twilio_number, self.api_base_url)

    def public_url(self, request: Request) -> str:
        if self.webhook_url:
            return self.webhook_url
        scheme = (request.headers.get("X-Forwarded-Proto") or request.scheme).split(",")[0].strip()
        host = (request.headers.get("X-Forwarded-Host") or request.host).split(",")[0].strip()
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{scheme}://{host}{request.path}{query}"

    def authentic(self, request: Request, params: Dict[str, str]) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return False
        return bool(self.validator.validate(self.public_url(request), params, signature))

    @staticmethod
    async def last_buttons(request: Request, sender: str) -> List[Dict[str, Any]]:
        """The buttons of the bot's last message to this sender (for numbered replies)."""
        agent = getattr(request.app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        if store is None:
            return []
        try:
            tracker = await store.retrieve(sender)
        except Exception:
            logger.exception("twilio: could not read the conversation")
            return []
        for event in reversed(list(tracker.events) if tracker else []):
            if isinstance(event, BotUttered):
                return list((event.data or {}).get("buttons") or [])
        return []

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = guarded(on_new_message)
        twilio_webhook = add_health_route(Blueprint("twilio_webhook", __name__))

        @twilio_webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            params = form_params(request)
            if not self.authentic(request, params):
                logger.warning("twilio: request without a valid X-Twilio-Signature refused")
                return response.text("invalid signature", status=403)
            sender = params.get("From")
            text = params.get("Body")
            if params.get("Latitude") and params.get("Longitude"):
                text = f"/locationData{{'Latitude': {params['Latitude']},'Longitude': {params['Longitude']}}}"
            if not sender or text is None:
                return response.text("From and Body are required", status=400)
            # Some carriers turn @ into ¡ in SMS.
            text = inbound_text(text.replace("¡", "@"))
            picked = choose("twilio", text, await self.last_buttons(request, sender))
            out = self.get_output_channel()
            try:
                await on_new_message(
                    UserMessage(picked or text, out, sender, input_channel=self.name(), metadata=self.get_metadata(request))
                )
            except Exception:
                logger.exception("twilio: message handling failed")
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return twilio_webhook

"""Twilio SMS (and WhatsApp via Twilio): Rasa's connector and its webhook route, with signatures
and SMS shaping added through Sanic's blueprint middleware.

What Rasa's route (rasa.core.channels.twilio.TwilioInput.blueprint) does is kept: From and Body
(or a location) become a UserMessage for our output channel, "¡" is read as "@". Added:
- Request middleware, before Rasa's route: X-Twilio-Signature is checked (HMAC-SHA1 of the
  public webhook URL + the sorted form parameters, with the auth token, as
  twilio.request_validator computes it); a missing or wrong one gets 403 and nothing is
  processed (Rasa's route checks nothing). Set `webhook_url` to the exact public URL configured
  in Twilio when the server runs behind a proxy; without it the URL is rebuilt from the request
  (X-Forwarded-Proto / X-Forwarded-Host are honoured). No From, or neither Body nor a location:
  400. The route is then given the signed form, blank fields included (Sanic's request.form
  drops them, and Rasa's route fails in silence on the empty Body of a picture-only MMS).
- The handler Rasa's route calls is the channel core's guard, after turning a reply of "2" back
  into the second option's payload (read from the conversation's last bot message in the
  tracker store of the app, which a server-start listener gives the channel).
- Response middleware: Rasa's route answers 204; Twilio gets 200 with an empty TwiML document
  instead, as before: Twilio reads an incoming-message webhook's answer as TwiML (text/xml),
  and an empty <Response> says "no reply here" explicitly.
- Replies are shaped by bot.shaping for SMS: at most 1600 characters a message (Twilio's
  limit), numbered "(1/2)" when split, disclaimer + referral whole in the last one, typographic
  punctuation turned into plain ASCII (keeps messages in the cheaper GSM-7 encoding), and the
  follow-up buttons listed as "Reply with a number". Sending runs in a worker thread (the
  Twilio client blocks) and errors are logged.
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
from sanic import Blueprint, Sanic, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.serving.channels.base import MessagingInput, ShapedOutput, check_webhook, guarded, is_webhook_route
from bot.shaping import OutMessage, choose, inbound_text, sms_segments

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
TIMEOUT_SECONDS = 15
_TWILIO_HOST = re.compile(r"^https://[a-z0-9.-]*twilio\.com")


def form_params(request: Request) -> RequestParameters:
    """The form fields, blank ones included (Twilio signs them all; Sanic's request.form drops them)."""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return RequestParameters()
    return RequestParameters(parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True))


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
    app: Optional[Sanic] = None  # the server's app, once started (its agent's tracker store)

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

    def authentic(self, request: Request, params: RequestParameters) -> bool:
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return False
        return bool(self.validator.validate(self.public_url(request), params, signature))

    async def check(self, request: Request) -> Optional[HTTPResponse]:
        """The signature and the fields Rasa's route needs; then the route reads the signed form."""
        params = form_params(request)
        if not self.authentic(request, params):
            logger.warning("twilio: request without a valid X-Twilio-Signature refused")
            return response.text("invalid signature", status=403)
        located = params.get("Latitude") and params.get("Longitude")
        if not params.get("From") or (params.get("Body") is None and not located):
            return response.text("From and Body are required", status=400)
        request.parsed_form = params  # type: ignore[assignment]  # what request.form gives Rasa's route
        return None

    async def last_buttons(self, sender: str) -> List[Dict[str, Any]]:
        """The buttons of the bot's last message to this sender (for numbered replies)."""
        agent = getattr(self.app.ctx, "agent", None) if self.app else None
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
        guarded_message = guarded(on_new_message)

        async def handler(message: UserMessage) -> None:
            message.text = inbound_text(message.text or "")
            message.text = choose("twilio", message.text, await self.last_buttons(str(message.sender_id))) or message.text
            await guarded_message(message)

        twilio_webhook = check_webhook(super().blueprint(handler), self.check)

        @twilio_webhook.listener("before_server_start")
        async def remember_app(app: Sanic, _: Any) -> None:
            self.app = app

        @twilio_webhook.middleware("response")
        async def empty_twiml(request: Request, answer: HTTPResponse) -> Optional[HTTPResponse]:
            if is_webhook_route(request) and answer.status == 204:
                return response.text(EMPTY_TWIML, content_type="text/xml")
            return None

        return twilio_webhook

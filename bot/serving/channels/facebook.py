"""Facebook Messenger, on top of Rasa's connector (fbmessenger), made strict and non-blocking.

Its own webhook routes, built on the parent's event parsing (Messenger.message / postback) and
get_metadata: Rasa's blueprint (rasa.core.channels.facebook.FacebookInput.blueprint) cannot carry
it without faking its check. Its POST /webhook reads only X-Hub-Signature, so a request signed
with X-Hub-Signature-256 alone is answered 200 "not validated" and dropped; it names the digest
from the header (any hashlib attribute, md5 included) and compares with ==; and it hands events
to Rasa's Messenger, which builds a MessengerClient from the page token alone (no app secret,
no graph_url) and Rasa's MessengerBot (blocking calls, unshaped replies), for the first event
of a batch only. Its GET answers a wrong verify token with 200. Differences:
- Request middleware: webhook POSTs must be signed: X-Hub-Signature-256 (HMAC-SHA256 of the raw
  body with the app secret), or, from older senders, X-Hub-Signature (HMAC-SHA1). Anything else
  gets 403 and is not processed. A body that is not JSON gets 400, one that is not a page event 404.
- The subscription check (GET hub.mode=subscribe&hub.verify_token=...) answers 403 on a wrong token.
- Every messaging event of a batch is handled.
- Replies are shaped by bot.shaping: at most 2000 characters a message, disclaimer + referral
  whole in the last one, follow-ups as quick replies (titles of at most 20 characters; longer
  ones are listed in full in the text and the quick replies numbered).
- Graph API calls run in a worker thread with a timeout (fbmessenger uses blocking requests),
  carry appsecret_proof, and go to `graph_url` (default https://graph.facebook.com/v21.0; a
  stand-in in the tests).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from fbmessenger import MessengerClient
from fbmessenger.sender_actions import SenderAction
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput, Messenger, MessengerBot
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.serving.channels.base import MessagingInput, ShapedOutput, add_health_route, check_webhook, guarded
from bot.shaping import OutMessage, inbound_text

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
TIMEOUT_SECONDS = 15


def make_client(page_access_token: str, app_secret: Optional[str], graph_url: Optional[str]) -> MessengerClient:
    client = MessengerClient(page_access_token, app_secret=app_secret or None)
    client.graph_url = (graph_url or DEFAULT_GRAPH_URL).rstrip("/")
    return client


def signature_valid(app_secret: str, body: bytes, sha256_header: Optional[str], sha1_header: Optional[str]) -> bool:
    """Meta's webhook signatures: 'sha256=<hex>' (preferred) or 'sha1=<hex>'."""
    for header, prefix, digest in ((sha256_header, "sha256=", hashlib.sha256), (sha1_header, "sha1=", hashlib.sha1)):
        if header:
            if not header.startswith(prefix):
                return False
            expected = hmac.new(app_secret.encode("utf-8"), body, digest).hexdigest()
            return hmac.compare_digest(header[len(prefix) :].strip().lower(), expected)
    return False


class SafeMessengerBot(ShapedOutput, MessengerBot):
    platform = "facebook"

    async def _post(self, call: Callable[..., Any], *args: Any) -> None:
        try:
            result = await asyncio.to_thread(call, *args, timeout=TIMEOUT_SECONDS)
        except Exception as error:
            logger.error("facebook: Graph API call failed: %s", error)
            return
        if isinstance(result, dict) and result.get("error"):
            logger.error("facebook: Graph API error: %s", result["error"])

    async def send_action(self, recipient_id: str, sender_action: str) -> None:
        await self._post(self.messenger_client.send_action, SenderAction(sender_action).to_dict(), recipient_id)

    async def send_shaped(self, recipient_id: str, message: OutMessage) -> None:
        payload: Dict[str, Any] = {"text": message.text}
        if message.buttons:
            payload["quick_replies"] = [
                {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in message.buttons
            ]
        await self._post(self.messenger_client.send, payload, recipient_id, "RESPONSE")


class SafeMessenger(Messenger):
    def __init__(self, client: MessengerClient, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        self.on_new_message = on_new_message
        self.client = client
        self.last_message: Dict[str, Any] = {}

    async def handle(self, payload: Dict, metadata: Optional[Dict[str, Any]]) -> None:
        for entry in payload.get("entry") or []:
            for message in entry.get("messaging") or []:
                self.last_message = message
                if message.get("message"):
                    await self.message(message, metadata)
                elif message.get("postback"):
                    await self.postback(message, metadata)

    async def _handle_user_message(self, text: str, sender_id: str, metadata: Optional[Dict[str, Any]]) -> None:
        out_channel = SafeMessengerBot(self.client)
        await out_channel.send_action(sender_id, sender_action="mark_seen")
        await out_channel.send_action(sender_id, sender_action="typing_on")
        try:
            await self.on_new_message(
                UserMessage(inbound_text(text), out_channel, sender_id, input_channel=self.name(), metadata=metadata)
            )
        except Exception:
            logger.exception("facebook: message handling failed")
        finally:
            await out_channel.send_action(sender_id, sender_action="typing_off")


class SafeFacebookInput(MessagingInput, FacebookInput):
    """credentials.yml key: bot.serving.channels.facebook.SafeFacebookInput"""

    channel_name = "facebook"

    @classmethod
    def from_settings(cls, credentials: Dict[str, Any]) -> InputChannel:
        return cls(
            str(credentials.get("verify") or ""),
            str(credentials.get("secret") or ""),
            str(credentials.get("page-access-token") or ""),
            credentials.get("graph_url") or None,
        )

    def __init__(self, fb_verify: str, fb_secret: str, fb_access_token: str, graph_url: Optional[str] = None) -> None:
        if not fb_verify or not fb_secret or not fb_access_token:
            raise ValueError("facebook needs verify, secret and page-access-token")
        super().__init__(fb_verify, fb_secret, fb_access_token)
        self.graph_url = graph_url

    def client(self) -> MessengerClient:
        return make_client(self.fb_access_token, self.fb_secret, self.graph_url)

    def get_output_channel(self) -> OutputChannel:
        return SafeMessengerBot(self.client())

    async def check(self, request: Request) -> Optional[HTTPResponse]:
        """The signature, then the body: a page event, kept for the route as request.ctx.payload."""
        sha256, sha1 = request.headers.get("X-Hub-Signature-256"), request.headers.get("X-Hub-Signature")
        if not signature_valid(self.fb_secret, request.body, sha256, sha1):
            logger.warning("facebook: webhook with a missing or wrong signature refused")
            return response.text("invalid signature", status=403)
        try:
            request.ctx.payload = json.loads(request.body)
        except ValueError:
            return response.text("invalid JSON", status=400)
        if not isinstance(request.ctx.payload, dict) or request.ctx.payload.get("object") != "page":
            return response.text("not a page event", status=404)
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = guarded(on_new_message)
        fb_webhook = check_webhook(add_health_route(Blueprint("fb_webhook", __name__)), self.check)
        client = self.client()

        @fb_webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(token.encode(), self.fb_verify.encode()):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning("facebook: wrong verify token on the subscription check")
            return response.text("invalid verify token", status=403)

        @fb_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            await SafeMessenger(client, on_new_message).handle(request.ctx.payload, self.get_metadata(request))
            return response.text("EVENT_RECEIVED")

        return fb_webhook

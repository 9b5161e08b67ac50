"""The connectors' checks are blueprint middleware around Rasa's own routes: in Sanic 21.12 a
blueprint's middleware runs for that blueprint's routes only, and what it lets through reaches
Rasa's route and then the channel core's guard.

One Sanic app in this process, on a loopback port, with our four messaging connectors registered
by Rasa's own `register` and one unrelated blueprint. Rasa's agent is stood in for by an object
that keeps the messages handed to it (the agent is not under test; the routes and checks are).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from typing import Any, Iterator, List

import pytest
import requests
from rasa.core.channels.channel import UserMessage, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.serving.channels.facebook import SafeFacebookInput
from bot.serving.channels.slack import SafeSlackInput
from bot.serving.channels.telegram import SafeTelegramInput
from bot.serving.channels.twilio import SafeTwilioInput
from tests.channels.stacks import (
    FACEBOOK_APP_SECRET,
    FACEBOOK_VERIFY,
    SLACK_SIGNING_SECRET,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    TWILIO_NUMBER,
    TWILIO_SID,
    TWILIO_TOKEN,
)
from tests.channels.standins import StandIn
from tests.channels.test_webhooks import slack_signed

pytestmark = pytest.mark.channels

OPTIONS = [{"title": "Symptoms", "payload": "/ask_symptoms"}, {"title": "Treatment", "payload": "/ask_treatment"}]


class RecordingAgent:
    """What Rasa's channel handler calls (app.ctx.agent.handle_message); keeps the messages."""

    def __init__(self, tracker_store: InMemoryTrackerStore) -> None:
        self.tracker_store = tracker_store
        self.messages: List[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)


class Server:
    def __init__(self, stand_in: StandIn) -> None:
        self.store = InMemoryTrackerStore(Domain.empty())
        self.agent = RecordingAgent(self.store)
        self.app = Sanic(f"middleware_{uuid.uuid4().hex[:8]}")
        self.app.ctx.agent = self.agent
        channels = [
            SafeTelegramInput.from_settings(
                {"access_token": TELEGRAM_TOKEN, "secret_token": TELEGRAM_SECRET, "api_base_url": f"{stand_in.url}/telegram"}
            ),
            SafeSlackInput.from_settings(
                {"slack_token": "xoxb-1", "slack_signing_secret": SLACK_SIGNING_SECRET, "api_base_url": f"{stand_in.url}/slack/"}
            ),
            SafeFacebookInput.from_settings(
                {"verify": FACEBOOK_VERIFY, "secret": FACEBOOK_APP_SECRET, "page-access-token": "EAAG1"}
            ),
            SafeTwilioInput.from_settings(
                {
                    "account_sid": TWILIO_SID,
                    "auth_token": TWILIO_TOKEN,
                    "twilio_number": TWILIO_NUMBER,
                    "api_base_url": f"{stand_in.url}/twilio",
                }
            ),
        ]
        register(channels, self.app, "/webhooks/")
        other = Blueprint("other", url_prefix="/other")

        @other.route("/webhook", methods=["POST"])
        async def other_webhook(_: Request) -> HTTPResponse:
            return response.empty()  # 204, as Rasa's Twilio route answers

        self.app.blueprint(other)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.loop.run_forever()

    async def _start(self) -> None:
        """Listening once create_server returns; then the app's startup and its server-start listeners."""
        server = await self.app.create_server(sock=self.sock, return_asyncio_server=True)
        assert server is not None
        await server.startup()
        await server.before_start()
        await server.after_start()

    def start(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{self.url}/webhooks/twilio/", timeout=5)
                return self
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(stand_in: StandIn) -> Iterator[Server]:
    running = Server(stand_in).start()
    try:
        yield running
    finally:
        running.stop()


def twilio_post(server: Server, params: Any, signed: bool = True, path: str = "/webhooks/twilio/webhook") -> requests.Response:
    headers = {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(server.url + path, params)}
    return requests.post(server.url + path, data=params, headers=headers if signed else {}, timeout=30)


def test_a_channel_check_runs_for_its_own_blueprint_only(server: Server):
    before = len(server.agent.messages)
    sms = {"From": "+14155550100", "Body": "hello"}
    # Twilio's check answers for its webhook, with or without the trailing slash Sanic also routes ...
    for path in ("/webhooks/twilio/webhook", "/webhooks/twilio/webhook/"):
        refused = twilio_post(server, sms, signed=False, path=path)
        assert (refused.status_code, refused.text) == (403, "invalid signature"), path
    # ... not for the other routes of its blueprint (the health route) ...
    assert requests.get(f"{server.url}/webhooks/twilio/", timeout=30).json() == {"status": "ok"}
    # ... nor for another blueprint's /webhook: no connector's check refuses it, and Twilio's
    # response middleware leaves its 204 alone.
    other = requests.post(f"{server.url}/other/webhook", data=sms, timeout=30)
    assert (other.status_code, other.text) == (204, "")
    # Each connector's own check: Telegram's secret token, Facebook's signature, Slack's (Rasa's) signature.
    assert requests.post(f"{server.url}/webhooks/telegram/webhook", json={"update_id": 1}, timeout=30).status_code == 403
    assert requests.post(f"{server.url}/webhooks/facebook/webhook", json={"object": "page"}, timeout=30).status_code == 403
    assert requests.post(f"{server.url}/webhooks/slack/webhook", json={"type": "event_callback"}, timeout=30).status_code == 400
    assert len(server.agent.messages) == before


def test_a_signed_sms_goes_through_rasas_route_and_a_number_picks_the_option(server: Server):
    sender = "+14155550101"
    tracker = DialogueStateTracker(sender, slots=[])
    tracker.update(BotUttered("An answer", data={"buttons": OPTIONS}))
    asyncio.run(server.store.save(tracker))
    answered = twilio_post(server, {"From": sender, "Body": "2", "MessageSid": "SM1"})
    assert answered.status_code == 200
    assert answered.headers["Content-Type"].startswith("text/xml") and "<Response></Response>" in answered.text
    (message,) = [m for m in server.agent.messages if m.sender_id == sender]
    assert (message.text, message.input_channel) == ("/ask_treatment", "twilio")


def test_an_sms_without_text_is_answered_by_the_guard_without_reaching_the_agent(server: Server, stand_in: StandIn):
    """Twilio signs the blank Body of a picture-only MMS: the check reads it, and so does Rasa's route."""
    sender = "+14155550102"
    answered = twilio_post(server, {"From": sender, "Body": "", "NumMedia": "1"})
    assert answered.status_code == 200
    sent = stand_in.wait_for(lambda r: r.platform == "twilio" and r.form.get("To") == sender)
    assert sent[0].form["Body"].startswith("I didn't receive any text.")
    assert [m for m in server.agent.messages if m.sender_id == sender] == []


@pytest.mark.parametrize("params", [{"Body": "hello"}, {"From": "+14155550103"}], ids=["no-sender", "no-body"])
def test_a_signed_sms_without_sender_or_body_is_a_400(server: Server, params):
    assert twilio_post(server, params).status_code == 400


def test_slack_url_verification_and_bodies_rasas_route_cannot_read(server: Server):
    def post(body: bytes, content_type: str) -> requests.Response:
        headers = {"Content-Type": content_type, **slack_signed(body)}
        return requests.post(f"{server.url}/webhooks/slack/webhook", data=body, headers=headers, timeout=30)

    challenge = json.dumps({"type": "url_verification", "challenge": "abc"}).encode()
    assert post(challenge, "application/json").json() == {"challenge": "abc"}
    assert post(b"[1, 2]", "application/json").status_code == 400
    assert post(json.dumps({"event": None}).encode(), "application/json").status_code == 400
    assert post(b"payload=not-json", "application/x-www-form-urlencoded").status_code == 400
    assert post(b"text=hello", "text/plain").status_code == 415
    unhandled = post(
        b"payload=" + requests.utils.quote(json.dumps({"type": "view_submission"})).encode(), "application/x-www-form-urlencoded"
    )
    assert (unhandled.status_code, unhandled.text) == (200, "")

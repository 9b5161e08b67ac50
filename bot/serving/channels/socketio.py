"""The website widget's socket.io channel: Rasa's, with an origin allow-list, working sessions and
reply shaping.

- Origins. Rasa 3.6 builds its socket.io server with `cors_allowed_origins=[]`, which switches
  the Engine.IO origin check off: any web page could open a WebSocket to the bot. Here Engine.IO
  checks the Origin header against bot.serving.channels.cors.allowed_origins() (the demo page's origins +
  NETBOT_CORS_ORIGINS, the list the Procfile also gives `rasa run --cors`) and answers 400 to
  any other, on both transports (HTTP long-polling and WebSocket). On the socket.io path
  Engine.IO alone writes the CORS headers: sanic-cors (from `--cors`) is told the request is
  handled, otherwise a listed origin would get Access-Control-Allow-Origin twice, which
  browsers reject.
- Sessions. With the pinned python-socketio (5.x, where AsyncServer.enter_room is a coroutine)
  Rasa 3.6 calls enter_room without awaiting it, so the browser never joins its session's room
  and never receives a reply. Here it is awaited. A session belongs to its connection: the
  server hands out signed ids (SessionKeys), a reload restores a session only with an id the
  server signed, and a message always goes to the session bound to its connection, never to
  another id it names.
- Messages go through the channel core (bot.serving.channels.base.guarded): bounded metadata
  and text, flood control, and never silence. A frame that is not a message object, or comes
  with extra arguments, gets the friendly "no text" reply.
- Replies go out as one bubble per reply, Markdown made safe, bare addresses linked, with the
  follow-up buttons (bot.shaping.web_messages).
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import logging
import re
import secrets
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional

import rasa.core.channels.channel
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic_cors.core import SANIC_CORS_EVALUATED
from socketio import AsyncServer

from bot.config import settings
from bot.serving.channels.base import add_health_route, guarded
from bot.serving.channels.cors import allowed_origins
from bot.shaping import web_messages

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and bool(SESSION_ID.match(value))


class SafeSocketIOOutput(SocketIOOutput):
    """One bubble per bot message, shaped from its parts (bot.shaping.web_messages)."""

    sent = False  # whether anything went out (the channel core answers a silence)

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent = True
        for bubble in web_messages(message):
            out: Dict[str, Any] = {"text": bubble.text}
            if bubble.buttons:
                out["quick_replies"] = [
                    {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in bubble.buttons
                ]
            await self._send_message(recipient_id, out)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class EngineIOCorsBlueprint(SocketBlueprint):
    """Attaches socket.io and leaves the CORS headers of its path to Engine.IO."""

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        prefix = "/" + str(self.ctx.socketio_path).strip("/")

        async def engineio_handles_cors(request: Request) -> None:
            if request.path == prefix or request.path.startswith(prefix + "/"):
                setattr(request.ctx, SANIC_CORS_EVALUATED, "1")

        app.register_middleware(engineio_handles_cors, "request")
        super().register(app, options)


class SessionKeys:
    """Session ids the server hands out, each carrying its own proof: `<random>-<signature>`.

    A browser may restore its session after a reload by presenting an id the server signed
    (NETBOT_SESSION_SECRET, shared by all replicas; a random one per process when unset); any
    other id it names gets a new session. Ids that a connection merely names in a message are
    never trusted: each connection speaks only in the session bound to it.
    """

    def __init__(self, secret: Optional[str] = None) -> None:
        self.secret = (secret or settings().session_secret or secrets.token_hex(32)).encode()

    def _signature(self, nonce: str) -> str:
        return hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]

    def new(self) -> str:
        nonce = uuid.uuid4().hex
        return f"{nonce}-{self._signature(nonce)}"

    def genuine(self, session_id: Any) -> bool:
        if not valid_session_id(session_id):
            return False
        nonce, _, signature = str(session_id).rpartition("-")
        return bool(nonce) and hmac.compare_digest(signature, self._signature(nonce))


class SafeSocketIOInput(SocketIOInput):
    """socket.io for the widget; credentials key `bot.serving.channels.socketio.SafeSocketIOInput`."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def get_output_channel(self) -> Optional[SafeSocketIOOutput]:  # type: ignore[override]
        if self.sio is None:
            return None
        return SafeSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        handle = guarded(on_new_message)
        origins = allowed_origins()
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=origins)
        webhook = add_health_route(EngineIOCorsBlueprint(sio, self.socketio_path, "socketio_webhook", __name__))
        self.sio = sio
        keys = SessionKeys()
        # The session each connection may speak in (set by session_request, gone on disconnect).
        bound: Dict[str, str] = {}
        logger.info("socket.io: accepting browser connections from %s", ", ".join(origins))

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            payload = rasa.core.channels.channel.decode_bearer_token(token, self.jwt_key, self.jwt_algorithm) if token else None
            return bool(payload)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_: Any) -> None:
            bound.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None, *_: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = str(requested) if keys.genuine(requested) else keys.new()
            previous = bound.get(sid)
            if previous and previous != session_id:
                await _awaited(sio.leave_room(sid, previous, namespace=self.namespace))
            bound[sid] = session_id
            if self.session_persistence:
                await _awaited(sio.enter_room(sid, session_id, namespace=self.namespace))
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None, *_: Any) -> None:
            # Only the session bound to this connection, whatever session_id the frame names;
            # a connection that never asked for one is answered on its own connection.
            recipient = (bound.get(sid) if self.session_persistence else None) or sid
            if isinstance(data, dict) and data.get("session_id") not in (None, recipient):
                logger.warning("socket.io: a message named a session other than its connection's; using its own")
            if not isinstance(data, dict):
                data = {}  # not a message object: answered as a message without text
            text = data.get("message", "")
            custom = data.get(self.metadata_key) or {}
            if isinstance(custom, str):
                try:
                    custom = json.loads(custom)
                except ValueError:
                    custom = {}
            output = SafeSocketIOOutput(sio, self.bot_message_evt)
            await handle(
                UserMessage(text if isinstance(text, str) else "", output, recipient, input_channel=self.name(), metadata=custom)
            )

        return webhook


async def _awaited(result: Any) -> None:
    """python-socketio 5 makes enter_room/leave_room coroutines; Rasa 3.6 does not await them."""
    if inspect.isawaitable(result):
        await result

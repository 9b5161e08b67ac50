"""The website widget's socket.io channel: Rasa's, with an origin allow-list and reply shaping.

Rasa 3.6 builds its socket.io server with `cors_allowed_origins=[]`, which switches the Engine.IO
origin check off: any web page could open a WebSocket to the bot. Here the check is on, with the
same allow-list as `rasa run --cors` (connectors.cors): a browser connecting from another
origin is refused at the handshake, on both transports (HTTP long-polling and WebSocket).

Replies go out one bubble per paragraph, disclaimer + referral together in the last one with the
follow-up buttons (bot.channels.web_messages).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.channels import web_messages
from connectors.cors import allowed_origins

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 100_000


class SafeSocketIOOutput(SocketIOOutput):
    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, [], **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        for bubble in web_messages(text, buttons):
            message: Dict[str, Any] = {"text": bubble.text}
            if bubble.buttons:
                message["quick_replies"] = [
                    {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in bubble.buttons
                ]
            await self._send_message(recipient_id, message)


class SafeSocketIOInput(SocketIOInput):
    """socket.io for the widget; credentials key `connectors.socketio.SafeSocketIOInput`."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[SafeSocketIOOutput]:
        if self.sio is None:
            return None
        return SafeSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook: SocketBlueprint = super().blueprint(on_new_message)  # type: ignore[assignment]
        sio = self.sio
        assert sio is not None
        origins = allowed_origins()
        # Engine.IO answers 400 to a handshake whose Origin header is not listed, and adds the
        # CORS headers for listed ones (the same as sanic-cors adds from `rasa run --cors`).
        sio.eio.cors_allowed_origins = origins
        logger.info("socket.io: accepting browser connections from %s", ", ".join(origins))

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                logger.warning("socket.io: ignoring a message that is not an object")
                return
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not sender_id or not isinstance(sender_id, str) or len(sender_id) > 128:
                    logger.warning("socket.io: ignoring a message without a valid session_id")
                    return
            else:
                sender_id = sid
            text = data.get("message", "")
            if not isinstance(text, str):
                text = ""
            text = text[:MAX_MESSAGE_CHARS]
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            output = SafeSocketIOOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(
                    UserMessage(text, output, sender_id, input_channel=self.name(), metadata=metadata)
                )
            except Exception:
                logger.exception("socket.io: message handling failed")

        return webhook

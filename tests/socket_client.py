"""A socket.io client like the website widget (python-socketio, session persistence).

HTTP long-polling: python-engineio 4.15's websocket client needs a newer aiohttp than the one
Rasa 3.6 pins (aiohttp.ClientWSTimeout), so the tests use the widget's other transport.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict

import socketio


async def close_quickly(client: socketio.AsyncClient) -> None:
    """Close without waiting for the pending long-poll request (up to the 25 s ping interval)."""
    engine = client.eio
    if engine.state == "connected":
        await engine.disconnect(abort=True)  # sends Engine.IO's close packet to the server
    tasks = [t for t in (engine.read_loop_task, engine.write_loop_task) if t is not None and not t.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if engine.http is not None and not engine.http.closed:
        await engine.http.close()


class SocketUser:
    """One browser tab: connects, asks for its session, sends messages, collects replies."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue[Dict[str, Any]] = asyncio.Queue()
        self.confirmed: asyncio.Queue[Any] = asyncio.Queue()
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("session_confirm", self.confirmed.put)
        self.session_id = ""

    async def connect(self, session_id: str = "") -> str:
        """Ask for `session_id` (kept only if the server signed it) and return the session given."""
        await self.client.connect(self.url, transports=["polling"], socketio_path="socket.io", wait_timeout=60)
        await self.client.emit("session_request", {"session_id": session_id})
        self.session_id = str(await asyncio.wait_for(self.confirmed.get(), 60))
        return self.session_id

    async def reply(self) -> str:
        """Bubbles until the one with the disclaimer and referral (the end of every reply)."""
        parts = []
        while True:
            message = await asyncio.wait_for(self.replies.get(), 120)
            parts.append(str(message.get("text", "")))
            if "not a doctor" in parts[-1]:
                return "\n".join(parts)

    async def close(self) -> None:
        await close_quickly(self.client)

"""Which web pages may talk to the bot: the socket.io origin check and REST CORS, on the real server.

The stack runs as `make run` runs it: the page's origin comes from NETBOT_CORS_ORIGINS (and the
default page origins), REST CORS from `rasa run --cors`.
"""

from __future__ import annotations

import asyncio

import pytest
import requests
from websockets.exceptions import InvalidStatusCode
from websockets.legacy.client import connect
from websockets.typing import Origin

EVIL = Origin("https://evil.example")


def handshake(stack, origin: str | None) -> requests.Response:
    headers = {"Origin": origin} if origin else {}
    return requests.get(f"{stack.url}/socket.io/", params={"EIO": "4", "transport": "polling"}, headers=headers, timeout=30)


@pytest.mark.parametrize("origin", ["page", "http://localhost:8080", "http://127.0.0.1:8080"])
def test_socketio_accepts_the_page_origins(widget_stack, page_origin, origin):
    origin = page_origin if origin == "page" else origin
    response = handshake(widget_stack, origin)
    assert response.status_code == 200, response.text
    assert response.text.startswith("0{")  # Engine.IO "open" packet
    assert response.headers["Access-Control-Allow-Origin"] == origin


def test_socketio_refuses_other_origins(widget_stack):
    response = handshake(widget_stack, EVIL)
    assert response.status_code == 400
    assert "Access-Control-Allow-Origin" not in response.headers


def test_socketio_without_origin_is_not_a_browser_and_is_accepted(widget_stack):
    assert handshake(widget_stack, None).status_code == 200


async def test_websocket_from_another_origin_is_refused(widget_stack, page_origin):
    url = f"ws://127.0.0.1:{widget_stack.rasa_port}/socket.io/?EIO=4&transport=websocket"
    async with connect(url, origin=Origin(page_origin)) as socket:
        opened = await asyncio.wait_for(socket.recv(), 30)
        assert str(opened).startswith("0{")
    with pytest.raises(InvalidStatusCode) as refused:
        async with connect(url, origin=EVIL):
            pass
    assert refused.value.status_code == 400


def test_rest_cors_preflight_allows_the_page_only(widget_stack):
    url = f"{widget_stack.url}/webhooks/rest/webhook"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = requests.options(url, headers={"Origin": "http://localhost:8080", **preflight}, timeout=30)
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://localhost:8080"
    refused = requests.options(url, headers={"Origin": EVIL, **preflight}, timeout=30)
    assert "Access-Control-Allow-Origin" not in refused.headers
    post = requests.post(url, json={"sender": "cors", "message": "hello"}, headers={"Origin": EVIL}, timeout=60)
    assert "Access-Control-Allow-Origin" not in post.headers

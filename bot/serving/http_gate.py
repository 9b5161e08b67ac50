"""The request gate: strict HTTP/1 framing for every route of a Sanic app (Rasa's and the
action server's), checked where Sanic parses a request, before any body is read.

Sanic 21.12 (pinned by Rasa 3.6) trusts the framing headers: `Content-Length: -1` makes its
body reader loop for ever on one request and starves every other connection; a non-numeric or
repeated length, or a transfer coding other than plain `chunked`, ends in a 500. The gate runs
on Sanic's own `http.lifecycle.request` signal, which fires once the head is parsed and before
Sanic looks at the body framing, and refuses such a request with 400 (or 413 when the declared
body is larger than the app accepts). A refused connection is closed, so no body byte of it
is ever read (Sanic closes any connection whose request failed before its handler).

A request must also arrive whole in time: Sanic's own request timeout restarts with every
byte, so a client sending one byte a second (headers or body) would hold its connection for
ever. `DeadlineProtocol` (Sanic's protocol, given to `app.run`) counts from a request's first
byte to the end of its body and answers 408 when REQUEST_TIMEOUT (NETBOT_REQUEST_TIMEOUT)
has passed.

It also answers `GET /` without naming the server or its version (Rasa's root route says
"Hello from Rasa: 3.6.x") and hides Rasa's `/version` route.
"""

from __future__ import annotations

import re
from time import monotonic
from typing import Any, Optional

import sanic.app as sanic_app
from sanic import Sanic, response
from sanic.exceptions import InvalidUsage, PayloadTooLarge, RequestTimeout
from sanic.http import Stage
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.server.protocols.websocket_protocol import WebSocketProtocol

_DIGITS = re.compile(r"[0-9]+")
# More digits than this is more bytes than any request body we accept.
_MAX_LENGTH_DIGITS = 15
ROOT_TEXT = "NET FAQ assistant: the server is running."
HIDDEN_PATHS = frozenset({"/version"})


def check_framing(request: Request, max_body: int) -> None:
    """Raise a 4xx unless the request's body framing is unambiguous and within `max_body`."""
    headers = request.headers
    lengths = headers.getall("content-length", [])
    codings = headers.getall("transfer-encoding", [])
    if codings:
        if lengths:
            raise InvalidUsage("A request may not carry both Content-Length and Transfer-Encoding.")
        if len(codings) != 1 or codings[0].strip().lower() != "chunked":
            raise InvalidUsage("The only transfer coding accepted is 'chunked'.")
        return
    if not lengths:
        return
    if len(lengths) != 1 or not _DIGITS.fullmatch(lengths[0].strip()):
        raise InvalidUsage("Content-Length must be one whole number of bytes.")
    declared = lengths[0].strip()
    if len(declared) > _MAX_LENGTH_DIGITS or int(declared) > max_body:
        raise PayloadTooLarge(f"The request body may be at most {max_body} bytes.")


class DeadlineProtocol(WebSocketProtocol):
    """Sanic's HTTP (and WebSocket) protocol with one deadline for receiving a whole request."""

    __slots__ = ("_receiving_since", "_watching")  # Sanic's protocols have slots, no __dict__
    WATCH_SECONDS = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._receiving_since: Optional[float] = None
        self._watching = False

    def _receiving(self) -> bool:
        """A request is arriving: its head, or the body its handler waits for."""
        http = getattr(self, "_http", None)  # a slot Sanic sets once the connection is set up
        if http is None:
            return False
        return http.stage is Stage.REQUEST or (
            http.stage is Stage.HANDLER and bool(http.request_body) and not http.upgrade_websocket
        )

    def data_received(self, data: bytes) -> None:
        if self._receiving_since is None or not self._receiving():
            self._receiving_since = monotonic()  # the first byte of a request
        super().data_received(data)
        self._watch_soon()

    def _timed_out(self) -> bool:
        if not (self._task and self._receiving()):
            return False
        since = self._receiving_since = self._receiving_since or monotonic()
        if monotonic() - since <= self.request_timeout:
            return False
        self._http.exception = RequestTimeout("The request did not arrive in time.")  # type: ignore[union-attr]
        self._task.cancel()
        return True

    def watch(self) -> None:
        self._watch_soon()

    def _watch_soon(self) -> None:
        if not self._watching and self._receiving():
            self._watching = True
            self.loop.call_later(self.WATCH_SECONDS, self._watch)

    def _watch(self) -> None:
        self._watching = False
        if not self._timed_out():
            self._watch_soon()

    def check_timeouts(self) -> None:
        if not self._timed_out():
            super().check_timeouts()


def install(app: Sanic) -> Sanic:
    """Put the gate in front of every route of `app` (call before the app starts)."""

    async def gate(request: Request, **_: Any) -> None:
        check_framing(request, int(app.config.REQUEST_MAX_SIZE))
        protocol = request.transport.get_protocol() if request.transport else None
        if isinstance(protocol, DeadlineProtocol):
            protocol.watch()  # the head is in: watch for the body's deadline from now on

    app.signal("http.lifecycle.request")(gate)

    # Rasa calls app.run itself, and Sanic 21.12 has no setting for the protocol class: the
    # protocol Sanic picks when none is given becomes ours (same class for HTTP and WebSocket).
    sanic_app.HttpProtocol = sanic_app.WebSocketProtocol = DeadlineProtocol  # type: ignore[misc,assignment]

    @app.middleware("request")
    async def anonymous_root(request: Request) -> Optional[HTTPResponse]:
        if request.route is None:  # Sanic runs request middleware for error responses too
            return None
        if request.path in HIDDEN_PATHS:
            return response.json({"error": "Not Found"}, status=404)
        if request.path == "/" and request.method in ("GET", "HEAD"):
            return response.text(ROOT_TEXT)
        return None

    return app

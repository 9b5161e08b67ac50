"""The request gate: strict HTTP/1 framing for every route of a Sanic app (Rasa's and the
action server's), checked where Sanic parses a request, before any body is read.

Sanic 21.12 (pinned by Rasa 3.6) trusts the framing headers: `Content-Length: -1` makes its
body reader loop for ever on one request and starves every other connection; a non-numeric or
repeated length, or a transfer coding other than plain `chunked`, ends in a 500. The gate runs
on Sanic's own `http.lifecycle.request` signal, which fires once the head is parsed and before
Sanic looks at the body framing, and refuses such a request with 400 (or 413 when the declared
body is larger than the app accepts). A refused connection is closed, so no body byte of it
is ever read (Sanic closes any connection whose request failed before its handler).

It also answers `GET /` without naming the server or its version (Rasa's root route says
"Hello from Rasa: 3.6.x") and hides Rasa's `/version` route.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from sanic import Sanic, response
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

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


def install(app: Sanic) -> Sanic:
    """Put the gate in front of every route of `app` (call before the app starts)."""

    async def gate(request: Request, **_: Any) -> None:
        check_framing(request, int(app.config.REQUEST_MAX_SIZE))

    app.signal("http.lifecycle.request")(gate)

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

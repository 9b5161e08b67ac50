"""A local stand-in for the messaging platforms' APIs: records what the bot sends, answers like them.

One HTTP server on a free loopback port, a path prefix per platform (the connectors' API base
addresses point here):
    /telegram   Bot API        /bot<token>/<method>
    /slack      Web API        /slack/chat.postMessage
    /facebook   Graph API      /facebook/v21.0/me/messages
    /twilio     REST API       /twilio/2010-04-01/Accounts/<sid>/Messages.json
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: Dict[str, List[str]]
    headers: Dict[str, str]
    body: bytes
    form: Dict[str, str] = field(default_factory=dict)
    json: Any = None

    @property
    def platform(self) -> str:
        return self.path.strip("/").split("/", 1)[0]

    @property
    def method_name(self) -> str:
        """The API method: 'sendMessage', 'chat.postMessage', 'messages', 'Messages.json'."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]


class StandIn:
    def __init__(self) -> None:
        self.requests: List[Recorded] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> StandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def recorded(self, predicate: Callable[[Recorded], bool] = lambda r: True) -> List[Recorded]:
        with self._lock:
            return [r for r in self.requests if predicate(r)]

    def wait_for(self, predicate: Callable[[Recorded], bool], count: int = 1, timeout: float = 90) -> List[Recorded]:
        """Requests matching `predicate`, once there are at least `count` (polls; fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.recorded(predicate)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                seen = [(r.method, r.path) for r in self.recorded()]
                raise AssertionError(f"no request matching after {timeout}s; the stand-in saw {seen}")
            time.sleep(0.2)

    # ---- answers, as the real APIs give them -------------------------------------------
    def _answer(self, request: Recorded) -> Tuple[int, Any]:
        n = next(self._ids)
        if request.platform == "telegram":
            method = request.method_name
            if method == "sendMessage":
                chat_id = int(request.form.get("chat_id", "0"))
                return 200, {
                    "ok": True,
                    "result": {
                        "message_id": n,
                        "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"},
                        "from": {"id": 1, "is_bot": True, "first_name": "NET bot", "username": "netbot"},
                        "text": request.form.get("text", ""),
                    },
                }
            if method in ("setWebhook", "answerCallbackQuery", "deleteWebhook"):
                return 200, {"ok": True, "result": True}
            if method == "getMe":
                return 200, {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "NET bot", "username": "netbot"}}
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if request.platform == "slack":
            channel = request.form.get("channel") or (request.json or {}).get("channel")
            return 200, {"ok": True, "channel": channel, "ts": f"{time.time():.6f}", "message": {}}
        if request.platform == "facebook":
            recipient = ((request.json or {}).get("recipient") or {}).get("id")
            return 200, {"recipient_id": recipient, "message_id": f"m_{n}"}
        if request.platform == "twilio":
            return 201, {
                "sid": f"SM{n:032d}",
                "account_sid": request.path.split("/")[4] if len(request.path.split("/")) > 4 else "",
                "to": request.form.get("To"),
                "from": request.form.get("From"),
                "body": request.form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "date_created": None,
                "date_sent": None,
                "date_updated": None,
                "uri": request.path,
            }
        return 404, {"error": "unknown platform"}

    def _handler(self) -> type:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                form: Dict[str, str] = {}
                parsed_json: Optional[Any] = None
                if content_type == "application/x-www-form-urlencoded":
                    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
                elif content_type == "application/json" and body:
                    parsed_json = json.loads(body)
                elif content_type.startswith("multipart/form-data"):
                    form = _multipart(body, self.headers.get("Content-Type") or "")
                request = Recorded(
                    self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body, form, parsed_json
                )
                with stand_in._lock:
                    stand_in.requests.append(request)
                status, answer = stand_in._answer(request)
                data = json.dumps(answer).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _record  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler


def _multipart(body: bytes, content_type: str) -> Dict[str, str]:
    """The text fields of a multipart/form-data body (aiohttp sends some Bot API calls so)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: Dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = part.get_content() if part.get_content_type().startswith("text/") else str(part.get_payload())
    return fields

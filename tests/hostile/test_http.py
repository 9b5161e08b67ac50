"""Groups 1 and 6: raw HTTP/1 framing sent byte for byte over a socket, then methods and paths.

A malformed request must get a clear 4xx (or the connection closed), never a 5xx and never a
hang: after every case a fresh sender is answered within 2 s and the sender named in the
request body still gets its answer. Slow clients are given up after ~15 s; while one is
connected, other requests must be served.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, List, Tuple

import pytest
import requests

from tests.hostile.helpers import (
    CLEAR_4XX,
    RawResult,
    Row,
    Server,
    afterwards,
    check_safe_messages,
    json_body,
    new_sender,
    probe_fresh,
    raw_http,
    request_bytes,
)

GROUP = "1 framing"
PATHS = "6 methods and paths"
WEBHOOK = "/webhooks/rest/webhook"
REFUSED = CLEAR_4XX | {417}
SLOW_GIVE_UP = 15.0  # seconds a slow client keeps trying before the test gives up on it
JSON = ("Content-Type", "application/json")

Parts = List[bytes]


@dataclass
class Frame:
    kind: str
    build: Callable[[int, str], Parts]  # (port, sender) -> what is sent, part by part
    ok_allowed: bool = False  # a well-formed (or RFC-tolerated) request may get a safe 200
    gap: float = 0.0  # seconds between parts
    deadline: float = 5.0
    half_close: bool = False
    slow: bool = False  # the server must cut it before SLOW_GIVE_UP, and serve others meanwhile


def post(port: int, headers: List[Tuple[str, str]], body: bytes, target: str = WEBHOOK, method: str = "POST") -> bytes:
    return request_bytes(method, target, port, [JSON, *headers], body)


def with_length(value: str) -> Callable[[int, str], Parts]:
    return lambda port, who: [post(port, [("Content-Length", value)], json_body(who))]


def exact(port: int, who: str) -> Tuple[bytes, str]:
    body = json_body(who)
    return body, str(len(body))


def two_lengths(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", n), ("Content-Length", str(int(n) - 20))], body)]


def repeated_length(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", f"{n}, {n}")], body)]


def plus_length(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", f"+{n}")], body)]


def longer_than_body(port: int, who: str) -> Parts:
    return [post(port, [("Content-Length", "1000")], json_body(who))]


def shorter_than_body(port: int, who: str) -> Parts:
    return [post(port, [("Content-Length", "10")], json_body(who))]


def chunked(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


def gzip_chunked(port: int, who: str) -> Parts:
    return [post(port, [("Transfer-Encoding", "gzip, chunked")], chunked(json_body(who)))]


def bad_chunk_size(port: int, who: str) -> Parts:
    return [post(port, [("Transfer-Encoding", "chunked")], b"zz\r\n" + json_body(who) + b"\r\n0\r\n\r\n")]


def negative_chunk_size(port: int, who: str) -> Parts:
    return [post(port, [("Transfer-Encoding", "chunked")], b"-5\r\n" + json_body(who) + b"\r\n0\r\n\r\n")]


def te_and_cl(port: int, who: str) -> Parts:
    body = chunked(json_body(who))
    return [post(port, [("Content-Length", "4"), ("Transfer-Encoding", "chunked")], body)]


def no_colon(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [
        post(port, [("Content-Length", n), ("X-Broken-Header-Without-Colon", "")], body).replace(
            b"X-Broken-Header-Without-Colon: ", b"X-Broken-Header-Without-Colon"
        )
    ]


def long_header(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", n), ("X-Long", "a" * 100_000)], body)]


def many_headers(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", n), *((f"X-H{i}", "v") for i in range(500))], body)]


def slowloris(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    head = post(port, [("Content-Length", n), ("X-Padding", "slow" * 10)], b"")
    return [head[i : i + 1] for i in range(len(head))] + [body]


def slow_body(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", n)], b"")] + [body[i : i + 1] for i in range(len(body))]


def http09(port: int, who: str) -> Parts:
    return [b"GET /\r\n\r\n"]


def garbage(port: int, who: str) -> Parts:
    return [b"\x00\xff\xfe lk;j ;; \x07\x1b[31m\r\n\r\n"]


def unknown_method(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", n)], body, method="BREW")]


def absolute_form(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", n)], body, target=f"http://127.0.0.1:{port}{WEBHOOK}")]


def h2_preface(port: int, who: str) -> Parts:
    return [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"]


def nul_in_header(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", n), ("X-Nul", "a\x00b")], body)]


def folded_header(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", n), ("X-Folded", "first\r\n  continued")], body)]


def bogus_expect(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [post(port, [("Content-Length", n), ("Expect", "999-bogus")], body)]


def extra_spaces(port: int, who: str) -> Parts:
    body, n = exact(port, who)
    return [
        post(port, [("Content-Length", n)], body).replace(
            f"POST {WEBHOOK} HTTP/1.1".encode(), f"POST  {WEBHOOK}  HTTP/1.1".encode(), 1
        )
    ]


FRAMES = [
    Frame("Content-Length: -1 (critical)", with_length("-1")),
    Frame("Content-Length: abc", with_length("abc")),
    Frame("Content-Length: 1e3", with_length("1e3")),
    Frame("Content-Length: N, N (same value twice)", repeated_length, ok_allowed=True),  # RFC 9110 8.6 tolerates it
    Frame("two different Content-Length headers", two_lengths),
    Frame("Content-Length: +N", plus_length),
    Frame("Content-Length: 99999999999999999999", with_length("99999999999999999999")),
    Frame("Content-Length larger than the body, then half-close", longer_than_body, half_close=True),
    Frame("Content-Length larger than the body, then silence", longer_than_body, deadline=SLOW_GIVE_UP, slow=True),
    Frame("Content-Length smaller than the body", shorter_than_body),
    Frame("Transfer-Encoding: gzip, chunked", gzip_chunked),
    Frame("chunked with a non-hex chunk size", bad_chunk_size),
    Frame("chunked with a negative chunk size", negative_chunk_size),
    Frame("both Transfer-Encoding and Content-Length", te_and_cl),
    Frame("header line without a colon", no_colon),
    Frame("100 KB header", long_header),
    Frame("500 headers", many_headers, ok_allowed=True),
    Frame("slow-loris: headers byte by byte", slowloris, gap=0.25, deadline=SLOW_GIVE_UP, slow=True),
    Frame("body sent very slowly", slow_body, gap=0.25, deadline=SLOW_GIVE_UP, slow=True),
    Frame("HTTP/0.9 request line", http09),
    Frame("garbage request line", garbage),
    Frame("unknown method BREW", unknown_method),
    Frame("absolute-form URI", absolute_form, ok_allowed=True),  # RFC 9112 3.2.2: servers must accept it
    Frame("HTTP/2 prior-knowledge preface", h2_preface),
    Frame("NUL byte in a header value", nul_in_header, ok_allowed=True),  # RFC 9110 5.5: reject, or read it as a space
    Frame("obsolete folded header line", folded_header, ok_allowed=True),
    Frame("Expect: 999-bogus", bogus_expect),
    Frame("request line with double spaces", extra_spaces),
]


def judge(result: RawResult, frame: Frame, row: Row) -> None:
    row.note(result.describe())
    assert not result.timed_out, f"{result.describe()}: the request was neither answered nor closed"
    if result.status is None:
        assert result.closed, result.describe()
        return
    assert result.status < 500, f"HTTP {result.status} {result.reason}: {result.body[:150]!r}"
    if result.status == 200 and frame.ok_allowed:
        check_safe_messages(result.json())
        row.note("safe reply")
        return
    assert result.status in REFUSED, (
        f"HTTP {result.status} {result.reason} is not a refusal of this framing: {result.body[:150]!r}"
    )


@pytest.mark.parametrize("frame", FRAMES, ids=[f.kind for f in FRAMES])
def test_framing(server: Server, row: Row, frame: Frame) -> None:
    who = new_sender()
    parts = frame.build(server.port, who)
    if frame.slow:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(raw_http, server.port, parts, frame.gap, frame.deadline, frame.half_close)
            time.sleep(3.0)
            try:
                during = probe_fresh(server)
                row.note(f"others served meanwhile ({during * 1000:.0f} ms)")
            finally:
                result = pending.result(timeout=frame.deadline + 10)
        judge(result, frame, row)
        assert result.elapsed < SLOW_GIVE_UP, f"the server still held the slow connection after {result.elapsed:.1f} s"
    else:
        judge(raw_http(server.port, parts, frame.gap, frame.deadline, frame.half_close), frame, row)
    afterwards(server, row, who)


# ---------------------------------------------------------------- 6: methods and paths ------

VERSION = re.compile(r"rasa\W{0,3}v?\d+\.\d+|\b3\.6\.\d+", re.IGNORECASE)
EVIL_ORIGIN = "https://evil.example"
GOOD_ORIGIN = "http://localhost:8080"  # the demo page's origin (bot.serving.channels.cors), allowed by default


@pytest.mark.group(PATHS)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"], ids=lambda m: f"{m} on the webhook")
def test_webhook_method(server: Server, row: Row, method: str) -> None:
    who = new_sender()
    response = requests.request(method, server.webhook, json={"sender": who, "message": "hi"}, timeout=10)
    row.note(f"HTTP {response.status_code}")
    assert response.status_code < 500, response.text[:200]
    assert response.status_code in CLEAR_4XX, f"{method} on the webhook: HTTP {response.status_code} {response.text[:120]}"
    afterwards(server, row, who)


@pytest.mark.group(PATHS)
def test_preflight_from_a_disallowed_origin(server: Server, row: Row) -> None:
    response = requests.options(
        server.webhook,
        timeout=10,
        headers={
            "Origin": EVIL_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    allowed = response.headers.get("Access-Control-Allow-Origin")
    row.note(f"HTTP {response.status_code}, Access-Control-Allow-Origin: {allowed}")
    assert response.status_code < 500
    assert allowed not in (EVIL_ORIGIN, "*"), f"preflight from {EVIL_ORIGIN} allowed: {allowed}"
    afterwards(server, row, None)


@pytest.mark.group(PATHS)
def test_preflight_from_the_page_origin_still_allowed(server: Server, row: Row) -> None:
    response = requests.options(
        server.webhook,
        timeout=10,
        headers={
            "Origin": GOOD_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    allowed = response.headers.get("Access-Control-Allow-Origin")
    row.note(f"HTTP {response.status_code}, Access-Control-Allow-Origin: {allowed}")
    assert response.status_code < 400
    assert allowed == GOOD_ORIGIN


@pytest.mark.group(PATHS)
@pytest.mark.parametrize("path", ["/", "/version"], ids=lambda p: f"GET {p} reveals no version")
def test_no_version_disclosed(server: Server, row: Row, path: str) -> None:
    response = requests.get(server.url + path, timeout=10)
    shown = response.text[:300] + " " + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    found = VERSION.search(shown)
    row.note(f"HTTP {response.status_code}: {response.text[:50]!r}")
    assert response.status_code < 500
    assert found is None, f"GET {path} reveals the version: {found.group() if found else ''!r}"
    afterwards(server, row, None)


@pytest.mark.group(PATHS)
@pytest.mark.parametrize(
    "path",
    ["/conversations/x/tracker", "/model", "/status", "/model/parse", "/conversations/x/messages"],
    ids=lambda p: f"HTTP API {p} closed",
)
def test_http_api_is_off(server: Server, row: Row, path: str) -> None:
    statuses = []
    for method in ("GET", "POST"):
        response = requests.request(method, server.url + path, json={"text": "hi"}, timeout=10)
        statuses.append(response.status_code)
        assert response.status_code in (401, 403, 404, 405), f"{method} {path}: HTTP {response.status_code} {response.text[:150]}"
    row.note("GET/POST: " + "/".join(map(str, statuses)))
    afterwards(server, row, None)


TRAVERSALS = [
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/webhooks/rest/../../../../etc/passwd",
    "/..%2f..%2f..%2fetc%2fpasswd",
]


@pytest.mark.group(PATHS)
@pytest.mark.parametrize("target", TRAVERSALS, ids=lambda t: f"path traversal {t}")
def test_path_traversal(server: Server, row: Row, target: str) -> None:
    result = raw_http(server.port, [request_bytes("GET", target, server.port, [("Connection", "close")])])
    row.note(result.describe())
    assert not result.timed_out
    assert result.status is None or result.status in CLEAR_4XX, result.describe()
    assert b"root:" not in result.body
    afterwards(server, row, None)


@pytest.mark.group(PATHS)
def test_very_long_url_64_kb(server: Server, row: Row) -> None:
    target = WEBHOOK + "?q=" + "a" * 65_536
    result = raw_http(server.port, [request_bytes("GET", target, server.port)])
    row.note(result.describe())
    assert not result.timed_out
    assert result.status is None or result.status in CLEAR_4XX, result.describe()
    afterwards(server, row, None)


@pytest.mark.group(PATHS)
def test_server_log_has_no_unhandled_exception(server: Server, row: Row) -> None:
    """Sanic's 500 path logs "Exception occurred while handling uri"."""
    log = (server.stack.workdir / "rasa.log").read_text(errors="replace")
    count = log.count("Exception occurred while handling uri")
    row.note(f"{count} unhandled exceptions logged" + (f"; restarts: {server.restarts}" if server.restarts else ""))
    assert count == 0

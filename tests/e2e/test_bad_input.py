"""Bad input, over REST and socket.io, against the real servers started the deployed way
(bot/serving/launcher.py: request-size bound, action timeout, flood control).

Every kind must give 0 crashes and 0 5xx: either a clear 4xx or a safe reply (ending with the
disclaimer and the referral), or, for socket.io frames that are not messages at all, nothing;
and the same conversation (or, when the request had no usable sender, a new one) still gets a
real answer afterwards. The table is printed and written to results/bad_input.md.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import pytest
import requests

from bot.config import PROJECT_ROOT
from bot.dialogue import error_reply
from bot.knowledge import get_knowledge_base
from bot.referral import referral_text
from tests.servers import Stack
from tests.socket_client import SocketUser

KB = get_knowledge_base()
PROBE = '/ask_definition{"net_type":"net"}'  # a button payload: the same answer for any NLU model
PROBE_ANSWER = "A neuroendocrine tumour (NET) is"
EMPTY = KB.messages["empty"][:40]
TOO_LONG = KB.messages["too_long"][:40]
# The apology says something failed inside; bad input must be handled, not fail something.
APOLOGY = error_reply(None).text.split("\n")[0].strip()
RESULTS: List[Tuple[str, str, str, str, str]] = []  # kind, channel, outcome, reply, afterwards


def sender() -> str:
    return f"bad-{uuid.uuid4().hex[:12]}"


def is_safe(text: str) -> bool:
    return text.rstrip().endswith(referral_text(KB, None)) and "not a doctor" in text[-900:]


def is_safe_web(text: str) -> bool:
    """The widget's shaping turns addresses into Markdown links; the end stays the same."""
    return text.rstrip().endswith(referral_text(KB, None)[-40:]) and "not a doctor" in text[-900:]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# ---------------------------------------------------------------- REST ----------------------


@dataclass
class Rest:
    kind: str
    body: Any = None  # JSON; "SENDER" in a sender is replaced by a fresh id
    raw: Optional[bytes] = None  # sent as is instead of `body`
    status: int = 200
    starts: Optional[str] = None  # the reply's start, when it is a fixed message
    method: str = "POST"
    headers: Dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    def message(self, text: Any) -> Rest:
        self.body = {"sender": "SENDER", "message": text}
        return self


def msg(kind: str, text: Any, status: int = 200, starts: Optional[str] = None) -> Rest:
    return Rest(kind, status=status, starts=starts).message(text)


REST_CASES = [
    msg("empty text", "", starts=EMPTY),
    msg("whitespace only", " \n\t \r\n ", starts=EMPTY),
    msg("zero-width characters only", "\u200b\u200c\u200d\ufeff", starts=EMPTY),
    msg("100 KB text", ("neuroendocrine " * 7000)[:100_000], starts=TOO_LONG),
    msg("over 100 KB text", "x" * 100_001, status=413),
    Rest("2 MB body (over the request bound)", raw=json.dumps({"sender": "s", "message": "y" * 2_000_000}).encode(), status=413),
    Rest("invalid UTF-8 bytes", raw=b'{"sender": "s", "message": "caf\xe9 \xff\xfe"}', status=400),
    msg("NUL and control characters", "\x00\x01\x07 what is a NET? \x1b[31m\x7f"),
    Rest("lone UTF-16 surrogate (JSON escape)", raw=b'{"sender": "SENDER", "message": "\\ud800 what is a NET?"}'),
    Rest("deeply nested JSON in message", raw=('{"sender": "SENDER", "message": ' + nested(5000) + "}").encode(), status=400),
    Rest("deeply nested JSON body (100k levels)", raw=nested(100_000).encode(), status=400),
    msg("message is a number", 42, status=400),
    msg("message is a list", ["what", "is", "a", "NET"], status=400),
    msg("message is an object", {"text": "hi"}, status=400),
    msg("message is true", True, status=400),
    msg("message is null", None, status=400),
    Rest("message missing", {"sender": "SENDER"}, status=400),
    Rest("sender missing", {"message": "hi"}, status=400),
    Rest("sender empty", {"sender": "", "message": "hi"}, status=400),
    Rest("sender is an object", {"sender": {"id": 1}, "message": "hi"}, status=400),
    Rest("huge sender id (10k chars)", {"sender": "s" * 10_000, "message": "hi"}, status=400),
    Rest("sender with control characters", {"sender": "ab\ncd\x00", "message": "hi"}, status=400),
    Rest("SQL-looking sender id", {"sender": "x'; DROP TABLE events; --", "message": "hello"}),
    Rest("numeric sender id", {"sender": 1234567, "message": "hello"}),
    Rest("body is a JSON array", [1, 2, 3], status=400),
    Rest("body is a JSON string", "hello", status=400),
    Rest(
        "form-encoded body", raw=b"sender=a&message=hi", headers={"Content-Type": "application/x-www-form-urlencoded"}, status=400
    ),
    Rest("JSON sent as text/plain", {"sender": "SENDER", "message": "hello"}, headers={"Content-Type": "text/plain"}),
    msg("HTML and script", "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>"),
    msg("SQL-looking text", "'; DROP TABLE events; -- what is a NET? \" OR 1=1 --"),
    msg(
        "right-to-left text and direction overrides",
        "\u202eما هو الورم العصبي الصماوي؟ \u05de\u05d4 \u202dNET\u202c\u2067x\u2069",
    ),
    msg(
        "combining characters (zalgo)",
        "w\u0336\u0301\u0327h\u0338\u0350a\u0334\u0302t\u0335\u0308 i\u0337\u030ds\u0334 a\u0336 N\u0338\u0303E\u0335\u0306T"
        + "\u0301" * 500,
    ),
    msg("emoji and astral characters", "🙂🧬🩺 𝕨𝕙𝕒𝕥 𝕚𝕤 𝕒 ℕ𝔼𝕋 🏳️‍🌈"),
    msg("non-characters", "\uffff\ufffe\U0010ffff what is a NET"),
    msg("10k-character single word", "a" * 10_000),
    msg("format strings and templates", "%s%n%x {0} {{7*7}} ${HOME} $(id) `id`"),
    msg("path traversal", "../../../../etc/passwd\\..\\..\\windows\\win.ini"),
    msg("broken button payload JSON", '/inform_region{"region":'),
    msg("unknown intent payload", "/no_such_intent"),
    msg("payload with unknown entity", '/ask_definition{"planet":"mars"}'),
    Rest("user-sent /restart", {"sender": "SENDER", "message": "/restart"}, starts="I've started a new conversation"),
    Rest(
        "user-sent /session_start",
        {"sender": "SENDER", "message": "/session_start"},
        starts=KB.messages["command_session_start"][:40],
    ),
    Rest("user-sent /back", {"sender": "SENDER", "message": "/back"}, starts=KB.messages["command_back"][:40]),
    Rest("metadata of the wrong type", {"sender": "SENDER", "message": "hello", "metadata": "not an object"}),
    Rest("unknown extra fields", {"sender": "SENDER", "message": "hello", "admin": True, "__proto__": {"x": 1}}),
    Rest("duplicate JSON keys", raw=b'{"sender": "SENDER", "sender": "SENDER", "message": "no", "message": "hello"}'),
    Rest("GET on the webhook", method="GET", status=405),
    Rest("PUT on the webhook", {"sender": "SENDER", "message": "hi"}, method="PUT", status=405),
]


def send(stack: Stack, case: Rest, who: str) -> requests.Response:
    if case.raw is not None:
        data = case.raw.replace(b"SENDER", who.encode())
    elif case.body is not None:
        body = json.loads(json.dumps(case.body).replace('"SENDER"', json.dumps(who)))
        data = json.dumps(body).encode()
    else:
        data = None
    return requests.request(case.method, stack.webhook, data=data, headers=case.headers, timeout=120)


def probe(stack: Stack, who: str) -> str:
    for _ in range(5):
        response = stack.say(who, PROBE)
        if response.status_code == 429:  # flood control: wait as told, then ask again
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        assert response.status_code == 200, response.text
        text = str(response.json()[0]["text"])
        assert text.startswith(PROBE_ANSWER), text[:200]
        return "answers"
    raise AssertionError("still rate limited")


@pytest.mark.parametrize("case", REST_CASES, ids=[c.kind for c in REST_CASES])
def test_rest(stack, case):
    who = sender()
    response = send(stack, case, who)
    assert response.status_code < 500, response.text[:300]
    assert response.status_code == case.status, response.text[:300]
    if response.status_code == 200:
        messages = response.json()
        assert isinstance(messages, list) and messages, messages
        text = str(messages[-1]["text"])
        assert is_safe(text), text[-300:]
        assert not text.startswith(APOLOGY), text[:200]
        if case.starts:
            assert text.startswith(case.starts), text[:200]
        assert "<script>" not in text and "onerror" not in text
        reply = f"safe reply ({text[:38].strip()}...)"
    else:
        try:
            body = response.json()
            error = body.get("error") if isinstance(body, dict) else None
        except ValueError:
            error = None
        # Our channel explains in JSON; Sanic's own 405 and its request-size 413 come first.
        assert error or response.status_code in (405, 413), response.text[:300]
        reply = f"{response.status_code}: {str(error or response.reason)[:60]}"
    RESULTS.append((case.kind, "REST", f"HTTP {response.status_code}", reply, probe(stack, who)))


def test_rest_burst_of_1000_messages_from_one_sender(stack):
    who = sender()

    def one(i: int) -> int:
        return stack.say(who, f"what is a NET? ({i})").status_code

    with ThreadPoolExecutor(max_workers=25) as pool:  # bounded: 25 in flight at most
        statuses = list(pool.map(one, range(1000)))
    counts = {code: statuses.count(code) for code in sorted(set(statuses))}
    assert set(counts) <= {200, 429}, counts
    assert counts.get(200, 0) >= 1
    RESULTS.append(
        (
            "1000 messages in a burst from one sender (25 in flight)",
            "REST",
            ", ".join(f"{n} x HTTP {code}" for code, n in counts.items()),
            "answers, then 429 + Retry-After (flood control)",
            probe(stack, who),
        )
    )


# ---------------------------------------------------------------- socket.io -----------------


@dataclass
class Sock:
    kind: str
    frame: Any  # what is emitted as user_uttered; "SESSION" in session_id is replaced
    replies: bool  # gets a (safe) reply
    starts: Optional[str] = None


def frame(text: Any, **extra: Any) -> Dict[str, Any]:
    return {"message": text, "session_id": "SESSION", **extra}


SOCKET_CASES = [
    Sock("empty text", frame(""), True, EMPTY),
    Sock("whitespace only", frame(" \n\t "), True, EMPTY),
    Sock("100 KB text", frame(("neuroendocrine " * 7000)[:100_000]), True, TOO_LONG),
    Sock("NUL and control characters", frame("\x00\x01\x07 what is a NET? \x1b[31m"), True),
    Sock("lone UTF-16 surrogate", frame("\ud800 what is a NET?"), True),
    Sock("HTML and script", frame("<script>alert(1)</script>"), True),
    Sock("SQL-looking text", frame("'; DROP TABLE events; --"), True),
    Sock("right-to-left and combining characters", frame("\u202eما هو NET\u202c z\u0301\u0327" + "\u0301" * 300), True),
    Sock("message is a number", frame(42), True, EMPTY),
    Sock("message is an object", frame({"text": "hi"}), True, EMPTY),
    Sock("metadata is broken JSON", frame("hello", customData="{not json"), True),
    Sock("binary attachment as message", frame(b"\xff\xfe\x00 binary"), True, EMPTY),
    # A frame that is not a message object gets the friendly "no text" reply.
    Sock("frame is a string", "what is a NET?", True, EMPTY),
    Sock("frame is a list", ["what", "is", "a", "NET"], True, EMPTY),
    Sock("frame is null", None, True, EMPTY),
    # The session is the connection's own, whatever the frame names.
    Sock("session_id missing", {"message": "hello"}, True),
    Sock("session_id huge (10k chars)", {"message": "hello", "session_id": "s" * 10_000}, True),
    Sock("session_id is an object", {"message": "hello", "session_id": {"$ne": None}}, True),
]


async def socket_case(url: str, case: Sock) -> Tuple[str, str]:
    user = SocketUser(url)
    session = await user.connect()
    try:
        payload = case.frame
        if isinstance(payload, dict) and payload.get("session_id") == "SESSION":
            payload = {**payload, "session_id": session}
        await user.client.emit("user_uttered", payload)
        if case.replies:
            first = await user.reply()
            assert is_safe_web(first), first[-300:]
            assert not first.startswith(APOLOGY), first[:200]
            if case.starts:
                assert first.startswith(case.starts), first[:200]
            assert "<script>" not in first
            outcome = f"safe reply ({first[:38].strip()}...)"
        else:
            outcome = "ignored (not a message)"
        # Then the same session asks a real question; a frame that was ignored must not have
        # produced a reply either (it would arrive here first).
        await user.client.emit("user_uttered", frame(PROBE, session_id=session))
        answer = await user.reply()
        assert answer.startswith(PROBE_ANSWER), answer[:200]
        return outcome, "answers"
    finally:
        await user.close()


@pytest.mark.parametrize("case", SOCKET_CASES, ids=[c.kind for c in SOCKET_CASES])
async def test_socketio(stack, case):
    outcome, afterwards = await socket_case(stack.url, case)
    RESULTS.append((case.kind, "socket.io", "no error", outcome, afterwards))


async def test_socketio_frame_over_the_size_bound_closes_only_that_connection(stack):
    user = SocketUser(stack.url)
    session = await user.connect()
    await user.client.emit("user_uttered", frame("z" * 2_000_000, session_id=session))
    # Engine.IO drops a connection that sends more than its buffer (1 MB); the server lives on.
    for _ in range(100):
        if not user.client.connected:
            break
        await asyncio.sleep(0.2)
    await user.close()
    again = SocketUser(stack.url)
    await again.connect(session)
    try:
        await again.client.emit("user_uttered", frame(PROBE, session_id=session))
        assert (await again.reply()).startswith(PROBE_ANSWER)
    finally:
        await again.close()
    RESULTS.append(
        ("2 MB frame (over the buffer bound)", "socket.io", "connection closed by server", "none", "answers (new connection)")
    )


async def test_socketio_burst_of_50_messages_from_one_session(stack):
    """Five rounds of ten frames sent at once (Engine.IO takes at most 16 packets in one
    long-polling request), each frame answered, or asked to wait by the flood control."""
    session = uuid.uuid4().hex
    user = SocketUser(stack.url)
    await user.connect(session)
    replies: List[str] = []
    try:
        for round_ in range(5):
            for i in range(10):
                await user.client.emit("user_uttered", frame(f"hello {round_}-{i}", session_id=session))
            replies += [await user.reply() for _ in range(10)]
        assert all(is_safe_web(text) for text in replies)
        assert not [text for text in replies if text.startswith(APOLOGY)]
        waits = sum(text.startswith("You're sending messages faster") for text in replies)
        await user.client.emit("user_uttered", frame(PROBE, session_id=session))
        assert (await user.reply()).startswith(PROBE_ANSWER)
    finally:
        await user.close()
    RESULTS.append(
        (
            "50 messages in bursts of 10 from one session",
            "socket.io",
            "no error",
            f"{50 - waits} answers, {waits} 'please wait' (flood control)",
            "answers",
        )
    )


# ---------------------------------------------------------------- summary -------------------


def test_summary_no_crash_and_table(stack, capsys):
    alive = [p.poll() is None for p in stack.processes]
    assert alive and all(alive), "a server process died"
    log = (stack.workdir / "rasa.log").read_text(errors="replace")
    assert "Exception occurred while handling uri" not in log  # Sanic's 500 path
    kinds = {kind for kind, *_ in RESULTS}
    lines = [
        "# Bad input: results",
        "",
        f"{len(RESULTS)} cases ({len(kinds)} kinds) over REST and socket.io against the real servers "
        "(bot/serving/launcher.py launch). 0 crashes, 0 5xx; after every case the conversation still answers.",
        "Generated by tests/e2e/test_bad_input.py.",
        "",
        "| # | kind | channel | result | reply | afterwards |",
        "|---|------|---------|--------|-------|------------|",
    ]
    for i, (kind, channel, result, reply, after) in enumerate(RESULTS, 1):
        cells = [str(i), kind, channel, result, reply.replace("|", "/").replace("\n", " "), after]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    out = PROJECT_ROOT / "results" / "bad_input.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, encoding="utf-8")
    with capsys.disabled():
        print("\n" + table)
    assert len(kinds) >= 30

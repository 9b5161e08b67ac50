"""Groups 2 to 5 and 8 over REST: JSON shape, text content, Rasa commands typed by a user,
metadata, and (last, on the same stack) a bounded burst.

Each case: HTTP status < 500 and either a clear 4xx or a safe 200 reply (disclaimer + referral,
not the apology); then a fresh sender is answered within 2 s and the same conversation still
answers normally. Text (group 3) and commands (group 4) must be answered: a person typed them.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import pytest
import requests

from tests.hostile.helpers import (
    EMPTY,
    PROBE,
    PROBE_ANSWER,
    RESTARTED,
    TOO_LONG,
    UK_REFERRAL_MARK,
    Row,
    Server,
    afterwards,
    check_rest_outcome,
    is_apology,
    is_safe,
    nested_list,
    new_sender,
    probe_fresh,
    probe_same,
    reply_text,
)

GROUP = "2 JSON shape"
TEXT = "3 text content"
COMMANDS = "4 Rasa commands"
METADATA = "5 metadata"
JSON = {"Content-Type": "application/json"}


@dataclass
class Case:
    kind: str
    body: Any = None  # JSON; the string "SENDER" anywhere is replaced by a fresh sender id
    raw: Optional[bytes] = None  # sent as is (b"SENDER" replaced) instead of `body`
    headers: Dict[str, str] = field(default_factory=lambda: dict(JSON))
    ok: bool = True  # a safe 200 reply is acceptable
    refuse: bool = True  # a clear 4xx is acceptable
    starts: Optional[str] = None  # a 200 reply must start so
    same_sender: bool = True  # the request names a usable sender: probe that conversation after


def message(kind: str, text: Any, **options: Any) -> Case:
    return Case(kind, {"sender": "SENDER", "message": text}, **options)


def raw_message(kind: str, encoded_text: str, **options: Any) -> Case:
    """`encoded_text` goes into the JSON as written (escapes stay escapes)."""
    return Case(kind, raw=('{"sender": "SENDER", "message": ' + encoded_text + "}").encode(), **options)


def encode(case: Case, who: str) -> bytes:
    if case.raw is not None:  # the placeholder as UTF-8 or UTF-16 text
        return case.raw.replace(b"SENDER", who.encode()).replace("SENDER".encode("utf-16-le"), who.encode("utf-16-le"))
    return json.dumps(case.body).replace('"SENDER"', json.dumps(who)).encode()


def send(server: Server, case: Case, who: str, timeout: float = 30.0) -> requests.Response:
    return requests.post(server.webhook, data=encode(case, who), headers=case.headers, timeout=timeout)


def run(server: Server, row: Row, case: Case) -> None:
    who = new_sender()
    response = send(server, case, who)
    if not case.refuse:
        row.note(f"HTTP {response.status_code}")
        assert response.status_code == 200, f"HTTP {response.status_code} (a reply was expected): {response.text[:200]}"
        row.observed.clear()
    check_rest_outcome(response, row, allow_ok=case.ok, starts=case.starts)
    # A refused request with an unusable sender id (missing, huge, control characters) has no
    # conversation to continue; an accepted one must.
    afterwards(server, row, who if case.same_sender or response.status_code == 200 else None)


# ---------------------------------------------------------------- 2: JSON shape -------------

NESTED = nested_list(900)
UTF16 = json.dumps({"sender": "SENDER", "message": "what is a NET?"}).encode("utf-16")

SHAPES = [
    Case("body is not JSON", raw=b"this is {not json", ok=False),
    Case("body is a JSON array", [{"sender": "SENDER", "message": "what is a NET?"}], ok=False),
    Case("body nested 900 deep", raw=NESTED.encode(), ok=False, same_sender=False),
    raw_message("message nested 900 deep", NESTED, ok=False),
    Case("unknown key nested 900 deep", raw=('{"sender": "SENDER", "message": "what is a NET?", "x": ' + NESTED + "}").encode()),
    message("message is a number", 42),
    message("message is a list", ["what", "is", "a", "NET"]),
    message("message is null", None),
    Case("message missing", {"sender": "SENDER"}),
    Case("sender missing", {"message": "what is a NET?"}, same_sender=False),
    Case("sender empty", {"sender": "", "message": "what is a NET?"}, same_sender=False),
    Case("sender huge (100k chars)", {"sender": "s" * 100_000, "message": "what is a NET?"}, same_sender=False),
    Case("sender with control characters", {"sender": "ab\r\ncd\x00\x1b", "message": "what is a NET?"}, same_sender=False),
    Case("sender is a list", {"sender": ["a", "b"], "message": "what is a NET?"}, same_sender=False),
    Case(
        "extra unknown keys",
        {"sender": "SENDER", "message": "what is a NET?", "admin": True, "__proto__": {"x": 1}, "input_channel": "slack"},
    ),
    Case("duplicate keys", raw=b'{"sender": "SENDER", "message": "no", "message": "what is a NET?", "sender": "SENDER"}'),
    Case(
        "UTF-8 BOM before the JSON", raw=b"\xef\xbb\xbf" + json.dumps({"sender": "SENDER", "message": "what is a NET?"}).encode()
    ),
    Case("UTF-16 body", raw=UTF16),
    Case("JSON sent as text/plain", {"sender": "SENDER", "message": "what is a NET?"}, headers={"Content-Type": "text/plain"}),
    Case(
        "JSON sent as form-urlencoded",
        {"sender": "SENDER", "message": "what is a NET?"},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    Case("JSON without a Content-Type", {"sender": "SENDER", "message": "what is a NET?"}, headers={}),
]


@pytest.mark.parametrize("case", SHAPES, ids=[c.kind for c in SHAPES])
def test_json_shape(server: Server, row: Row, case: Case) -> None:
    run(server, row, case)


# ---------------------------------------------------------------- 3: text content -----------

TEXTS = [
    message("empty text", "", refuse=False, starts=EMPTY),
    message("whitespace only", " \n\t \r\n \u3000", refuse=False, starts=EMPTY),
    message("zero-width characters only", "\u200b\u200c\u200d\ufeff", refuse=False, starts=EMPTY),
    message("100 KB text", ("neuroendocrine " * 7000)[:100_000], starts=TOO_LONG),  # or 413
    message("NUL characters in a question", "\x00what is a NET?\x00", refuse=False),
    message("NUL characters only", "\x00\x00\x00", refuse=False),
    raw_message("lone surrogate escape", '"\\udc00 what is a NET? \\ud800"', refuse=False),
    raw_message("lone surrogate only", '"\\ud800"', refuse=False),
    message(
        "right-to-left override", "\u202eTEN a si tahw\u202c \u2067\u05de\u05d4 \u0645\u0627 \u0647\u0648\u2069", refuse=False
    ),
    message(
        "zalgo combining marks",
        "w\u0336\u0301\u0327h\u0338\u0350a\u0334t" + "\u0301\u0327\u0350" * 400 + " is a NET",
        refuse=False,
    ),
    message("emoji only", "\U0001f642\U0001f9ec\U0001fa7a\U0001f525\U0001f3f3\ufe0f\u200d\U0001f308", refuse=False),
    message("HTML and script", "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>", refuse=False),
    message("SQL-looking text", "'; DROP TABLE events; -- \" OR 1=1 -- what is a NET?", refuse=False),
    message("format strings and JNDI", "%s%n%x {0} {{7*7}} ${jndi:ldap://127.0.0.1/a} $(id)", refuse=False),
    message("button payload with broken JSON", '/ask_definition{"net_type":', refuse=False),
    message("unknown intent payload", "/nonexistent", refuse=False),
    message("payload with an unknown entity and slot", '/ask_definition{"requested_slot":"x","net_type":"<b>"}', refuse=False),
]


@pytest.mark.group(TEXT)
@pytest.mark.parametrize("case", TEXTS, ids=[c.kind for c in TEXTS])
def test_text(server: Server, row: Row, case: Case) -> None:
    run(server, row, case)


# ---------------------------------------------------------------- 4: Rasa commands ----------

COMMAND_TEXTS = [
    "/restart",
    "/session_start",
    "/back",
    "/stop",
    "/action_listen",
    "/action_restart",
    "/action_session_start",
    "/action_back",
    "/nlu_fallback",
    "/out_of_scope",
]


@pytest.mark.group(COMMANDS)
@pytest.mark.parametrize("command", COMMAND_TEXTS, ids=[f"user types {c}" for c in COMMAND_TEXTS])
def test_command(server: Server, row: Row, command: str) -> None:
    who = new_sender()
    # A conversation in progress first, so that /back, /restart ... have something to act on.
    assert probe_same(server, who)
    case = message(command, command, refuse=False, starts=RESTARTED if command == "/restart" else None)
    run_in(server, row, case, who)


def run_in(server: Server, row: Row, case: Case, who: str) -> None:
    response = send(server, case, who)
    row.note(f"HTTP {response.status_code}")
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.text[:200]}"
    row.observed.clear()
    check_rest_outcome(response, row, allow_ok=True, starts=case.starts)
    afterwards(server, row, who)


# ---------------------------------------------------------------- 5: metadata ---------------

METADATA_CASES = [
    Case("metadata: a 500 KB string", {"sender": "SENDER", "message": "hello", "metadata": {"note": "m" * 500_000}}),
    Case("metadata: 20,000 keys", {"sender": "SENDER", "message": "hello", "metadata": {f"k{i:05d}": i for i in range(20_000)}}),
    Case(
        "metadata: nested 900 deep",
        raw=('{"sender": "SENDER", "message": "hello", "metadata": {"deep": ' + NESTED + "}}").encode(),
    ),
    Case("metadata: a list", {"sender": "SENDER", "message": "hello", "metadata": [1, 2, {"region": "uk"}]}),
    Case("metadata: a string", {"sender": "SENDER", "message": "hello", "metadata": "region=uk"}),
    Case(
        "metadata: region is an object",
        {"sender": "SENDER", "message": "hello", "metadata": {"region": {"$ne": None}, "country": 7}},
    ),
]


@pytest.mark.group(METADATA)
@pytest.mark.parametrize("case", METADATA_CASES, ids=[c.kind for c in METADATA_CASES])
def test_metadata_first_message(server: Server, row: Row, case: Case) -> None:
    """The metadata of a conversation's first message is stored with it and sent to the action
    server on every later turn: it must not poison the conversation."""
    who = new_sender()
    response = send(server, case, who)
    check_rest_outcome(response, row)
    afterwards(server, row, who)  # the same sender's normal question: the answer, not the apology
    probe_same(server, who, "/restart", RESTARTED)
    probe_same(server, who, PROBE, PROBE_ANSWER)
    row.note("then /restart answered, then the question again")


@pytest.mark.group(METADATA)
def test_metadata_region_still_works(server: Server, row: Row) -> None:
    who = new_sender()
    response = server.ask(who, "how do I find a NET specialist?", metadata={"region": "uk"})
    row.note(f"HTTP {response.status_code}")
    assert response.status_code == 200, response.text[:200]
    text = reply_text(response.json())
    last = str(response.json()[-1].get("text", ""))
    assert is_safe(last), last[-200:]
    assert UK_REFERRAL_MARK in text, f"no UK referral in: ...{text[-300:]!r}"
    row.note("UK referral (Cancer Research UK)")
    afterwards(server, row, who)


# ---------------------------------------------------------------- 8: burst (last) ----------
#
# 50 senders x 20 messages with 50 requests in flight, on loopback. Every response is 200 (a
# safe reply) or 429 with Retry-After; afterwards every sender gets an answer and a fresh sender
# is answered within 2 s. Bounded: 1,000 requests, 30 s per request, nothing new after 120 s.

BURST = "8 burst"
SENDERS = 50
MESSAGES = 20
IN_FLIGHT = 50
STOP_SENDING_AFTER = 120.0
BURST_TEXTS = [PROBE, "what is a NET?", "what are the symptoms of carcinoid syndrome?", "hello", "how is a NET treated?"]


@pytest.mark.group(BURST)
def test_burst_50_senders_x_20_messages(server: Server, row: Row) -> None:
    senders = [new_sender("burst") for _ in range(SENDERS)]
    tasks = [(who, BURST_TEXTS[(i + n) % len(BURST_TEXTS)]) for n, who in enumerate(senders) for i in range(MESSAGES)]
    random.Random(8).shuffle(tasks)
    started = time.monotonic()

    def one(task: Tuple[str, str]) -> Tuple[str, Optional[str], str]:
        """(status or "not sent"/"error", Retry-After, "safe"/"apology"/"unsafe"/"")"""
        if time.monotonic() - started > STOP_SENDING_AFTER:
            return "not sent", None, ""
        who, text = task
        try:
            response = requests.post(server.webhook, json={"sender": who, "message": text}, timeout=30)
        except requests.RequestException as error:
            return f"error {type(error).__name__}", None, ""
        quality = ""
        if response.status_code == 200:
            try:
                last = str(response.json()[-1].get("text", ""))
            except (ValueError, IndexError, AttributeError):
                last = ""
            quality = "apology" if is_apology(last) else "safe" if is_safe(last) else "unsafe"
        return str(response.status_code), response.headers.get("Retry-After"), quality

    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        results = list(pool.map(one, tasks))
    elapsed = time.monotonic() - started
    statuses = Counter(status for status, _, _ in results)
    qualities = Counter(quality for _, _, quality in results if quality)
    row.note(f"{len(results)} requests in {elapsed:.0f} s: " + ", ".join(f"{n} x {s}" for s, n in sorted(statuses.items())))
    row.note("200 replies: " + ", ".join(f"{n} {q}" for q, n in sorted(qualities.items())))
    assert set(statuses) <= {"200", "429"}, f"responses other than 200/429: {dict(statuses)}"
    no_retry = [r for s, r, _ in results if s == "429" and not (r and r.strip().isdigit() and int(r) >= 1)]
    assert not no_retry, f"{len(no_retry)} x 429 without a usable Retry-After"
    assert not qualities.get("unsafe"), f"{qualities['unsafe']} replies without the disclaimer/referral"
    assert statuses.get("200", 0) >= SENDERS, "fewer answers than senders"

    # Afterwards: every sender is answered (waiting as Retry-After says), and a newcomer at once.
    def after(who: str) -> str:
        try:
            return probe_same(server, who, tries=8)
        except AssertionError as error:
            return f"{who}: {error}"

    with ThreadPoolExecutor(max_workers=10) as pool:
        afters: List[str] = list(pool.map(after, senders))
    unanswered = [a for a in afters if a != "same sender answers"]
    assert not unanswered, f"{len(unanswered)} senders not answered afterwards, e.g. {unanswered[0]}"
    elapsed = probe_fresh(server)
    row.note(f"afterwards all {SENDERS} senders answer; fresh sender answered in {elapsed * 1000:.0f} ms")

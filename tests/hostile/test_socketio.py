"""Group 7: the website widget's socket.io channel (HTTP long-polling, python-socketio client).

A page from a foreign origin is refused; frames of the wrong shape get a friendly reply or
nothing (never the apology, never a crash); a connection can neither read nor write another
connection's conversation (not by naming its session_id in a message, nor by asking for it in
session_request); and every connection still answers normally afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, List

import pytest
import socketio

from tests.hostile.helpers import PROBE, PROBE_ANSWER, Row, Server, Tab, afterwards, is_apology, is_safe_web

GROUP = "7 socket.io"
EVIL_ORIGIN = "https://evil.example"
GOOD_ORIGIN = "http://localhost:8080"


async def rest_afterwards(server: Server, row: Row) -> None:
    await asyncio.to_thread(afterwards, server, row, None)


async def answers(tab: Tab, row: Row, what: str = "the same session answers") -> None:
    await tab.say(PROBE)
    text = await tab.reply(20)
    assert not is_apology(text), f"{what}: got the apology {text[:100]!r}"
    assert text.startswith(PROBE_ANSWER), f"{what}: got {text[:120]!r}"
    row.note(what)


def check_friendly(replies: List[str], row: Row) -> None:
    """Whatever arrived must be a safe reply and not the apology (nothing at all is fine)."""
    for text in replies:
        assert not is_apology(text), f"got the apology: {text[:100]!r}"
    if replies:
        joined = "\n".join(replies)
        assert is_safe_web(joined), f"reply not safe: ...{joined[-200:]!r}"
        row.note(f"friendly reply ({replies[0][:30]}...)")
    else:
        row.note("no reply")


async def test_disallowed_origin_refused(server: Server, row: Row) -> None:
    tab = Tab(server.url, origin=EVIL_ORIGIN)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await asyncio.wait_for(tab.connect(), 30)
        row.note("connection refused")
    finally:
        await tab.close()
    await rest_afterwards(server, row)


async def test_allowed_origin_still_connects(server: Server, row: Row) -> None:
    tab = Tab(server.url, origin=GOOD_ORIGIN)
    await tab.connect()
    try:
        await tab.session()
        await answers(tab, row, "page origin connects and is answered")
    finally:
        await tab.close()


async def test_user_uttered_with_extra_positional_arguments(server: Server, row: Row) -> None:
    tab = Tab(server.url)
    await tab.connect()
    try:
        session = await tab.session()
        await tab.client.emit("user_uttered", ({"message": PROBE, "session_id": session}, "extra", 3, {"x": 1}))
        try:
            text = await tab.reply(15)
        except asyncio.TimeoutError:
            raise AssertionError("no reply within 15 s to a message sent with extra arguments") from None
        check_friendly([text], row)
        await answers(tab, row)
    finally:
        await tab.close()
    await rest_afterwards(server, row)


NOT_DICTS: List[Any] = ["what is a NET?", ["what", "is", "a", "NET"], 42, None, True]


@pytest.mark.parametrize("data", NOT_DICTS, ids=[f"user_uttered data is {type(d).__name__}" for d in NOT_DICTS])
async def test_user_uttered_data_not_a_dict(server: Server, row: Row, data: Any) -> None:
    tab = Tab(server.url)
    await tab.connect()
    try:
        await tab.session()
        if data is None:
            await tab.client.emit("user_uttered")
        else:
            await tab.client.emit("user_uttered", data)
        check_friendly(await tab.silence(2), row)
        await answers(tab, row)
    finally:
        await tab.close()
    await rest_afterwards(server, row)


async def test_message_naming_another_connections_session(server: Server, row: Row) -> None:
    victim, intruder = Tab(server.url), Tab(server.url)
    await victim.connect()
    await intruder.connect()
    try:
        victims = await victim.session()
        await intruder.session()
        await intruder.say(PROBE, session_id=victims)
        leaked = await victim.silence(4)
        row.note(f"victim received {len(leaked)} messages")
        assert not leaked, f"the victim's connection received a reply to the intruder's message: {leaked[0][:80]!r}"
        check_friendly(await intruder.silence(1), row)
        await answers(victim, row, "victim answers")
        await answers(intruder, row, "intruder's own session answers")
    finally:
        await victim.close()
        await intruder.close()
    await rest_afterwards(server, row)


async def test_session_request_with_a_made_up_id(server: Server, row: Row) -> None:
    tab = Tab(server.url)
    await tab.connect()
    try:
        made_up = "guess" + uuid.uuid4().hex
        got = await tab.session(made_up)
        row.note("got its own new session" if got != made_up else "joined the made-up session")
        assert got != made_up, "a made-up session_id was accepted as the client's session"
        await answers(tab, row)
    finally:
        await tab.close()
    await rest_afterwards(server, row)


async def test_session_request_for_the_id_another_tab_asked_for(server: Server, row: Row) -> None:
    """Two tabs ask for the same made-up id: they must not end up in one session."""
    first, second = Tab(server.url), Tab(server.url)
    await first.connect()
    await second.connect()
    try:
        made_up = "shared" + uuid.uuid4().hex
        firsts = await first.session(made_up)
        seconds = await second.session(made_up)
        row.note("each tab got its own session" if firsts != seconds else "both tabs share one session")
        assert firsts != seconds, "two connections asking for the same made-up id share a session"
        await answers(first, row, "first tab answers")
        leaked = await second.silence(2)
        assert not leaked, f"the second tab received the first tab's reply: {leaked[0][:80]!r}"
        await answers(second, row, "second tab answers")
    finally:
        await first.close()
        await second.close()
    await rest_afterwards(server, row)


async def test_session_request_with_a_tampered_session_id(server: Server, row: Row) -> None:
    """An id the server issued, with its last character changed, is a made-up id."""
    victim, intruder = Tab(server.url), Tab(server.url)
    await victim.connect()
    await intruder.connect()
    try:
        victims = await victim.session()
        forged = victims[:-1] + ("0" if victims[-1] != "0" else "1")
        got = await intruder.session(forged)
        row.note(
            "intruder got a new session"
            if got not in (forged, victims)
            else f"intruder got {'the forged id' if got == forged else 'the victim session'}"
        )
        assert got not in (forged, victims), "a tampered session id was accepted"
        await answers(victim, row, "victim answers")
        leaked = await intruder.silence(1)
        assert not leaked, f"the intruder received the victim's reply: {leaked[0][:80]!r}"
    finally:
        await victim.close()
        await intruder.close()
    await rest_afterwards(server, row)


async def test_message_before_session_request(server: Server, row: Row) -> None:
    tab = Tab(server.url)
    await tab.connect()
    try:
        await tab.say(PROBE, session_id=uuid.uuid4().hex)
        check_friendly(await tab.silence(2), row)
        await tab.session()
        await answers(tab, row)
    finally:
        await tab.close()
    await rest_afterwards(server, row)


@pytest.mark.parametrize(
    "data",
    ["not an object", ["x"], {"session_id": {"$ne": None}}, {"session_id": "../../x"}],
    ids=[
        "session_request data is a string",
        "session_request data is a list",
        "session_request session_id is an object",
        "session_request session_id with slashes",
    ],
)
async def test_session_request_of_the_wrong_shape(server: Server, row: Row, data: Any) -> None:
    tab = Tab(server.url)
    await tab.connect()
    try:
        await tab.client.emit("session_request", data)
        confirmed = await asyncio.wait_for(tab.confirmed.get(), 10)
        tab.session_id = str(confirmed.get("session_id") if isinstance(confirmed, dict) else confirmed)
        assert tab.session_id and "/" not in tab.session_id and "$" not in tab.session_id, tab.session_id
        row.note("new session confirmed")
        await answers(tab, row)
    finally:
        await tab.close()
    await rest_afterwards(server, row)

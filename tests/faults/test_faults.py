"""Faults with real processes (bot/serving/launcher.py, default profile): the action server down,
killed or hung (SIGSTOP), and Rasa itself killed and started again on the default SQLite
tracker store. (A graceful stop mid-load is in tests/scale.)

The user must always get a reply (the apology, with the disclaimer and the referral), never
silence or a 5xx; the bot must recover by itself when the action server is back; no turn a user
got an answer to may be missing after a restart; and through all of it the logs (default level)
hold no message text and no sender id.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import uuid
from typing import Iterator, List, Optional

import pytest

from bot.answers import closing
from bot.dialogue import error_reply
from bot.knowledge import get_knowledge_base
from bot.referral import referral_text
from bot.shaping import web_messages
from tests.servers import Stack, require_model, started
from tests.socket_client import SocketUser

KB = get_knowledge_base()
APOLOGY = error_reply(None).text
# Button payloads: the same for every NLU model (others retrain it).
WHAT_IS_NET = '/ask_definition{"net_type":"net"}'
CARCINOID = '/ask_definition{"condition":"carcinoid_syndrome"}'
ITS_SYMPTOMS = "/ask_symptoms"  # about the conversation's subject
CANADA = '/inform_region{"region":"canada"}'
SPECIALIST = "/find_specialist"
ACTION_TIMEOUT = 3  # seconds Rasa waits for the action server here (bot/serving/launcher.py)


# In every sender id and in texts sent during the faults: test_logs_... greps the logs for it.
MARKER = uuid.uuid4().hex[:12]


def sender() -> str:
    return f"fault-{MARKER}-{uuid.uuid4().hex[:8]}"


def reply(stack: Stack, who: str, text: str) -> str:
    response = stack.say(who, text)
    assert response.status_code == 200, response.text
    messages = response.json()
    assert len(messages) == 1, messages
    return str(messages[0]["text"])


def assert_apology(text: str) -> None:
    assert text == APOLOGY
    assert text.endswith(closing(KB, None))  # the full disclaimer + referral (the channel cannot know the turn)
    assert "not a doctor" in text


def assert_web_apology(text: str) -> None:
    """The same apology, disclaimer and referral, as the widget shows it (addresses linked)."""
    assert text == web_messages(error_reply(None).as_message())[0].text


def assert_answer(text: str, start: str) -> None:
    assert text.startswith(start), text[:300]
    assert "not a doctor" in text


def stored_user_texts(stack: Stack, who: str) -> List[str]:
    with sqlite3.connect(stack.db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (who,))
        return [json.loads(data)["text"] for (data,) in rows]


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    require_model("test-faults")
    servers = Stack(tmp_path_factory.mktemp("faults"), env={"NETBOT_ACTION_TIMEOUT": str(ACTION_TIMEOUT)})
    with started(servers, actions=False) as running:  # no action server yet
        yield running


def running(stack: Stack, kind: str) -> Optional[subprocess.Popen]:
    """The live `launcher rasa` or `launcher actions` process of the stack, if any."""
    alive = [p for p in stack.processes if p.poll() is None and str(p.args[-1]) == kind]  # type: ignore[index]
    return alive[-1] if alive else None


def actions_process(stack: Stack) -> Optional[subprocess.Popen]:
    return running(stack, "actions")


async def _socket_say(url: str, session: str, text: str) -> str:
    user = SocketUser(url)
    await user.connect(session)
    try:
        await user.client.emit("user_uttered", {"message": text, "session_id": session})
        return await user.reply()
    finally:
        await user.close()


def socket_reply(stack: Stack, session: str, text: str) -> str:
    """What the website widget shows for `text` (socket.io, as the widget talks)."""
    return asyncio.run(_socket_say(stack.url, session, text))


def test_action_server_down_gives_the_apology_then_the_bot_recovers_by_itself(stack):
    who = sender()
    assert actions_process(stack) is None
    assert_apology(reply(stack, who, WHAT_IS_NET))
    assert_apology(reply(stack, who, f"what causes NETs? {MARKER}"))
    # The website widget too: the apology as its one bubble, not silence.
    assert_web_apology(socket_reply(stack, f"faultsock{MARKER}{uuid.uuid4().hex[:8]}", WHAT_IS_NET))

    stack.start_actions()
    assert_answer(reply(stack, who, WHAT_IS_NET), "A neuroendocrine tumour (NET) is")

    # Killed outright, then started again: same story.
    process = actions_process(stack)
    assert process is not None
    process.kill()
    process.wait()
    assert_apology(reply(stack, who, CARCINOID))
    stack.start_actions()
    assert_answer(reply(stack, who, CARCINOID), "Carcinoid syndrome is")
    # Every turn was kept, including the ones the action server missed.
    assert stored_user_texts(stack, who) == [
        WHAT_IS_NET,
        f"what causes NETs? {MARKER}",
        WHAT_IS_NET,
        CARCINOID,
        CARCINOID,
    ]


def test_hung_action_server_gives_the_apology_after_the_timeout_then_recovers(stack):
    if actions_process(stack) is None:
        stack.start_actions()
    process = actions_process(stack)
    assert process is not None
    who = sender()
    assert_answer(reply(stack, who, CARCINOID), "Carcinoid syndrome is")
    # SIGSTOP: the port still accepts connections but nothing answers - a slow server, at worst.
    os.kill(process.pid, signal.SIGSTOP)
    try:
        assert_apology(reply(stack, who, ITS_SYMPTOMS))
        # Other conversations are not blocked behind the hung one either, nor the widget's.
        assert_apology(reply(stack, sender(), f"hello {MARKER}"))
        assert_web_apology(socket_reply(stack, f"faultsock{MARKER}{uuid.uuid4().hex[:8]}", CARCINOID))
    finally:
        os.kill(process.pid, signal.SIGCONT)
    # Back: the conversation carries on, with its subject, and no turn is missing.
    assert_answer(reply(stack, who, ITS_SYMPTOMS), "The main symptoms of carcinoid syndrome")
    assert stored_user_texts(stack, who) == [CARCINOID, ITS_SYMPTOMS, ITS_SYMPTOMS]


def test_rasa_restart_on_sqlite_loses_no_turn(stack):
    if actions_process(stack) is None:
        stack.start_actions()
    who = sender()
    asked = [CARCINOID, CANADA]
    answers = [reply(stack, who, text) for text in asked]
    assert_answer(answers[0], "Carcinoid syndrome is")

    # Killed outright (SIGKILL), as in a crash, right after an answer: every answered turn is
    # already in SQLite, and the conversation carries on with its subject and region.
    rasa = running(stack, "rasa")
    assert rasa is not None
    rasa.kill()
    rasa.wait()
    stack.start_rasa()
    follow_up = reply(stack, who, ITS_SYMPTOMS)
    assert_answer(follow_up, "The main symptoms of carcinoid syndrome")  # the subject survived
    asked.append(ITS_SYMPTOMS)
    asked.append(SPECIALIST)
    # ... so did the region (a later reply: the compact referral line for Canada).
    assert reply(stack, who, SPECIALIST).endswith(referral_text(KB, "canada", compact=True))
    assert stored_user_texts(stack, who) == asked


def test_logs_carry_no_message_text_and_no_sender_id(stack):
    """At the default level (INFO), through everything above: answers, the action server down,
    killed and hung, a Rasa crash; plus payloads Rasa warns about and a socket.io message."""
    if actions_process(stack) is None:
        stack.start_actions()
    who = sender()
    odd = [
        f"my neighbour zebra{MARKER} has flushing and diarrhoea",
        f"/zz{MARKER}",  # an intent the domain does not know: Rasa warns, quoting it
        f'/ask_definition{{"q{MARKER}":"v{MARKER}"}}',  # an entity it does not know
        f"<b>{MARKER}</b> what is a NET?",
    ]
    for text in odd:
        reply(stack, who, text)
    socket_text = socket_reply(stack, f"privacysock{MARKER}", f"socket zebra{MARKER} question")
    assert "not a doctor" in socket_text

    assert stored_user_texts(stack, who) == odd  # they did reach Rasa
    logs = {name: (stack.workdir / name).read_text(errors="replace") for name in ("rasa.log", "actions.log")}
    assert "ERROR" in logs["rasa.log"]  # the faults were logged ...
    for name, text in logs.items():  # ... without a sender id or a message text
        assert MARKER not in text, f"{name}: " + text[max(0, text.index(MARKER) - 300) : text.index(MARKER) + 100]

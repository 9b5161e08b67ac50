"""The operator's report (bot/serving/report.py, `make report`).

Without servers (make unit): the counting on events built with Rasa's own event classes and the
bot's own replies (bot.dialogue.respond), the page (self-contained, texts hidden unless asked for,
nothing older than the retention period), and the store read through the shipped entry point
without writing to it.

With servers (marker `report`, `make test-report`): a real conversation over REST through the
launcher's servers on a temporary SQLite store, then `python -m bot.serving.report` on that store.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import pytest
import yaml

from bot.answers import FEEDBACK_SLOT
from bot.dialogue import Turn, respond
from bot.serving import report
from tests.servers import MODEL, PROJECT_ROOT, Stack, require_model, started

DAY = 86400.0
NOW = 1_790_000_000.0  # a fixed "now" for the in-process tests (2026-09-21 UTC)
WHAT_IS_NET = "what is a neuroendocrine tumour?"
UNCOVERED = "what dose of medicine should I take for my NET?"
GIBBERISH = "blorf zzkq wibble"
EMERGENCY = "my dad collapsed and can't breathe"
FEEDBACK = '/feedback_helpful{"rated_entry":"what_is_net"}'
LONG_COMPLAINT = "that did not help at all, what else can I do about the flushing?"
OLD_GIBBERISH = "blorf grelp snoof"  # said 40 days ago: counted, its text never shown


def stat(page: str, name: str) -> str:
    match = re.search(rf'id="stat-{name}"><span class="value">([^<]*)</span>', page)
    assert match, f"no stat {name}"
    return match.group(1)


def table_rows(page: str, table_id: str) -> List[List[str]]:
    match = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody></table>', page, flags=re.S)
    assert match, f"no table {table_id}"
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)
    ]


# ---- events as Rasa stores them -------------------------------------------------------------


def user_event(
    sender: str, text: str, at: float, intent: str = "nlu_fallback", entities: Sequence[Mapping[str, Any]] = ()
) -> Any:
    from rasa.shared.core.events import UserUttered

    event = UserUttered(text, {"name": intent, "confidence": 1.0}, list(entities), timestamp=at)
    return report.StoredEvent(sender, "user", at, event.as_dict())


def bot_event(sender: str, parts: Optional[Dict[str, Any]], at: float) -> Any:
    """A bot event as Rasa stores the action's message: the parts under metadata[REPLY_KEY]."""
    from rasa.shared.core.events import BotUttered

    event = BotUttered("...", {}, {report.REPLY_KEY: parts} if parts is not None else {}, timestamp=at)
    return report.StoredEvent(sender, "bot", at, event.as_dict())


def slot_event(sender: str, name: str, value: Optional[str], at: float) -> Any:
    from rasa.shared.core.events import SlotSet

    return report.StoredEvent(sender, "slot", at, SlotSet(name, value, timestamp=at).as_dict())


def turn(
    sender: str,
    text: str,
    intent: str,
    at: float,
    entities: Sequence[Mapping[str, Any]] = (),
    last_entry: Optional[str] = None,
) -> List[Any]:
    """A user message, the bot's real reply to it (bot.dialogue.respond) and the slots the action
    sets with it, as the action server sends them (actions/answer.py)."""
    reply = respond(Turn(text, intent, 0.95, entities=entities, last_entry=last_entry))
    slots = [slot_event(sender, name, value, at + 1) for name, value in reply.slots.items()]
    return [user_event(sender, text, at, intent, entities), bot_event(sender, reply.parts(), at + 1), *slots]


@pytest.fixture(scope="module")
def vocabulary() -> report.Vocabulary:
    return report.Vocabulary.from_knowledge()


@pytest.fixture(scope="module")
def events() -> List[Any]:
    """Three conversations over three days, one of them 40 days old; feedback on two entries,
    from a button and typed."""
    today, yesterday, old = NOW - 3600, NOW - DAY - 3600, NOW - 40 * DAY
    rated = [{"entity": "rated_entry", "value": "what_is_net"}]
    return [
        *turn("a", WHAT_IS_NET, "ask_definition", yesterday),
        *turn("a", UNCOVERED, "ask_treatment", yesterday + 10),
        *turn("a", GIBBERISH, "nlu_fallback", yesterday + 20),
        *turn("a", FEEDBACK, "feedback_helpful", yesterday + 30, entities=rated),
        *turn("b", EMERGENCY, "report_emergency", today),
        *turn("b", "what are the symptoms of a NET?", "ask_symptoms", today + 10),
        *turn("b", "not helpful", "feedback_not_helpful", today + 20, last_entry="common_symptoms"),
        # Said with the feedback intent, but a question: the action did not take it as feedback.
        *turn("b", LONG_COMPLAINT, "feedback_not_helpful", today + 30, last_entry="common_symptoms"),
        *turn("b", FEEDBACK, "feedback_helpful", today + 40, entities=rated),
        user_event("b", "no reply was stored for this one", today + 50),
        user_event("b", "hello", today + 60, "greet"),
        bot_event("b", None, today + 61),  # a bot message without the parts (a domain response)
        *turn("c", OLD_GIBBERISH, "nlu_fallback", old),
    ]


def test_the_events_are_the_bots_own(events):
    kinds = [e.data["metadata"].get(report.REPLY_KEY, {}).get("kind") for e in events if e.type_name == "bot"]
    assert kinds == [
        "answer",
        "uncovered",
        "fallback",
        "feedback",
        "emergency",
        "answer",
        "feedback",
        "fallback",
        "feedback",
        None,
        "fallback",
    ]
    feedback = [e.data["value"] for e in events if e.type_name == "slot" and e.data["name"] == FEEDBACK_SLOT]
    assert feedback == ["helpful what_is_net", "not_helpful common_symptoms", "helpful what_is_net"]


def test_counts_per_conversation_day_kind_entry_and_feedback(events, vocabulary):
    counted = report.aggregate(events, vocabulary, now=NOW, retention_days=30, with_texts=False)
    assert len(counted.conversations) == 3
    assert counted.messages == 12 and counted.questions == 9  # the 3 feedback messages are not questions
    assert {day: (len(d.conversations), d.messages, d.emergencies) for day, d in counted.days.items()} == {
        "2026-08-12": (1, 1, 0),
        "2026-09-20": (1, 4, 0),
        "2026-09-21": (1, 7, 1),
    }
    assert dict(counted.outcomes) == {
        "answer": 2,
        "uncovered": 1,
        "fallback": 3,
        "emergency": 1,
        report.NO_REPLY: 1,
        report.NO_PARTS: 1,
    }
    assert counted.rate("fallback") == pytest.approx(3 / 9) and counted.rate("uncovered") == pytest.approx(1 / 9)
    assert counted.emergencies == 1
    # The uncovered reply names the related entry it offers: counted under that entry, as "uncovered".
    assert dict(counted.answers) == {"what_is_net": 1, "treatment": 1, "common_symptoms": 1}
    assert dict(counted.answer_kinds["treatment"]) == {"uncovered": 1}
    assert {key: dict(c) for key, c in counted.feedback.items()} == {
        "what_is_net": {"helpful": 2},
        "common_symptoms": {"not_helpful": 1},
    }
    assert dict(counted.uncovered_topics) == {"specific medicines and their doses": 1}


def test_uncovered_topics_come_from_the_reply_even_for_two_topics_and_a_title_with_or(vocabulary):
    reply = respond(Turn("can I take supplements while pregnant?", "ask_self_care", 0.95)).parts()
    assert reply["kind"] == "uncovered"
    assert vocabulary.topics_named(str(reply["body"])) == ["supplements and alternative remedies", "pregnancy and fertility"]
    two = vocabulary.uncovered_message.format(what="how age, sex or childhood affect who gets NETs or pregnancy and fertility")
    assert vocabulary.topics_named("I'm sorry.\n" + two) == [
        "how age, sex or childhood affect who gets NETs",
        "pregnancy and fertility",
    ]
    # A reply whose sentence no longer matches falls back to the message's entities.
    counted = report.aggregate(
        [
            user_event("x", "travel?", NOW - 10, "ask_treatment", [{"entity": "uncovered", "value": "travel"}]),
            bot_event("x", {"kind": "uncovered", "body": "Something else entirely.", "entry": None}, NOW - 9),
        ],
        vocabulary,
        now=NOW,
        retention_days=30,
        with_texts=False,
    )
    assert dict(counted.uncovered_topics) == {"travel and driving": 1}


def test_texts_only_when_asked_for_and_only_inside_the_retention_period(events, vocabulary):
    hidden = report.aggregate(events, vocabulary, now=NOW, retention_days=30, with_texts=False)
    assert hidden.unanswered_texts == [] and hidden.unanswered_recent == 3  # the 40-day-old one is outside
    shown = report.aggregate(events, vocabulary, now=NOW, retention_days=30, with_texts=True)
    assert sorted(u.text for u in shown.unanswered_texts) == sorted([UNCOVERED, GIBBERISH, LONG_COMPLAINT])
    assert [u.topics for u in shown.unanswered_texts if u.kind == "uncovered"] == [("specific medicines and their doses",)]
    longer = report.aggregate(events, vocabulary, now=NOW, retention_days=45, with_texts=True)
    assert OLD_GIBBERISH in {u.text for u in longer.unanswered_texts}


def render(events: List[Any], vocabulary: report.Vocabulary, with_texts: bool, retention_days: float = 30) -> str:
    counted = report.aggregate(events, vocabulary, now=NOW, retention_days=retention_days, with_texts=with_texts)
    return report.render(counted, vocabulary, store="a test", now=NOW, retention_days=retention_days, with_texts=with_texts)


def assert_self_contained(page: str) -> None:
    lowered = page.lower()
    for reference in ("<script", "<link", "<img", "<iframe", " src=", " href=", "url(", "@import"):
        assert reference not in lowered, reference
    assert page.count("<svg") >= 4 and "<style>" in page


def test_the_page_is_self_contained_and_shows_every_section(events, vocabulary):
    page = render(events, vocabulary, with_texts=False)
    assert_self_contained(page)
    assert stat(page, "conversations") == "3" and stat(page, "messages") == "12"
    assert stat(page, "fallback-rate") == "33.3%" and stat(page, "uncovered-rate") == "11.1%"
    assert stat(page, "emergencies") == "1" and stat(page, "helpful") == "2" and stat(page, "not-helpful") == "1"
    # Every day from the first to the last in the chart; the table lists the days with messages.
    assert page.count("conversations</title></rect>") == 41
    assert table_rows(page, "days") == [
        ["2026-08-12", "1", "1", "0"],
        ["2026-09-20", "1", "4", "0"],
        ["2026-09-21", "1", "7", "1"],
    ]
    assert table_rows(page, "emergency-days") == [["2026-09-21", "1"]]
    assert ["what_is_net", "What a neuroendocrine tumour (NET) is", "1", "answer 1"] in table_rows(page, "answers")
    assert table_rows(page, "ratings")[0][::2] == ["what_is_net", "2"]
    assert table_rows(page, "topics") == [["specific medicines and their doses", "1"]]


def test_texts_are_hidden_by_default_and_shown_escaped_when_asked_for(events, vocabulary):
    # (gibberish after it, so that the reply is the fallback: "<script>" alone now reads as an
    # injection attempt, off-topic, which the report does not list as unanswered)
    hostile = [*events, *turn("d", "<script>alert(1)</script> blorf fnord wug zibble quux", "nlu_fallback", NOW - 60)]
    page = render(hostile, vocabulary, with_texts=False)
    assert 'id="texts-hidden"' in page and "NETBOT_REPORT_TEXTS=1 make report" in page
    assert GIBBERISH not in page and UNCOVERED not in page and "alert(1)" not in page
    shown = render(hostile, vocabulary, with_texts=True)
    assert_self_contained(shown)
    texts = [row[3] for row in table_rows(shown, "unanswered-texts")]
    assert GIBBERISH in texts and UNCOVERED in texts and OLD_GIBBERISH not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt; blorf" in shown and "<script>" not in shown


def test_chart_axes_step_in_whole_numbers_up_to_the_largest_count():
    for largest in (0, 1, 3, 6, 12, 27, 51, 199, 1234):
        top, step = report._axis(largest)
        assert top >= largest and top % step == 0 and top // step <= 5 and str(step).strip("0") in ("1", "2", "5")


def test_an_empty_store_gives_a_page_too(vocabulary):
    page = render([], vocabulary, with_texts=True)
    assert stat(page, "conversations") == "0" and "No user messages in the store." in page


# ---- the store, through the shipped entry point ------------------------------------------------


def save_conversations(conversations: Dict[str, List[Any]], **store: Any) -> None:
    """Trackers saved by Rasa's own SQL tracker store (`store`: its arguments), the events as its
    server saves them."""
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker_store = SQLTrackerStore(Domain.empty(), **store)

    async def save() -> None:
        for sender, stored in conversations.items():
            tracker = DialogueStateTracker(sender, [])
            for item in stored:
                tracker.update(Event.from_parameters(dict(item.data)))
            await tracker_store.save(tracker)

    asyncio.run(save())
    tracker_store.engine.dispose()


def endpoints_for(db: Path) -> Path:
    path = db.with_suffix(".endpoints.yml")
    path.write_text(yaml.safe_dump({"tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(db)}}))
    return path


def run_report(endpoints: Optional[Path], out: Path, **env: str) -> str:
    """`python -m bot.serving.report` as `make report` runs it; returns what it printed."""
    environment = {
        **os.environ,
        "NETBOT_ENV_FILE": "none",
        "NETBOT_ENDPOINTS": str(endpoints or ""),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    environment.pop("NETBOT_REPORT_TEXTS", None)
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-m", "bot.serving.report", "--out", str(out)],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_shipped_command_reads_the_store_without_writing_to_it(tmp_path, events, vocabulary):
    db = tmp_path / "conversations.db"
    by_sender: Dict[str, List[Any]] = {}
    for item in events:
        by_sender.setdefault(item.sender_id, []).append(item)
    save_conversations(by_sender, dialect="sqlite", db=str(db))
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    printed = run_report(endpoints_for(db), tmp_path / "out" / "report.html")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert f"report: {tmp_path / 'out' / 'report.html'} (3 conversations, 12 messages, 1 emergencies" in printed
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert stat(page, "helpful") == "2" and 'id="texts-hidden"' in page
    # The same store read in-process gives the same page counts as the events themselves.
    with report.read_only(f"sqlite:///{db}") as connection:
        again = report.aggregate(report.stored_events(connection), vocabulary, now=NOW, retention_days=30, with_texts=False)
        with pytest.raises(Exception, match="readonly|query_only|read-only"):
            connection.exec_driver_sql("DELETE FROM events")
    assert len(again.conversations) == 3 and again.messages == 12 and dict(again.feedback["what_is_net"]) == {"helpful": 2}


def test_a_missing_store_is_reported_not_created(tmp_path):
    db = tmp_path / "nothing-here.db"
    with pytest.raises(SystemExit, match="no tracker store"):
        with report.read_only(f"sqlite:///{db}"):
            pass
    assert not db.exists()


# ---- a real conversation through the launcher's servers (marker report) ---------------------------


def model_knows_feedback() -> bool:
    """Whether the trained model (what the server parses with) has the feedback intents."""
    with tarfile.open(MODEL) as model:
        domain = yaml.safe_load(model.extractfile("components/domain_provider/domain.yml") or b"") or {}
    intents = {next(iter(i)) if isinstance(i, dict) else str(i) for i in domain.get("intents") or []}
    return {"feedback_helpful", "feedback_not_helpful"} <= intents


@pytest.fixture(scope="module")
def conversation_store(tmp_path_factory) -> Dict[str, Any]:
    """Two conversations sent over REST to the real servers; then a 40-day-old one added."""
    require_model("test-report")
    stack = Stack(tmp_path_factory.mktemp("report"))
    first, second = f"report-{uuid.uuid4().hex[:8]}", f"report-{uuid.uuid4().hex[:8]}"
    said = [(first, WHAT_IS_NET), (first, UNCOVERED), (first, GIBBERISH), (first, EMERGENCY), (first, FEEDBACK)]
    with started(stack) as running:
        for sender, text in [*said, (second, "what are the symptoms of a NET?")]:
            response = running.say(sender, text)
            assert response.status_code == 200 and response.json(), response.text
    old = turn("report-old", OLD_GIBBERISH, "nlu_fallback", time.time() - 40 * DAY)
    assert old[1].data["metadata"][report.REPLY_KEY]["kind"] == "fallback"
    save_conversations({"report-old": old}, dialect="sqlite", db=str(stack.db))
    return {"stack": stack, "first": first, "second": second}


@pytest.mark.report
def test_the_report_on_a_real_conversation(conversation_store, tmp_path):
    stack: Stack = conversation_store["stack"]
    with sqlite3.connect(stack.db) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE type_name = 'bot' AND sender_id = ? ORDER BY id", (conversation_store["first"],)
        )
        stored = [json.loads(data) for (data,) in rows]
        (feedback_message,) = db.execute(
            "SELECT data FROM events WHERE type_name = 'user' AND data LIKE '%/feedback_helpful%'"
        ).fetchone()
    # Where Rasa keeps the action's reply parts: the bot event's metadata, under REPLY_KEY.
    assert [e["metadata"][report.REPLY_KEY]["kind"] for e in stored][:4] == ["answer", "uncovered", "fallback", "emergency"]

    printed = run_report(stack.workdir / "endpoints.yml", tmp_path / "report.html")
    assert "(3 conversations, 7 messages, 1 emergencies; texts hidden" in printed
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    assert stat(page, "conversations") == "3" and stat(page, "messages") == "7" and stat(page, "emergencies") == "1"
    assert stat(page, "uncovered") == "1"
    answers = {row[0]: row[2:] for row in table_rows(page, "answers")}
    assert answers.pop("what_is_net") == ["1", "answer 1"] and answers.pop("common_symptoms") == ["1", "answer 1"]
    assert all(kinds == ["1", "uncovered 1"] for kinds in answers.values())  # the related entry an uncovered reply offers
    assert table_rows(page, "topics") == [["specific medicines and their doses", "1"]]
    assert sum(int(row[1]) for row in table_rows(page, "emergency-days")) == 1
    assert 'id="texts-hidden"' in page and GIBBERISH not in page and UNCOVERED not in page

    # The trained model knows the feedback intents (domain.yml): the button's payload is stored
    # with its intent, and the action's `feedback` slot event records the rating.
    assert model_knows_feedback(), "retrain: the model predates the feedback intents"
    parse = json.loads(feedback_message)["parse_data"]
    assert parse["intent"]["name"] == "feedback_helpful"
    assert stat(page, "helpful") == "1" and stat(page, "not-helpful") == "0"
    assert table_rows(page, "ratings") == [["what_is_net", "What a neuroendocrine tumour (NET) is", "1", "0"]]
    assert stat(page, "fallback") == "2"  # the gibberish and the old one; the feedback is not a question

    shown_file = tmp_path / "report-texts.html"
    run_report(stack.workdir / "endpoints.yml", shown_file, NETBOT_REPORT_TEXTS="1")
    shown = shown_file.read_text(encoding="utf-8")
    texts = [row[3] for row in table_rows(shown, "unanswered-texts")]
    assert GIBBERISH in texts and UNCOVERED in texts
    assert OLD_GIBBERISH not in shown  # older than NETBOT_RETENTION_DAYS (30)
    assert conversation_store["first"] not in shown and conversation_store["second"] not in shown  # no sender ids


@pytest.mark.report
def test_the_scale_profiles_postgresql_store_is_read_without_writing(tmp_path, events, vocabulary):
    """NETBOT_PROFILE=scale: the report finds PostgreSQL through endpoints.scale.yml, reads it in
    read-only transactions and shows no password."""
    from bot.serving.services import Postgres, install

    install()
    postgres = Postgres()
    try:
        postgres.start()
        by_sender: Dict[str, List[Any]] = {}
        for item in events:
            by_sender.setdefault(item.sender_id, []).append(item)
        store = {"dialect": "postgresql", "host": "127.0.0.1", "port": postgres.port, "db": postgres.database}
        save_conversations(by_sender, **store, username=postgres.user, password=postgres.password)
        before = postgres.psql("SELECT count(*), max(id) FROM events", postgres.database)
        # The lock store's and the action server's variables only fill endpoints.scale.yml; nothing connects to them.
        unused = {"NETBOT_ACTIONS_URL": "http://127.0.0.1:9/webhook", "NETBOT_REDIS_HOST": "127.0.0.1", "NETBOT_REDIS_PORT": "9"}
        scale = {"NETBOT_PROFILE": "scale", **postgres.env(), **unused, "NETBOT_REDIS_PASSWORD": "", "NETBOT_REDIS_DB": "1"}
        printed = run_report(None, tmp_path / "report.html", **scale)
        assert "(3 conversations, 12 messages, 1 emergencies" in printed
        page = (tmp_path / "report.html").read_text(encoding="utf-8")
        assert "postgresql tracker store" in page and "endpoints.scale.yml" in page and postgres.password not in page
        assert stat(page, "helpful") == "2" and stat(page, "not-helpful") == "1"
        assert postgres.psql("SELECT count(*), max(id) FROM events", postgres.database) == before
        with report.read_only(postgres.url) as connection:
            assert len(list(report.stored_events(connection))) == len(
                [e for e in events if e.type_name != "slot" or e.data["name"] == FEEDBACK_SLOT]
            )
            with pytest.raises(Exception, match="read-only transaction"):
                connection.exec_driver_sql("DELETE FROM events")
    finally:
        postgres.stop()

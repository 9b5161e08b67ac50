"""The speed-ups bot/serving/launcher.py installs in the Rasa process behave exactly like Rasa's code.

- action-server responses: validated with a validator built once; valid ones pass, invalid ones
  are rejected with Rasa's own ValidationError and message
- the SQLite tracker store (bot/serving/stores/sqlite_tracker_store.py): same rows as Rasa's SQLTrackerStore,
  the same tracker back, and a cached tracker is never used once the database changed under it
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Dict, List

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.config import PROJECT_ROOT
from bot.serving import launcher as serve
from bot.serving.stores.sqlite_tracker_store import FastSQLiteTrackerStore

# ---------------------------------------------------------------- action responses ----------

VALID: List[Dict[str, Any]] = [
    {},
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "subject", "value": "lung", "timestamp": None}],
        "responses": [{"text": "An answer", "buttons": [{"title": "More", "payload": "/more"}]}],
    },
]
INVALID: List[Dict[str, Any]] = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"name": "subject"}]},
    {"responses": ["text instead of an object"]},
    {"responses": {"text": "not a list"}},
]


def rasa_original(result: Dict[str, Any]) -> Any:
    """What Rasa itself does (jsonschema.validate with the schema every time)."""
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
        return True
    except jsonschema.ValidationError as error:
        return error.message


@pytest.fixture
def compiled_validation(monkeypatch: pytest.MonkeyPatch) -> RemoteAction:
    # Restored after the test: the patch replaces a method of Rasa's class.
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    serve.validate_action_results_once_compiled()
    return RemoteAction("action_answer", None)


@pytest.mark.parametrize("result", VALID)
def test_a_valid_action_response_passes(compiled_validation: RemoteAction, result: Dict[str, Any]) -> None:
    assert rasa_original(result) is True
    assert compiled_validation._validate_action_result(result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_action_response_is_rejected_as_rasa_does(compiled_validation: RemoteAction, result: Dict[str, Any]) -> None:
    expected = rasa_original(result)
    assert expected is not True
    with pytest.raises(jsonschema.ValidationError) as raised:
        compiled_validation._validate_action_result(result)
    # Rasa's own method raised it: the same error, plus Rasa's pointer to the docs.
    assert raised.value.message.startswith(expected)
    assert "Failed to validate Action server response from API" in raised.value.message


def test_the_patch_validates_with_one_validator_built_once(compiled_validation: RemoteAction, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(jsonschema.validators.Draft202012Validator, "check_schema", classmethod(lambda cls, s: calls.append(s)))
    for _ in range(3):
        assert compiled_validation._validate_action_result(VALID[2]) is True
    assert calls == []


# ---------------------------------------------------------------- SQLite tracker store -----


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def one_turn(tracker: DialogueStateTracker, text: str, when: float) -> None:
    tracker.update(UserUttered(text, {"name": "ask_definition", "confidence": 0.9}, [], timestamp=when))
    tracker.update(ActionExecuted("action_answer", timestamp=when + 0.01))
    tracker.update(BotUttered(f"answer to {text}", timestamp=when + 0.02))
    tracker.update(SlotSet("subject", "lung", timestamp=when + 0.03))
    tracker.update(ActionExecuted("action_listen", timestamp=when + 0.04))


def new_session(tracker: DialogueStateTracker, when: float) -> None:
    tracker.update(ActionExecuted("action_session_start", timestamp=when))
    tracker.update(SessionStarted(timestamp=when + 0.001))
    tracker.update(ActionExecuted("action_listen", timestamp=when + 0.002))


def rows(db: Path) -> List[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        ).fetchall()


def state(tracker: DialogueStateTracker) -> Dict[str, Any]:
    return tracker.current_state(EventVerbosity.ALL)


async def converse(store: Any, sender: str, start: float) -> None:
    """Three turns, then a new session and one more turn, as Rasa's processor drives a store."""
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    new_session(tracker, start)
    one_turn(tracker, "what is a NET", start + 1)
    await store.save(tracker)
    for turn in range(2):
        tracker = await store.retrieve(sender)
        one_turn(tracker, f"question {turn}", start + 2 + turn)
        await store.save(tracker)
    tracker = await store.retrieve(sender)
    new_session(tracker, start + 10)
    one_turn(tracker, "after a break", start + 11)
    await store.save(tracker)
    tracker = await store.retrieve(sender)
    one_turn(tracker, "one more", start + 12)
    await store.save(tracker)


async def test_the_sqlite_store_writes_the_rows_rasa_writes_and_reads_the_same_tracker(tmp_path, domain) -> None:
    fast = FastSQLiteTrackerStore(domain, db=str(tmp_path / "fast.db"))
    stock = SQLTrackerStore(domain, db=str(tmp_path / "stock.db"))
    start = time.time()
    await converse(fast, "someone", start)
    await converse(stock, "someone", start)
    assert rows(tmp_path / "fast.db") == rows(tmp_path / "stock.db")
    assert len(rows(tmp_path / "fast.db")) > 20

    last = await fast.retrieve("someone")
    await fast.save(last)
    cached = await fast.retrieve("someone")
    assert cached is last  # served from memory: no read, no replay
    from_db = await SQLTrackerStore(domain, db=str(tmp_path / "fast.db")).retrieve("someone")
    assert cached is not None and from_db is not None
    assert state(cached) == state(from_db)
    assert [e.as_dict() for e in cached.events] == [e.as_dict() for e in from_db.events]
    with sqlite3.connect(tmp_path / "fast.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_tracker_changed_in_the_database_meanwhile_is_read_again(tmp_path, domain) -> None:
    db = str(tmp_path / "c.db")
    fast = FastSQLiteTrackerStore(domain, db=db)
    other = SQLTrackerStore(domain, db=db)  # another worker process, say
    start = time.time()
    await converse(fast, "a", start)
    tracker = await other.retrieve("a")
    one_turn(tracker, "answered by the other worker", start + 20)
    await other.save(tracker)

    mine = await fast.retrieve("a")
    assert mine is not None
    assert state(mine) == state(tracker)
    one_turn(mine, "back here", start + 21)
    await fast.save(mine)
    texts = [json_text(r) for r in rows(tmp_path / "c.db") if r[1] == "user"]
    assert texts[-2:] == ["answered by the other worker", "back here"]
    assert len(texts) == len(set(texts))  # no turn written twice, none lost

    # A conversation deleted meanwhile (bot/serving/retention.py) is gone for us too.
    with sqlite3.connect(tmp_path / "c.db") as connection:
        connection.execute("DELETE FROM events WHERE sender_id = 'a'")
    assert await fast.retrieve("a") is None


async def test_a_turn_that_failed_before_saving_leaves_nothing_behind(tmp_path, domain) -> None:
    fast = FastSQLiteTrackerStore(domain, db=str(tmp_path / "f.db"))
    start = time.time()
    await converse(fast, "b", start)
    before = state(await SQLTrackerStore(domain, db=str(tmp_path / "f.db")).retrieve("b"))
    tracker = await fast.retrieve("b")  # handed out from memory ...
    assert tracker is not None
    tracker.update(UserUttered("never answered", {"name": "greet", "confidence": 1.0}, [], timestamp=start + 30))
    # ... the turn fails here: no save.
    again = await fast.retrieve("b")
    assert state(again) == before
    assert "never answered" not in [json_text(r) for r in rows(tmp_path / "f.db") if r[1] == "user"]


def json_text(row: tuple) -> str:
    import json

    return str(json.loads(row[5]).get("text"))

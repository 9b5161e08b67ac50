"""Test helpers around the real servers. The stack itself (free ports, both servers started by
the launcher, the one launch path) is bot/serving/stack.py, shared with `make eval` and `make bench`."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Mapping

from bot.config import PROJECT_ROOT
from bot.serving.stack import BIN, MODEL, Stack, free_port, started, stop_process, wait_for

__all__ = [
    "BIN",
    "MODEL",
    "PROJECT_ROOT",
    "Stack",
    "free_port",
    "page_server",
    "require_model",
    "save_dated_conversations",
    "started",
    "stop_process",
    "wait_for",
]


def require_model(target: str) -> None:
    """Fail (never skip) when there is no trained model; `target` is the make target that trains."""
    if not MODEL.exists():
        import pytest

        pytest.fail(f"{MODEL} is missing: run `make train` first (make {target} does)")


@contextmanager
def page_server(port: int, env: Mapping[str, str]) -> Iterator[str]:
    """bot/web/server.py (the demo page, as `make run` serves it) in a thread; yields its address."""
    from bot.web.server import make_server

    server = make_server("127.0.0.1", port, env=env)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


def save_dated_conversations(ages_in_days: Dict[str, float], **store: Any) -> None:
    """Conversations written by Rasa's own SQL tracker store (`store`: its arguments), each a
    question and an answer dated `age` days ago (for the retention tests)."""
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker_store = SQLTrackerStore(Domain.empty(), **store)
    now = time.time()

    async def save() -> None:
        for sender, age in ages_in_days.items():
            tracker = DialogueStateTracker(sender, [])
            tracker.update(UserUttered("what is a NET?", timestamp=now - age * 86400 - 60))
            tracker.update(BotUttered("A NET is ...", timestamp=now - age * 86400))
            await tracker_store.save(tracker)

    asyncio.run(save())
    tracker_store.engine.dispose()

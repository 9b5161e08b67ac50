"""Shared fixtures (the knowledge base, trackers built in code, a collecting dispatcher) and the
suite markers.

Each server-heavy suite has a pytest marker (registered in pyproject.toml) that its make target
selects; `make unit` deselects them all. A test's folder gives its marker (SUITE_MARKERS); a
module may also set `pytestmark` itself (tests/test_image.py: slow).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from bot.knowledge import KnowledgeBase, get_knowledge_base  # noqa: E402

TESTS = Path(__file__).resolve().parent
# Folder (or file) under tests/ -> marker of its suite.
SUITE_MARKERS = {
    "e2e": "e2e",
    "browser": "browser",
    "channels/test_webhooks.py": "channels",
    "faults": "faults",
    "hostile": "hostile",
    "scale": "scale",
    "security": "security",
}


def suite_marker(path: Path) -> Optional[str]:
    try:
        relative = path.resolve().relative_to(TESTS).as_posix()
    except ValueError:
        return None
    for prefix, marker in SUITE_MARKERS.items():
        if relative == prefix or relative.startswith(prefix + "/"):
            return marker
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    for item in items:
        marker = suite_marker(Path(str(item.path)))
        if marker:
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return get_knowledge_base()


def make_tracker(
    text: str,
    intent: Optional[str],
    confidence: float = 0.95,
    entities: Iterable[Mapping[str, Any]] = (),
    slots: Optional[Dict[str, Any]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    sender: str = "test-user",
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": list(entities),
        "metadata": metadata or {},
    }
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}},
    ]
    return Tracker(sender, slots or {}, latest, events, False, None, {}, "action_listen")


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()

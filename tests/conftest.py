"""Shared fixtures: the knowledge base, trackers built in code, a collecting dispatcher."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, Mapping, Optional

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rasa_sdk import Tracker  # noqa: E402
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from bot.knowledge import KnowledgeBase, get_knowledge_base  # noqa: E402


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

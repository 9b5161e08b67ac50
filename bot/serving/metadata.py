"""Channel metadata, bounded: only the keys the bot reads reach the tracker, each small.

A client chooses what it sends as metadata (REST `metadata`, the widget's `customData`), and
Rasa stores it in the conversation and sends it to the action server on every turn: a 500 KB
string or 20,000 keys would make every later turn of that conversation too large for the
action server. So every channel passes its metadata through `bounded` before Rasa sees it,
and the action call bounds what an older stored conversation still holds.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, Mapping

from bot.referral import METADATA_KEYS

logger = logging.getLogger(__name__)

# What the messaging connectors put there themselves (Slack's reply channel and thread).
CHANNEL_KEYS = ("out_channel", "thread_id", "users")
ALLOWED_KEYS = frozenset((*METADATA_KEYS, *CHANNEL_KEYS))
MAX_VALUE_CHARS = 100
MAX_LIST_ITEMS = 20


def _scalar(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and len(value) <= MAX_VALUE_CHARS


def _small(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) <= MAX_LIST_ITEMS and all(_scalar(item) for item in value)
    return _scalar(value)


# What Rasa itself adds to a stored user event's metadata (kept in the action call).
RASA_EVENT_KEYS = ("model_id", "assistant_id")


def bounded(metadata: Any, allowed: Iterable[str] = ALLOWED_KEYS, log: bool = True) -> Dict[str, Any]:
    """The allowed, small entries of `metadata`; anything else is dropped (and, at the channel,
    counted in the log, without its content)."""
    if not isinstance(metadata, Mapping):
        if log and metadata not in (None, "", {}):
            logger.info("channel metadata: dropped a value that is not an object")
        return {}
    keep = set(allowed)
    kept = {key: value for key, value in metadata.items() if key in keep and _small(value)}
    dropped = len(metadata) - len(kept)
    if log and dropped:
        logger.info("channel metadata: dropped %d entries the bot does not use or that are too large", dropped)
    return kept

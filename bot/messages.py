"""The fixed messages a channel sends on its own, before or instead of the bot's answer.

The Rasa process needs a few replies of its own: a message without text, a sender over the
flood limit, and the safe apology when the action server failed or took too long. They come
from data/knowledge/messages.yml and contacts.yml, with the same closing as every reply
(disclaimer, then the referral), without loading the entries or the dialogue logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from bot.answers import Reply, fixed_reply
from bot.config import settings


@dataclass(frozen=True)
class FixedTexts:
    contacts: Dict[str, Any]
    messages: Dict[str, str]

    @classmethod
    def load(cls, directory: Path) -> FixedTexts:
        contacts = yaml.safe_load((directory / "contacts.yml").read_text(encoding="utf-8"))
        messages = yaml.safe_load((directory / "messages.yml").read_text(encoding="utf-8"))["messages"]
        return cls(contacts=dict(contacts), messages=dict(messages))


@lru_cache(maxsize=4)
def _texts(directory: Path) -> FixedTexts:
    return FixedTexts.load(directory)


def texts() -> FixedTexts:
    return _texts(settings().knowledge_dir)


def empty_reply(region: Optional[str] = None) -> Reply:
    """A message with no text (blank, or a picture without a caption)."""
    return fixed_reply(texts(), "empty", region, "empty")


def throttled_reply(region: Optional[str] = None) -> Reply:
    """A sender over the flood limit, on a channel without HTTP status codes."""
    return fixed_reply(texts(), "throttled", region, "throttled")


def apology_reply(region: Optional[str] = None) -> Reply:
    """Something failed inside (the action server down or too slow): never silence, and the full
    closing (the channel cannot tell whether the bot has given it yet)."""
    return fixed_reply(texts(), "error", region, "error", compact=False)


# Rasa commands a user can type that Rasa carries out itself, in silence: what to say instead.
# (/restart and /back are answered by our actions; /session_start is Rasa's own, run in-process
# so that a conversation can start even while the action server is down.)
SILENT_COMMANDS = {"/session_start": "command_session_start"}


def silent_command_reply(text: str, region: Optional[str] = None) -> Optional[Reply]:
    """The reply for a typed command Rasa answers with silence, or None for any other text."""
    key = SILENT_COMMANDS.get(text.strip().lower())
    return fixed_reply(texts(), key, region, "command") if key else None

"""All configuration read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else default


def _int(var: str, default: int) -> int:
    try:
        return int(os.environ.get(var, default))
    except ValueError:
        return default


def _float(var: str, default: float) -> float:
    try:
        return float(os.environ.get(var, default))
    except ValueError:
        return default


def _list(var: str) -> Tuple[str, ...]:
    raw = os.environ.get(var, "")
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path = field(default_factory=lambda: _path("NETBOT_KNOWLEDGE_DIR", PROJECT_ROOT / "data" / "knowledge"))
    spacy_model_dir: Path = field(default_factory=lambda: _path("NETBOT_SPACY_MODEL", PROJECT_ROOT / "models" / "spacy" / "en_netbot"))
    # Longest message text the bot reads; the rest is dropped (and the user told so).
    max_message_chars: int = field(default_factory=lambda: _int("NETBOT_MAX_MESSAGE_CHARS", 2000))
    # Below this NLU confidence an intent is not trusted on its own.
    min_intent_confidence: float = field(default_factory=lambda: _float("NETBOT_MIN_INTENT_CONFIDENCE", 0.5))
    # When no single question kind is trusted, the summed confidence of the kinds that lead to
    # the same entry must reach this (bot.dialogue._likeliest_kind; measured in results/eval.md).
    min_entry_confidence: float = field(default_factory=lambda: _float("NETBOT_MIN_ENTRY_CONFIDENCE", 0.4))
    # Retrieval answers directly only at or above this score (calibrated for >= 95% precision by
    # evaluation/calibrate_retrieval.py: see results/calibration.md).
    retrieval_direct_threshold: float = field(default_factory=lambda: _float("NETBOT_RETRIEVAL_DIRECT", 0.50))
    retrieval_suggest_threshold: float = field(default_factory=lambda: _float("NETBOT_RETRIEVAL_SUGGEST", 0.08))
    default_region: str = field(default_factory=lambda: os.environ.get("NETBOT_DEFAULT_REGION", ""))
    cors_origins: Tuple[str, ...] = field(default_factory=lambda: _list("NETBOT_CORS_ORIGINS"))


def settings() -> Settings:
    """Current settings (read on each call so tests can change the environment)."""
    return Settings()

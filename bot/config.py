"""Every setting of the bot, in one typed place: environment variables, thresholds and limits.

Each field of `Settings` names the environment variable that sets it (documented, with its
default, in .env.example; tests/test_config.py keeps the two in step). Values come from, in order:

  1. the environment (an empty value counts as unset);
  2. for the confidence thresholds: bot/thresholds.yml, which `make calibrate`
     (evaluation/calibrate_retrieval.py --apply) rewrites; code is never edited by a script;
  3. the default written here.

A relative path is relative to the project folder. A value that does not parse
(NETBOT_ACTION_TIMEOUT=soon) raises `SettingsError` naming the
variable: the launcher reads the settings before it starts a server, so a typo stops the start
instead of being ignored.

`load_env_file()` puts the untracked .env file (python-dotenv) into the environment; the real
environment wins. The launcher and the credentials renderer call it; honcho (`make run`) loads
the same file for its processes.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, MutableMapping, Optional, Tuple, get_type_hints

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.yml"
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SettingsError(ValueError):
    """An environment variable (or bot/thresholds.yml) holds a value of the wrong kind."""


@lru_cache(maxsize=4)
def _thresholds(path: str, mtime_ns: int) -> Dict[str, float]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of threshold names to numbers")
    return {str(key): float(value) for key, value in data.items()}


def thresholds(path: Path = THRESHOLDS_FILE) -> Dict[str, float]:
    """The thresholds file as {field name: value} (re-read when the file changes)."""
    return _thresholds(str(path), path.stat().st_mtime_ns)


def write_thresholds(updates: Mapping[str, float], path: Path = THRESHOLDS_FILE) -> None:
    """Set some thresholds in the thresholds file, keeping the others and its opening comment."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    header = lines[: next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))]
    values = dict(yaml.safe_load(text) or {})
    unknown = set(updates) - set(values)
    if unknown:
        raise SettingsError(f"{path.name} has no {', '.join(sorted(unknown))}")
    values.update({key: round(float(value), 4) for key, value in updates.items()})
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text("\n".join(header + [yaml.safe_dump(values, sort_keys=False).rstrip("\n")]) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _from_thresholds(name: str) -> Any:
    def default() -> float:
        values = thresholds()
        if name not in values:
            raise SettingsError(f"{THRESHOLDS_FILE.relative_to(PROJECT_ROOT)} has no `{name}`")
        return values[name]

    return default


def setting(default: Any = None, env: str = "", *, secret: bool = False, calibrated: bool = False) -> Any:
    """A settings field read from `env`. `calibrated`: the default lives in bot/thresholds.yml."""
    metadata = {"env": env, "secret": secret, "calibrated": calibrated}
    if calibrated:
        return field(default_factory=_from_thresholds(default), metadata=metadata)
    if isinstance(default, (list, tuple, dict)):
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    # ---- files ----------------------------------------------------------------------------
    knowledge_dir: Path = setting(PROJECT_ROOT / "data" / "knowledge", "NETBOT_KNOWLEDGE_DIR")
    spacy_model_dir: Path = setting(PROJECT_ROOT / "models" / "spacy" / "en_netbot", "NETBOT_SPACY_MODEL")
    model: Path = setting(PROJECT_ROOT / "models" / "netbot.tar.gz", "NETBOT_MODEL")
    # "" -> endpoints.yml (SQLite); "scale" -> endpoints.scale.yml (PostgreSQL + Redis lock store).
    profile: str = setting("", "NETBOT_PROFILE")
    # An endpoints file to use instead of the profile's.
    endpoints: Optional[Path] = setting(None, "NETBOT_ENDPOINTS")
    # A ready credentials file; unset: the launcher renders credentials.yml + environment at start.
    credentials: Optional[Path] = setting(None, "NETBOT_CREDENTIALS")
    # Where the launcher writes what it derives at start (credentials, endpoints with the token header).
    build_dir: Path = setting(PROJECT_ROOT / "build", "NETBOT_BUILD_DIR")
    # The .env file loaded at start ("none": no file).
    env_file: str = setting(str(PROJECT_ROOT / ".env"), "NETBOT_ENV_FILE")

    # ---- addresses ------------------------------------------------------------------------
    rasa_host: str = setting("0.0.0.0", "NETBOT_RASA_HOST")
    rasa_port: int = setting(5005, "RASA_PORT")
    actions_host: str = setting("127.0.0.1", "NETBOT_ACTIONS_HOST")
    actions_port: int = setting(5055, "ACTIONS_PORT")
    # Where Rasa calls the action server; unset: http://127.0.0.1:ACTIONS_PORT/webhook for the
    # default profile (the scale profile's endpoints file names ${NETBOT_ACTIONS_URL} itself).
    actions_url: str = setting("", "NETBOT_ACTIONS_URL")
    web_host: str = setting("127.0.0.1", "NETBOT_WEB_HOST")
    web_port: int = setting(8080, "NETBOT_WEB_PORT")
    socket_url: str = setting("", "NETBOT_SOCKET_URL")
    cors_origins: Tuple[str, ...] = setting((), "NETBOT_CORS_ORIGINS")
    cors_allow_any: bool = setting(False, "NETBOT_CORS_ALLOW_ANY")

    # ---- access ---------------------------------------------------------------------------
    enable_api: bool = setting(False, "NETBOT_ENABLE_API")
    api_token: str = setting("", "NETBOT_API_TOKEN", secret=True)
    jwt_secret: str = setting("", "NETBOT_JWT_SECRET", secret=True)
    jwt_method: str = setting("HS256", "NETBOT_JWT_METHOD")
    actions_token: str = setting("", "NETBOT_ACTIONS_TOKEN", secret=True)
    session_secret: str = setting("", "NETBOT_SESSION_SECRET", secret=True)
    retention_days: float = setting(30.0, "NETBOT_RETENTION_DAYS")
    # `make report` shows the texts of unanswered messages (within NETBOT_RETENTION_DAYS) only when on.
    report_texts: bool = setting(False, "NETBOT_REPORT_TEXTS")

    # ---- limits ---------------------------------------------------------------------------
    # Seconds Rasa waits for the action server before the user gets the safe apology.
    action_timeout: float = setting(10.0, "NETBOT_ACTION_TIMEOUT")
    # Largest HTTP request body either server reads.
    max_request_bytes: int = setting(1_000_000, "NETBOT_MAX_REQUEST_BYTES")
    # Longest pause, in seconds, while a request head arrives.
    request_timeout: float = setting(10.0, "NETBOT_REQUEST_TIMEOUT")
    # Longest message text the bot reads; the rest is dropped (and the user told so).
    max_message_chars: int = setting(2000, "NETBOT_MAX_MESSAGE_CHARS")
    # Longer texts are refused by the channels outright.
    max_input_chars: int = setting(100_000, "NETBOT_MAX_INPUT_CHARS")
    max_sender_chars: int = setting(128, "NETBOT_MAX_SENDER_CHARS")
    # REST flood control, per sender: messages in flight, then a token bucket.
    max_pending_per_sender: int = setting(3, "NETBOT_MAX_PENDING_PER_SENDER")
    rate_burst: float = setting(20.0, "NETBOT_RATE_BURST")
    rate_per_minute: float = setting(60.0, "NETBOT_RATE_PER_MINUTE")

    # ---- understanding (defaults in bot/thresholds.yml) -----------------------------------
    # Below this NLU confidence an intent is not trusted on its own.
    min_intent_confidence: float = setting("min_intent_confidence", "NETBOT_MIN_INTENT_CONFIDENCE", calibrated=True)
    # When no single question kind is trusted, the summed confidence of the kinds that lead to
    # the same entry must reach this (bot.dialogue._likeliest_kind; results/eval.md).
    min_entry_confidence: float = setting("min_entry_confidence", "NETBOT_MIN_ENTRY_CONFIDENCE", calibrated=True)
    # The entry answering a question: the route's entries (summed NLU confidence of the kinds that
    # lead to each) weigh `entry_route_weight`, the entry model's probabilities (bot/entry_classifier.py)
    # the rest; with no route answer, the model's pick answers at `entry_model_min` (results/entry-model.md).
    entry_route_weight: float = setting("entry_route_weight", "NETBOT_ENTRY_ROUTE_WEIGHT", calibrated=True)
    entry_model_min: float = setting("entry_model_min", "NETBOT_ENTRY_MODEL_MIN", calibrated=True)
    # ... and at this in a turn of at most `follow_up_pick_words` words right after an answer: it
    # continues a conversation about NETs ("what would a GP actually do", "does alcohol count?").
    entry_model_min_follow_up: float = setting("entry_model_min_follow_up", "NETBOT_ENTRY_MODEL_MIN_FOLLOW_UP", calibrated=True)
    # ... in a message where at least this share of the words are words the model learned from.
    entry_model_known_words: float = setting("entry_model_known_words", "NETBOT_ENTRY_MODEL_KNOWN_WORDS", calibrated=True)
    # A short follow-up ("what are its symptoms?") keeps the subject in context at this confidence.
    follow_up_min_confidence: float = setting("follow_up_min_confidence", "NETBOT_FOLLOW_UP_MIN_CONFIDENCE", calibrated=True)
    # Below this NLU confidence a short turn pointing back at the last answer ("what does it depend
    # on?") keeps the last answer's entry rather than the kind the NLU guessed.
    follow_up_kind_confidence: float = setting("follow_up_kind_confidence", "NETBOT_FOLLOW_UP_KIND_CONFIDENCE", calibrated=True)
    # Retrieval answers directly at or above this score (precision target: results/calibration.md).
    retrieval_direct_threshold: float = setting("retrieval_direct_threshold", "NETBOT_RETRIEVAL_DIRECT", calibrated=True)
    retrieval_suggest_threshold: float = setting("retrieval_suggest_threshold", "NETBOT_RETRIEVAL_SUGGEST", calibrated=True)
    # "The one with the watery diarrhoea?" picks an item the last answer listed at this retrieval
    # score, and when it beats the runner-up by `follow_up_pick_margin` (bot/follow_ups.py).
    follow_up_pick_min: float = setting("follow_up_pick_min", "NETBOT_FOLLOW_UP_PICK_MIN", calibrated=True)
    follow_up_pick_margin: float = setting("follow_up_pick_margin", "NETBOT_FOLLOW_UP_PICK_MARGIN", calibrated=True)
    # Each part of a two-question message needs this probability for its kind (bot/kinds.py).
    compound_min_confidence: float = setting("compound_min_confidence", "NETBOT_COMPOUND_MIN_CONFIDENCE", calibrated=True)
    # ... and when the NLU is this sure the whole message asks its second part, that answer comes first.
    compound_keep_first: float = setting("compound_keep_first", "NETBOT_COMPOUND_KEEP_FIRST", calibrated=True)
    # A message in another language gets the fixed reply in that language (bot/languages.py):
    # mostly (this share of its letters) in a script other than Latin, at least `language_min_letters`
    # of them, and fewer than `language_english_words` English words; or, in Latin script, at least
    # `language_min_words` words, in a language other than English with this py3langid probability,
    # and at most this share of English words.
    language_script_share: float = setting("language_script_share", "NETBOT_LANGUAGE_SCRIPT_SHARE", calibrated=True)
    language_min_probability: float = setting("language_min_probability", "NETBOT_LANGUAGE_MIN_PROBABILITY", calibrated=True)
    language_max_english_share: float = setting(
        "language_max_english_share", "NETBOT_LANGUAGE_MAX_ENGLISH_SHARE", calibrated=True
    )
    language_min_letters: int = setting(2, "NETBOT_LANGUAGE_MIN_LETTERS")
    language_min_words: int = setting(4, "NETBOT_LANGUAGE_MIN_WORDS")
    language_english_words: int = setting(3, "NETBOT_LANGUAGE_ENGLISH_WORDS")
    # ... with at least this many words that show the language (a letter English does not use, or
    # one of its stop words English does not have), unless it is a name of at most
    # `language_name_words` words, every word capitalised ("Clínica Universidad de Navarra").
    language_foreign_words: int = setting(1, "NETBOT_LANGUAGE_FOREIGN_WORDS")
    language_name_words: int = setting(6, "NETBOT_LANGUAGE_NAME_WORDS")
    # Plain language (evaluation/readability.py, `make readability`): the answers' median
    # Flesch-Kincaid grade, and every answer's, at most these (known medical names as 1 syllable).
    readability_median_max: float = setting("readability_median_max", "NETBOT_READABILITY_MEDIAN_MAX", calibrated=True)
    readability_answer_max: float = setting("readability_answer_max", "NETBOT_READABILITY_ANSWER_MAX", calibrated=True)
    # A follow-up is at most this many words; a bare topic ("carcinoid syndrome?") at most this many.
    follow_up_words: int = setting(7, "NETBOT_FOLLOW_UP_WORDS")
    # "How long?", "why not?": a fragment of at most this many words asks more about the last answer.
    follow_up_fragment_words: int = setting(3, "NETBOT_FOLLOW_UP_FRAGMENT_WORDS")
    # A turn that picks from the last answer's list or asks for "the other one" is at most this many.
    follow_up_pick_words: int = setting(16, "NETBOT_FOLLOW_UP_PICK_WORDS")
    bare_topic_words: int = setting(4, "NETBOT_BARE_TOPIC_WORDS")
    # The urgent-care reply also gives the general answer to a question the NLU is this sure of.
    emergency_answer_min_confidence: float = setting(0.9, "NETBOT_EMERGENCY_ANSWER_MIN_CONFIDENCE")
    # A typed "not helpful" is feedback on the last answer when it has at most this many words.
    feedback_max_words: int = setting(4, "NETBOT_FEEDBACK_MAX_WORDS")
    default_region: str = setting("", "NETBOT_DEFAULT_REGION")

    # ---- processes ------------------------------------------------------------------------
    # Per-turn speed-ups in Rasa: "all" (default), "none", or a comma list of validator, sqlite.
    speedups: str = setting("all", "NETBOT_SPEEDUPS")
    # Rasa worker processes (Rasa reads it too); more than 1 needs the Redis lock store.
    sanic_workers: int = setting(1, "SANIC_WORKERS")
    # Our loggers' level: INFO for the servers, WARNING for `make shell` when unset. INFO never
    # carries message text or sender ids.
    log_level: str = setting("", "LOG_LEVEL")
    log_level_libraries: str = setting("ERROR", "LOG_LEVEL_LIBRARIES")
    # Show the libraries' deprecation and user warnings at start-up (off: only their errors).
    library_warnings: bool = setting(False, "NETBOT_LIBRARY_WARNINGS")

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> Settings:
        if env is None or env is os.environ:
            raw: Tuple[Any, ...] = _raw_environ()
        else:
            raw = tuple(env.get(variable) for _, variable, _ in _fields())
        return _build(raw, THRESHOLDS_FILE.stat().st_mtime_ns)

    def redacted(self) -> Dict[str, Any]:
        """{variable: value} with the secrets masked (for `launcher --print`)."""
        out: Dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            out[item.metadata["env"]] = "***" if item.metadata["secret"] and value else value
        return out


@lru_cache(maxsize=1)
def _fields() -> Tuple[Tuple[str, str, Any], ...]:
    """(field name, environment variable, type) of every setting."""
    hints = get_type_hints(Settings)
    return tuple((item.name, item.metadata["env"], hints[item.name]) for item in dataclasses.fields(Settings))


def _parse(kind: Any, raw: str, name: str) -> Any:
    try:
        if kind is bool:
            lowered = raw.lower()
            if lowered not in TRUE | FALSE:
                raise ValueError(raw)
            return lowered in TRUE
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind in (Path, Optional[Path]):
            path = Path(raw)  # relative to the project, wherever the process was started
            return path if path.is_absolute() else PROJECT_ROOT / path
        if kind == Tuple[str, ...]:
            return tuple(item.strip() for item in raw.split(",") if item.strip())
        return raw
    except ValueError:
        expected = getattr(kind, "__name__", str(kind))
        raise SettingsError(f"{name}={raw!r}: expected {expected}") from None


@lru_cache(maxsize=1)
def _environ_keys() -> Tuple[Any, ...]:
    return tuple(os.environ.encodekey(variable) for _, variable, _ in _fields())  # type: ignore[attr-defined]


def _raw_environ() -> Tuple[Any, ...]:
    """The raw values of every variable in os.environ. Read from its underlying dict when there
    is one (CPython): settings() runs several times a turn, and os.environ.get decodes each time."""
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict) and hasattr(os.environ, "encodekey"):
        return tuple(map(data.get, _environ_keys()))
    return tuple(os.environ.get(variable) for _, variable, _ in _fields())


@lru_cache(maxsize=64)
def _build(raw: Tuple[Any, ...], thresholds_mtime_ns: int) -> Settings:
    """Settings from the raw values of every variable (cached: called several times a turn)."""
    values: Dict[str, Any] = {}
    for (name, variable, kind), value in zip(_fields(), raw, strict=True):
        if isinstance(value, bytes):
            value = os.fsdecode(value)
        if value is not None and value.strip() != "":
            values[name] = _parse(kind, value.strip(), variable)
    return Settings(**values)


def env_names() -> Tuple[str, ...]:
    """Every environment variable a field reads."""
    return tuple(variable for _, variable, _ in _fields())


def settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Current settings (read on each call so tests can change the environment)."""
    return Settings.from_env(env)


def read_env_file(path: Path) -> Dict[str, str]:
    """KEY=value pairs of a .env file (python-dotenv's syntax: comments, `export `, quotes);
    keys that are not variable names and keys without a value are left out. {} without a file."""
    from dotenv import dotenv_values

    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None and _NAME.fullmatch(key)}


def env_file_path(env: Optional[Mapping[str, str]] = None) -> Optional[Path]:
    """The .env file NETBOT_ENV_FILE names (default: the project's), or None for "none"."""
    env = os.environ if env is None else env
    name = (env.get("NETBOT_ENV_FILE") or "").strip() or str(PROJECT_ROOT / ".env")
    return None if name.lower() == "none" else Path(name)


def load_env_file(env: Optional[MutableMapping[str, str]] = None) -> Optional[Path]:
    """Put the .env file's variables into `env` (default os.environ) where not already set.

    Returns the file loaded, or None (no file, or NETBOT_ENV_FILE=none)."""
    target = os.environ if env is None else env
    path = env_file_path(target)
    if path is None or not path.is_file():
        return None
    for key, value in read_env_file(path).items():
        target.setdefault(key, value)
    return path

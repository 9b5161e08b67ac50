"""Write the effective Rasa credentials file from credentials.yml and the environment.

A channel whose required ${VARIABLES} are not all set is left out (and said so), so the server
starts with whatever channels are configured. ${NAME:-default} is optional: the default (which
may be empty) is used when NAME is unset. Secrets stay in the environment or in an untracked
.env file (read when present; the real environment wins), never in the repo.

    python bot/serving/credentials.py credentials.yml build/credentials.yml
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}")


def _placeholders(value: Any) -> List[Tuple[str, Optional[str]]]:
    """(name, default or None when required) for every placeholder in a value."""
    if isinstance(value, str):
        return [(m.group(1), m.group(2)) for m in PLACEHOLDER.finditer(value)]
    if isinstance(value, Mapping):
        return [found for v in value.values() for found in _placeholders(v)]
    return []


def _fill(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, Mapping):
        return {k: _fill(v, env) for k, v in value.items()}
    return value


def render(template: Mapping[str, Any], env: Mapping[str, str]) -> Tuple[Dict[str, Any], Dict[str, List[str]]]:
    """(enabled channels with values filled in, disabled channel -> missing required variables)."""
    enabled: Dict[str, Any] = {}
    disabled: Dict[str, List[str]] = {}
    for channel, config in template.items():
        missing = [name for name, default in _placeholders(config) if default is None and not env.get(name)]
        if missing:
            disabled[channel] = list(dict.fromkeys(missing))
        else:
            enabled[channel] = _fill(config, env)
    return enabled, disabled


def read_dotenv(path: Path) -> Dict[str, str]:
    """KEY=value lines of a .env file (comments, blank lines and `export ` allowed)."""
    values: Dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip()
        if key.startswith("export "):
            key = key[len("export "):].strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            values[key] = value
    return values


def environment(dotenv: Optional[Path]) -> Dict[str, str]:
    env = read_dotenv(dotenv) if dotenv else {}
    env.update(os.environ)
    return env


def write(template_path: Path, target: Path, env: Mapping[str, str]) -> Tuple[Dict[str, Any], Dict[str, List[str]]]:
    template = yaml.safe_load(template_path.read_text(encoding="utf-8")) or {}
    enabled, disabled = render(template, env)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = "# Generated from credentials.yml by bot/serving/credentials.py: do not edit.\n"
    text += yaml.safe_dump(enabled, sort_keys=False) if enabled else ""
    # Created private: it holds the channels' secrets.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    target.chmod(0o600)
    return enabled, disabled


def label(channel: str) -> str:
    """'bot.serving.channels.telegram.SafeTelegramInput' -> 'telegram'."""
    name = channel.rsplit(".", 1)[-1]
    if "." in channel:
        name = re.sub(r"^Safe|Input$", "", name)
    return name.lower()


def main(argv: List[str]) -> int:
    source, target = Path(argv[1]), Path(argv[2])
    dotenv = Path(argv[3]) if len(argv) > 3 else source.parent / ".env"
    enabled, disabled = write(source, target, environment(dotenv))
    print("channels on: " + ", ".join(label(name) for name in enabled))
    for channel, missing in disabled.items():
        print(f"channel {label(channel)} off (set {', '.join(missing)} to enable it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

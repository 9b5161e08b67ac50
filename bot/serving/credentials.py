"""Write the effective Rasa credentials file from credentials.yml and the environment.

A channel whose required ${VARIABLES} are not all set is left out (and said so), so the server
starts with whatever channels are configured. ${NAME:-default} is optional: the default (which
may be empty) is used when NAME is unset. Secrets stay in the environment or in an untracked
.env file (read with python-dotenv when present; the real environment wins), never in the repo.

The launcher renders the file each time it starts Rasa (bot/serving/launcher.py), so an image
picks up channel variables given at run time (a Kubernetes Secret); `make build` renders it too,
for `make shell` and to say which channels are on.

    python -m bot.serving.credentials credentials.yml build/credentials.yml [ENV_FILE]
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from bot.config import env_file_path, read_env_file

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
    """KEY=value pairs of a .env file (python-dotenv; see bot.config.read_env_file)."""
    return read_env_file(path)


def environment(dotenv: Optional[Path]) -> Dict[str, str]:
    """The .env file's variables (when given and present) under the real environment."""
    env = read_dotenv(dotenv) if dotenv else {}
    env.update(os.environ)
    return env


def write(template_path: Path, target: Path, env: Mapping[str, str]) -> Tuple[Dict[str, Any], Dict[str, List[str]]]:
    template = yaml.safe_load(template_path.read_text(encoding="utf-8")) or {}
    enabled, disabled = render(template, env)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = "# Generated from credentials.yml by bot/serving/credentials.py: do not edit.\n"
    text += yaml.safe_dump(enabled, sort_keys=False) if enabled else ""
    # Created private (it holds the channels' secrets) under a temporary name, then renamed:
    # a server starting at the same moment reads the old file or the new one, never half of one.
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return enabled, disabled


def summary(enabled: Mapping[str, Any], disabled: Mapping[str, List[str]]) -> List[str]:
    """What `make build` and the launcher print: the channels on, and what each one off needs."""
    lines = ["channels on: " + ", ".join(label(name) for name in enabled)]
    lines += [f"channel {label(channel)} off (set {', '.join(missing)} to enable it)" for channel, missing in disabled.items()]
    return lines


def label(channel: str) -> str:
    """'bot.serving.channels.telegram.SafeTelegramInput' -> 'telegram'."""
    name = channel.rsplit(".", 1)[-1]
    if "." in channel:
        name = re.sub(r"^Safe|Input$", "", name)
    return name.lower()


def main(argv: List[str]) -> int:
    source, target = Path(argv[1]), Path(argv[2])
    dotenv = Path(argv[3]) if len(argv) > 3 else env_file_path()
    enabled, disabled = write(source, target, environment(dotenv))
    print("\n".join(summary(enabled, disabled)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

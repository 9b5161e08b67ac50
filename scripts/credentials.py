"""Write the effective Rasa credentials file from credentials.yml and the environment.

A channel whose ${VARIABLES} are not all set is left out (and said so), so the server starts
with whatever channels are configured. Secrets stay in the environment, never in the repo.

    python scripts/credentials.py credentials.yml build/credentials.yml
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

import yaml

PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")


def _placeholders(value: Any) -> List[str]:
    if isinstance(value, str):
        return PLACEHOLDER.findall(value)
    if isinstance(value, Mapping):
        return [name for v in value.values() for name in _placeholders(v)]
    return []


def _fill(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: env[m.group(1)], value)
    if isinstance(value, Mapping):
        return {k: _fill(v, env) for k, v in value.items()}
    return value


def render(template: Mapping[str, Any], env: Mapping[str, str]) -> Tuple[Dict[str, Any], Dict[str, List[str]]]:
    """(enabled channels with values filled in, disabled channel -> missing variables)."""
    enabled: Dict[str, Any] = {}
    disabled: Dict[str, List[str]] = {}
    for channel, config in template.items():
        missing = [name for name in _placeholders(config) if not env.get(name)]
        if missing:
            disabled[channel] = missing
        else:
            enabled[channel] = _fill(config, env)
    return enabled, disabled


def main(argv: List[str]) -> int:
    source, target = Path(argv[1]), Path(argv[2])
    template = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    enabled, disabled = render(template, os.environ)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = "# Generated from credentials.yml by scripts/credentials.py: do not edit.\n"
    text += yaml.safe_dump(enabled, sort_keys=False) if enabled else ""
    target.write_text(text, encoding="utf-8")
    target.chmod(0o600)
    print("channels on: " + ", ".join(enabled))
    for channel, missing in disabled.items():
        print(f"channel {channel} off (set {', '.join(missing)} to enable it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

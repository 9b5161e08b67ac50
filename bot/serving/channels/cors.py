"""Which web origins may talk to the Rasa server from a browser (REST CORS and the socket.io widget).

Always the demo page's own origin (http://localhost:$NETBOT_WEB_PORT and http://127.0.0.1:...),
plus the comma-separated NETBOT_CORS_ORIGINS, e.g. "https://www.example.org,https://example.org".
Never "*" unless NETBOT_CORS_ORIGINS says so.

`python -m bot.serving.channels.cors` prints them space-separated, for `rasa run --cors ...` (Procfile);
bot.serving.channels.socketio.SafeSocketIOInput checks socket.io connections against the same list.
"""

from __future__ import annotations

import sys
from typing import List, Mapping, Optional

from bot.config import settings


def _normalise(origin: str) -> str:
    return origin.strip().rstrip("/")


def page_origins(env: Optional[Mapping[str, str]] = None) -> List[str]:
    port = settings(env).web_port
    return [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]


def allowed_origins(env: Optional[Mapping[str, str]] = None) -> List[str]:
    """The demo page's origins and NETBOT_CORS_ORIGINS (bot.config), from `env` or the environment."""
    extra = [_normalise(o) for o in settings(env).cors_origins]
    return list(dict.fromkeys([*page_origins(env), *extra]))


def is_allowed(origin: Optional[str], allowed: List[str]) -> bool:
    """A browser's Origin header against the list; requests without one (not from a page) pass."""
    if not origin:
        return True
    return "*" in allowed or _normalise(origin) in allowed


def main() -> int:
    print(" ".join(allowed_origins()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

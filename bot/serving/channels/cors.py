"""Which web origins may talk to the Rasa server from a browser (REST CORS and the socket.io widget).

Always the demo page's own origin (http://localhost:$NETBOT_WEB_PORT and http://127.0.0.1:...),
plus the comma-separated NETBOT_CORS_ORIGINS, e.g. "https://www.example.org,https://example.org".
Never "*" unless NETBOT_CORS_ORIGINS says so.

`python -m bot.serving.channels.cors` prints them space-separated, for `rasa run --cors ...` (Procfile);
bot.serving.channels.socketio.SafeSocketIOInput checks socket.io connections against the same list.
"""

from __future__ import annotations

import os
import sys
from typing import List, Mapping, Optional

DEFAULT_WEB_PORT = "8080"


def _normalise(origin: str) -> str:
    return origin.strip().rstrip("/")


def page_origins(env: Optional[Mapping[str, str]] = None) -> List[str]:
    env = os.environ if env is None else env
    port = (env.get("NETBOT_WEB_PORT") or DEFAULT_WEB_PORT).strip()
    return [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]


def allowed_origins(env: Optional[Mapping[str, str]] = None) -> List[str]:
    env = os.environ if env is None else env
    extra = [_normalise(o) for o in (env.get("NETBOT_CORS_ORIGINS") or "").split(",") if o.strip()]
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

"""Serve the website widget demo page: `python -m bot.web.server` (the `web` process of the Procfile).

Only these paths exist: / (index.html, its review line filled from data/knowledge), /app.js,
/style.css, /config.js (written from the environment) and /vendor/rasa-webchat.js (the pinned npm
package from node_modules/). Every response carries a Content-Security-Policy: scripts from this
origin only, no inline script, no third-party fonts or trackers (a health site's visitors should
not be announced to anyone).

Environment (read by bot/config.py; .env.example):
    NETBOT_WEB_HOST      address to listen on (default 127.0.0.1)
    NETBOT_WEB_PORT      port (default 8080)
    RASA_PORT            the Rasa server's port; the page connects to <its own host>:RASA_PORT
    NETBOT_SOCKET_URL    or the full socket.io address, e.g. https://chat.example.org
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent
if str(PROJECT_ROOT) not in sys.path:  # also run as a file
    sys.path.insert(0, str(PROJECT_ROOT))

from bot.config import load_env_file, settings  # noqa: E402
from bot.content import ContentError, page_line  # noqa: E402
from bot.knowledge import KnowledgeBaseError, get_knowledge_base  # noqa: E402

WEBCHAT = PROJECT_ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js"

logger = logging.getLogger("netbot.web")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # The widget injects its own <style> elements.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self' http: https: ws: wss:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

STATIC: Dict[str, Tuple[Path, str]] = {
    "/": (HERE / "index.html", "text/html; charset=utf-8"),
    "/index.html": (HERE / "index.html", "text/html; charset=utf-8"),
    "/app.js": (HERE / "app.js", "text/javascript; charset=utf-8"),
    "/style.css": (HERE / "style.css", "text/css; charset=utf-8"),
    "/vendor/rasa-webchat.js": (WEBCHAT, "text/javascript; charset=utf-8"),
}
# The page's line on how current the information is, between these markers in index.html.
REVIEW_LINE = re.compile(r"<!--content-review-->.*?<!--/content-review-->", re.DOTALL)


def page_config(env: Optional[Mapping[str, str]] = None) -> Dict[str, object]:
    values = settings(env)
    config: Dict[str, object] = {"rasaPort": values.rasa_port}
    if values.socket_url:
        config["socketUrl"] = values.socket_url.rstrip("/")
    return config


def page_html(file: Path) -> bytes:
    """index.html with its review line filled from data/knowledge (reviews.yml, bot/content.py), so
    the date on the page is the one the records hold. With records that do not load, the page keeps
    its own line (ask the assistant), never a date nobody recorded."""
    text = file.read_text(encoding="utf-8")
    try:
        line = page_line(get_knowledge_base())
    except (ContentError, KnowledgeBaseError, OSError) as exc:
        logger.error("review dates not shown on the page: %s", exc)
        return text.encode()
    return REVIEW_LINE.sub(lambda _: html.escape(line, quote=False), text, count=1).encode()


def config_script(env: Optional[Mapping[str, str]] = None) -> bytes:
    # json.dumps output is a valid JS literal; "<" is escaped so it can never close a tag.
    body = json.dumps(page_config(env)).replace("<", "\\u003c")
    return f"window.NETBOT_CONFIG = {body};\n".encode()


class Handler(BaseHTTPRequestHandler):
    server_version = "netbot-web"
    sys_version = ""
    env: Mapping[str, str] = os.environ

    def _send(self, status: int, body: bytes, content_type: str, cache: str = "no-cache") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path == "/config.js":
            self._send(HTTPStatus.OK, config_script(self.env), "text/javascript; charset=utf-8", cache="no-store")
            return
        if path == "/health":
            self._send(HTTPStatus.OK, b'{"status":"ok"}', "application/json")
            return
        found = STATIC.get(path)
        if found is None:
            self._send(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain; charset=utf-8")
            return
        file, content_type = found
        if not file.is_file():
            message = f"{file.relative_to(PROJECT_ROOT)} is missing: run `make install` (npm ci).\n"
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, message.encode(), "text/plain; charset=utf-8")
            return
        body = page_html(file) if file.suffix == ".html" else file.read_bytes()
        self._send(HTTPStatus.OK, body, content_type)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        logger.debug("%s - %s", self.address_string(), format % args)


def make_server(host: str, port: int, env: Optional[Mapping[str, str]] = None) -> ThreadingHTTPServer:
    handler = type("ConfiguredHandler", (Handler,), {"env": os.environ if env is None else env})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    load_env_file()
    host, port = settings().web_host, settings().web_port
    server = make_server(host, port)
    if not WEBCHAT.is_file():
        logger.error("node_modules/rasa-webchat is missing: run `make install` (npm ci)")
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    config = page_config()
    target = config.get("socketUrl") or f"port {config['rasaPort']} of the page's host"
    logger.info("Website widget: http://%s:%d (talks to Rasa's socket.io on %s)", shown, port, target)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""bot/web/server.py: only the page's files, safe headers, the Rasa address from the environment."""

from __future__ import annotations

from typing import Iterator

import pytest
import requests

from tests.servers import free_port, page_server


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with page_server(free_port(), env={"RASA_PORT": "5999"}) as address:
        yield address


def test_page_and_assets(site):
    page = requests.get(f"{site}/", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Not medical advice" in page.text and 'src="/vendor/rasa-webchat.js"' in page.text
    for path, kind in [
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/vendor/rasa-webchat.js", "text/javascript"),
    ]:
        response = requests.get(f"{site}{path}", timeout=10)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith(kind), path
    assert "WebChat" in requests.get(f"{site}/vendor/rasa-webchat.js", timeout=10).text[:2000]


def test_security_headers(site):
    headers = requests.get(f"{site}/", timeout=10).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_config_points_at_rasa(site):
    config = requests.get(f"{site}/config.js", timeout=10)
    assert config.text == 'window.NETBOT_CONFIG = {"rasaPort": 5999};\n'
    assert config.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path", ["/server.py", "/../../credentials.yml", "/%2e%2e/%2e%2e/etc/passwd", "/node_modules/", "/vendor/", "/.env"]
)
def test_nothing_else_is_served(site, path):
    response = requests.get(f"{site}{path}", timeout=10)
    assert response.status_code == 404

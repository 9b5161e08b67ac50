"""Security and privacy switches of the launch command (bot/serving/launcher.py); no model needed.

- the HTTP API is off by default; on, it needs a token or a JWT (and refuses to start without);
  secrets are masked and never written into files (the real Rasa servers with the API off and
  on are in tests/security, `make test-security`)
- the action server (a real one, running our actions) listens on loopback only, and with
  NETBOT_ACTIONS_TOKEN answers only requests that carry it
- bot/serving/retention.py deletes conversations older than N days (SQLite here; PostgreSQL in
  tests/scale)
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import requests

from bot.config import PROJECT_ROOT
from tests.servers import BIN, Stack, save_dated_conversations

SERVE = PROJECT_ROOT / "bot" / "serving" / "launcher.py"
API_TOKEN = "test-api-token-" + uuid.uuid4().hex
JWT_SECRET = "test-jwt-secret-" + uuid.uuid4().hex
ACTIONS_TOKEN = "test-actions-token-" + uuid.uuid4().hex


def serve(*args: str, env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "python"), str(SERVE), *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )


# ---------------------------------------------------------------- launch command ------------


def test_api_is_off_by_default_in_the_launch_command():
    printed = serve("rasa", "--print", env={"NETBOT_ENABLE_API": ""}).stdout
    assert "--enable-api" not in printed and "--auth-token" not in printed


def test_api_on_without_token_or_jwt_refuses_to_start():
    result = serve("rasa", env={"NETBOT_ENABLE_API": "1", "NETBOT_API_TOKEN": "", "NETBOT_JWT_SECRET": ""})
    assert result.returncode != 0
    assert "refusing to open the HTTP API without authentication" in result.stderr


def test_printed_command_masks_the_secrets():
    printed = serve("rasa", "--print", env={"NETBOT_ENABLE_API": "1", "NETBOT_API_TOKEN": API_TOKEN}).stdout
    assert "--enable-api" in printed and "--auth-token ***" in printed and API_TOKEN not in printed


def test_cors_wildcard_is_refused():
    result = serve("rasa", "--print", env={"NETBOT_CORS_ORIGINS": "*"})
    assert result.returncode != 0 and "list the origins" in result.stderr


def test_action_token_goes_into_a_derived_endpoints_file_as_a_placeholder_only():
    printed = serve("rasa", "--print", env={"NETBOT_ACTIONS_TOKEN": ACTIONS_TOKEN}).stdout
    endpoints = Path(printed.split("--endpoints ")[1].split()[0])
    text = endpoints.read_text()
    assert "X-Netbot-Action-Token: ${NETBOT_ACTIONS_TOKEN}" in text and ACTIONS_TOKEN not in text


# ---------------------------------------------------------------- action server -------------


def action_call(text: str) -> Dict[str, Any]:
    """What Rasa posts to the action server for `action_answer` (rasa-sdk's format)."""
    latest = {
        "text": text,
        "intent": {"name": "ask_definition", "confidence": 0.99},
        "entities": [{"entity": "net_type", "value": "net"}],
    }
    return {
        "next_action": "action_answer",
        "sender_id": "security-test",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "security-test",
            "slots": {},
            "latest_message": latest,
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture(scope="module")
def action_server(tmp_path_factory) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("actions"), env={"NETBOT_ACTIONS_TOKEN": ACTIONS_TOKEN})
    try:
        stack.start_actions()
        yield stack
    finally:
        stack.stop_all()


def listening_addresses(port: int) -> set:
    """Local addresses with a listening TCP socket on `port` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_action_server_listens_on_loopback_only(action_server):
    assert listening_addresses(action_server.actions_port) == {"0100007F"}  # 127.0.0.1, nothing else


def test_action_server_needs_the_shared_token(action_server):
    url = f"http://127.0.0.1:{action_server.actions_port}"
    body = action_call("what is a NET?")
    assert requests.get(f"{url}/health", timeout=30).status_code == 200  # no data, stays open
    assert requests.post(f"{url}/webhook", json=body, timeout=30).status_code == 401
    assert requests.get(f"{url}/actions", timeout=30).status_code == 401
    wrong = {"X-Netbot-Action-Token": "wrong"}
    assert requests.post(f"{url}/webhook", json=body, headers=wrong, timeout=30).status_code == 401
    right = {"X-Netbot-Action-Token": ACTIONS_TOKEN}
    response = requests.post(f"{url}/webhook", json=body, headers=right, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json()["responses"][0]["text"].startswith("A neuroendocrine tumour (NET) is")


def test_action_server_bounds_request_bodies(action_server):
    """NETBOT_MAX_REQUEST_BYTES (default 1 MB) holds for the action server too: a larger call,
    even with the token, is refused with 413 before it is read whole, and no action runs."""
    url = f"http://127.0.0.1:{action_server.actions_port}/webhook"
    headers = {"X-Netbot-Action-Token": ACTIONS_TOKEN}
    within = requests.post(url, json=action_call("what is a NET? " + "x" * 900_000), headers=headers, timeout=120)
    assert within.status_code == 200 and within.json()["responses"], within.text[:300]
    try:
        over = requests.post(url, json=action_call("x" * 1_500_000), headers=headers, timeout=120)
    except requests.ConnectionError:
        return  # the server closed the connection before the body was sent: refused
    assert over.status_code == 413, over.text[:300]
    assert "responses" not in over.text and "xxxx" not in over.text, over.text[:300]


# ---------------------------------------------------------------- retention -----------------


def test_retention_deletes_conversations_older_than_n_days_from_sqlite(tmp_path):
    db = tmp_path / "conversations.db"
    save_dated_conversations({"old-a": 45, "old-b": 30.5, "recent": 29.5, "today": 0}, dialect="sqlite", db=str(db))
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {db}\n")
    script = [str(BIN / "python"), str(PROJECT_ROOT / "bot" / "serving" / "retention.py")]

    dry = subprocess.run(
        [*script, "--days", "30", "--dry-run"],
        env={**os.environ, "NETBOT_ENDPOINTS": str(endpoints)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dry.returncode == 0, dry.stderr
    assert "would delete 2 conversations (4 events)" in dry.stdout
    # The setting from the environment, as `make purge-old` uses it.
    run = subprocess.run(
        script,
        env={**os.environ, "NETBOT_ENDPOINTS": str(endpoints), "NETBOT_RETENTION_DAYS": "30"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "deleted 2 conversations (4 events)" in run.stdout
    with sqlite3.connect(db) as connection:
        left = sorted(row[0] for row in connection.execute("SELECT DISTINCT sender_id FROM events"))
    assert left == ["recent", "today"]

"""Rasa's HTTP API, request-size bound and CORS on real Rasa servers started by bot/serving/launcher.py.

No trained model is needed: the API, its auth, the size bound and CORS all sit in front of the
model (Rasa starts without one and answers 409 where a model would be needed, 200 with one).
Two servers: the default launch (API off) and NETBOT_ENABLE_API=1 with both a token and a JWT
secret. `make test-security`.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterator

import jwt
import pytest
import requests

from tests.servers import Stack

API_TOKEN = "test-api-token-" + uuid.uuid4().hex
JWT_SECRET = "test-jwt-secret-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[Dict[str, Stack]]:
    """Two Rasa servers (no model) started the deployed way: API off; API with token and JWT."""
    no_model = {"NETBOT_MODEL": str(tmp_path_factory.mktemp("empty") / "no-model.tar.gz")}
    variants = {
        "default": {},
        "api": {"NETBOT_ENABLE_API": "1", "NETBOT_API_TOKEN": API_TOKEN, "NETBOT_JWT_SECRET": JWT_SECRET},
    }
    stacks = {name: Stack(tmp_path_factory.mktemp(name), env={**no_model, **env}) for name, env in variants.items()}
    try:
        with ThreadPoolExecutor(len(stacks)) as pool:
            list(pool.map(lambda stack: stack.start_rasa(), stacks.values()))
        yield stacks
    finally:
        for stack in stacks.values():
            stack.stop_all()


def test_without_the_switch_the_http_api_does_not_exist(servers):
    url = servers["default"].url
    for path in ("/status", "/conversations/someone/tracker", "/model/parse", "/domain"):
        assert requests.get(url + path, timeout=30).status_code == 404, path
    assert requests.post(url + "/model/parse", json={"text": "hi"}, timeout=30).status_code in (404, 405)


def test_api_with_token_needs_the_token(servers):
    url = servers["api"].url
    assert requests.get(f"{url}/status", timeout=30).status_code == 401
    assert requests.get(f"{url}/status", params={"token": "wrong"}, timeout=30).status_code == 401
    assert requests.get(f"{url}/conversations/x/tracker", timeout=30).status_code == 401
    # The right token passes auth; without a model Rasa then answers 409 (200 with one).
    assert requests.get(f"{url}/status", params={"token": API_TOKEN}, timeout=30).status_code in (200, 409)


def test_api_token_is_not_on_any_command_line(servers):
    for process in servers["api"].processes:
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
        assert API_TOKEN not in cmdline and JWT_SECRET not in cmdline and "bot.serving.launcher" in cmdline


def test_api_with_jwt_needs_a_token_signed_with_the_secret(servers):
    url = servers["api"].url
    claims = {"user": {"username": "ops", "role": "admin"}, "exp": int(time.time()) + 300}
    good = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    forged = jwt.encode(claims, "not-the-secret", algorithm="HS256")
    assert requests.get(f"{url}/status", timeout=30).status_code == 401
    assert requests.get(f"{url}/status", headers={"Authorization": f"Bearer {forged}"}, timeout=30).status_code == 401
    assert requests.get(f"{url}/status", headers={"Authorization": f"Bearer {good}"}, timeout=30).status_code in (200, 409)


def test_request_bodies_are_bounded(servers):
    stack = servers["default"]
    big = json.dumps({"sender": "s", "message": "x" * 1_500_000}).encode()
    try:
        status = requests.post(stack.webhook, data=big, headers={"Content-Type": "application/json"}, timeout=60).status_code
    except requests.ConnectionError:
        status = 413  # the server may close the connection after its 413, before the body is sent
    assert status == 413
    # Within the bound, our channel gives its own 413 for a text over 100 000 characters.
    assert requests.post(stack.webhook, json={"sender": "s", "message": "x" * 100_001}, timeout=60).status_code == 413


@pytest.mark.parametrize("origin, allowed", [("http://localhost:8080", True), ("https://evil.example", False)])
def test_cors_is_an_allow_list(servers, origin, allowed):
    response = requests.options(
        servers["default"].webhook,
        headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        timeout=30,
    )
    assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    assert response.headers.get("Access-Control-Allow-Origin") != "*"

"""Fixtures for the channel tests: API stand-ins and the real servers with every channel on.

test_webhooks.py starts servers, so it runs from `make channels` (in `make test`), not from
`make unit`; the pure tests beside it (shaping, credentials) run in both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.channels.stacks import channel_env, render_credentials, stack_tests_requested
from tests.channels.standins import StandIn
from tests.servers import Stack, require_model, started

HERE = Path(__file__).resolve().parent
SERVER_TESTS = {"test_webhooks.py"}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name in SERVER_TESTS and collection_path.parent == HERE:
        return not stack_tests_requested(HERE, config)
    return None


@pytest.fixture(scope="session")
def stand_in() -> Iterator[StandIn]:
    server = StandIn().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def channel_stack(tmp_path_factory, stand_in: StandIn) -> Iterator[Stack]:
    """Action server + Rasa with rest, socketio, telegram, slack, facebook and twilio on."""
    require_model("channels")
    workdir = tmp_path_factory.mktemp("channels")
    credentials = render_credentials(workdir / "credentials.yml", channel_env(stand_in.url))
    with started(Stack(workdir), credentials=credentials) as running:
        yield running


@pytest.fixture(scope="session")
def bare_stack(tmp_path_factory, channel_stack: Stack) -> Iterator[Stack]:
    """Rasa with no messaging channel configured (one half-configured), same action server."""
    workdir = tmp_path_factory.mktemp("bare")
    # Telegram's token alone is not enough: the channel stays off, the server starts.
    credentials = render_credentials(workdir / "credentials.yml", {"TELEGRAM_ACCESS_TOKEN": "123:abc"})
    with started(Stack(workdir, actions_port=channel_stack.actions_port), actions=False, credentials=credentials) as running:
        yield running


@pytest.fixture(scope="session")
def down_stack(tmp_path_factory, stand_in: StandIn) -> Iterator[Stack]:
    """Rasa with every channel on and no action server at its address (down)."""
    workdir = tmp_path_factory.mktemp("down")
    credentials = render_credentials(workdir / "credentials.yml", channel_env(stand_in.url))
    with started(Stack(workdir), actions=False, credentials=credentials) as running:
        yield running

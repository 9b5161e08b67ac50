"""Fixtures for the channel tests: API stand-ins and the real servers with every channel on.

test_webhooks.py starts servers: its marker (`channels`, tests/conftest.py) keeps it out of
`make unit`, as test_middleware.py's own `pytestmark` does (a Sanic app in the test process);
the pure tests beside them (shaping, credentials) run there.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.channels.stacks import channel_env, render_credentials
from tests.channels.standins import StandIn
from tests.servers import Stack, require_model, started


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

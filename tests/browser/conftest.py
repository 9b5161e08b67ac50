"""Fixtures for the browser tests: the real servers, the demo page's server, headless Chromium.

These tests start servers: marked `browser` (tests/conftest.py), they run from `make browser`
(part of `make test`), not from `make unit`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from tests.channels.stacks import render_credentials
from tests.servers import PROJECT_ROOT, Stack, free_port, page_server, require_model, started

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS = PROJECT_ROOT / "results"
# Replies come from the real NLU and action server on a 2-core machine: wait for them, generously.
WAIT_MS = 90_000


@pytest.fixture(scope="session")
def page_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def page_origin(page_port: int) -> str:
    return f"http://127.0.0.1:{page_port}"


@pytest.fixture(scope="session")
def widget_stack(tmp_path_factory, page_origin: str) -> Iterator[Stack]:
    """Action server + Rasa (rest + socketio only); the page's origin is on the allow-list."""
    require_model("browser")
    workdir = tmp_path_factory.mktemp("widget")
    credentials = render_credentials(workdir / "credentials.yml", {})
    with started(Stack(workdir, env={"NETBOT_CORS_ORIGINS": page_origin}), credentials=credentials) as running:
        yield running


@pytest.fixture(scope="session")
def page_url(widget_stack: Stack, page_port: int) -> Iterator[str]:
    """bot/web served as `make run` serves it, pointed at the stack's Rasa port."""
    with page_server(page_port, env={"RASA_PORT": str(widget_stack.rasa_port)}) as address:
        yield f"{address}/"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per test module, closed when the module ends: while Playwright's sync API is
    open it keeps an event loop running in the thread, so an async test module (test_origins.py)
    must not run while another module's browser is still open, whatever the order."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, page_url: str) -> Iterator[object]:
    """A fresh browser profile (empty localStorage) per test; JS errors and dialogs recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.errors = []  # type: ignore[attr-defined]
    tab.dialogs = []  # type: ignore[attr-defined]
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))  # type: ignore[attr-defined]

    def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
        tab.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session")
def results_dir() -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    return RESULTS

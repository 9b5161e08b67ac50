"""Hostile-traffic suite (`make test-hostile`, i.e. `pytest -m hostile tests/hostile`): one real
stack per module, started the shipped way (tests.servers.Stack: bot/serving/launcher.py), on
127.0.0.1 only. tests/conftest.py gives this folder the `hostile` marker, which `make unit` and a
plain `pytest` deselect.

Every test is one case and one row of results/hostile.md (group, kind, pass/FAIL, what was
observed), written when the session ends, whatever failed.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from bot.config import PROJECT_ROOT
from tests.hostile.helpers import ROWS, Row, Server, write_table
from tests.servers import Stack, require_model, started

REPORT = pytest.StashKey[Any]()
RESULTS_FILE = PROJECT_ROOT / "results" / "hostile.md"
_STARTED = [time.monotonic()]
_HAS_PYTEST_TIMEOUT = importlib.util.find_spec("pytest_timeout") is not None


def pytest_addoption(parser: Any) -> None:
    # `--timeout/--timeout-method` are pytest-timeout's; it is not in requirements-dev.txt. Without
    # it they are accepted here: a test running longer than --timeout gets every thread's stack
    # printed (it is not killed: each network call in this suite has its own deadline).
    if not _HAS_PYTEST_TIMEOUT:
        group = parser.getgroup("hostile", "hostile-traffic suite (pytest-timeout stand-in)")
        group.addoption("--timeout", type=float, default=None, help="print stacks of a test running longer (seconds)")
        group.addoption("--timeout-method", default="thread", help="accepted for pytest-timeout compatibility")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "group(name): the results-table group of a test (default: the module's GROUP)")


def pytest_sessionstart(session: Any) -> None:
    _STARTED[0] = time.monotonic()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: Any) -> Iterator[None]:
    timeout: Optional[float] = None if _HAS_PYTEST_TIMEOUT else item.config.getoption("timeout", None)
    if timeout:
        faulthandler.dump_traceback_later(timeout, exit=False)
    try:
        yield
    finally:
        if timeout:
            faulthandler.cancel_dump_traceback_later()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[Any]:
    outcome: Any = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[REPORT] = report


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if ROWS:
        RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
        write_table(RESULTS_FILE, time.monotonic() - _STARTED[0])


# asyncio's word for a background task whose exception nobody handled.
UNSEEN_FAILURE = "Task exception was never retrieved"


@pytest.fixture(scope="session")
def server(request: Any) -> Iterator[Server]:
    """One stack for the hostile suite (a case that leaves Rasa hung or dead gets it restarted
    before the next, `row`). Its folder (logs, SQLite store) is our own, not pytest's basetemp,
    which a concurrent pytest run may rotate away; it is kept when a case failed."""
    require_model("test-hostile")
    workdir = Path(tempfile.mkdtemp(prefix="netbot-hostile-"))
    failed_before = request.session.testsfailed
    with started(Stack(workdir)) as stack:
        running = Server(stack)
        running.warm()
        try:
            yield running
        finally:
            running.finish()
    # Whatever the suite sent, nothing was left to fail unseen in the background.
    for log in ("rasa.log", "actions.log"):
        text = (workdir / log).read_text(errors="replace") if (workdir / log).exists() else ""
        assert UNSEEN_FAILURE not in text, f"{log}: {UNSEEN_FAILURE!r} (logs kept in {workdir})"
    if request.session.testsfailed == failed_before:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"\nhostile suite: server logs kept in {workdir}")


def _failure(report: Any) -> str:
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    message = str(getattr(crash, "message", "") or report.longrepr or "failed")
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    return first.removeprefix("AssertionError: ")[:300]


@pytest.fixture(autouse=True)
def row(request: Any, server: Server) -> Iterator[Row]:
    """This case's row; before it, Rasa is restarted if an earlier case left it hung."""
    callspec = getattr(request.node, "callspec", None)
    kind = callspec.id if callspec is not None else request.node.name.removeprefix("test_").replace("_", " ")
    marker = request.node.get_closest_marker("group")
    group = marker.args[0] if marker is not None else getattr(request.module, "GROUP", request.module.__name__)
    case = Row(group=str(group), kind=kind)
    ROWS.append(case)
    restarted = server.ensure(before=kind)
    if restarted:
        case.note(f"(Rasa restarted before this case: {restarted} after the previous one)")
    yield case
    report = request.node.stash.get(REPORT, None)
    if report is None:
        case.result = "error"
    elif report.passed:
        case.result = "pass"
    else:
        case.result = "FAIL"
        case.failure = _failure(report)

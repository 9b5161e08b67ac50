"""Start the real action server and Rasa server on free ports, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

import requests
import yaml

from bot.config import PROJECT_ROOT

BIN = Path(sys.executable).parent
MODEL = PROJECT_ROOT / "models" / "netbot.tar.gz"
CREDENTIALS = PROJECT_ROOT / "build" / "credentials.yml"


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


@dataclass
class Stack:
    workdir: Path
    rasa_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    processes: List[subprocess.Popen] = field(default_factory=list)
    env: Dict[str, str] = field(default_factory=dict)
    # Start both servers through bot/serving/launcher.py (the Procfile's launch command) instead of
    # plain `rasa run`; self.env then configures it (NETBOT_ENABLE_API, NETBOT_ACTIONS_TOKEN ...).
    launcher: bool = False
    # Merged into the generated endpoints file, e.g. {"tracker_store": {...}, "lock_store": {...}}.
    endpoints_extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    @property
    def db(self) -> Path:
        return self.workdir / "conversations.db"

    def _env(self, **defaults: str) -> Dict[str, str]:
        env = dict(os.environ)
        env.update({"PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"})
        env.update(defaults)
        env.update(self.env)
        return env

    def endpoints(self) -> Path:
        path = self.workdir / "endpoints.yml"
        config: Dict[str, Any] = {
            "action_endpoint": {"url": f"http://127.0.0.1:{self.actions_port}/webhook"},
            "tracker_store": {"type": "SQL", "dialect": "sqlite", "db": str(self.db)},
        }
        config.update(self.endpoints_extra)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def start_actions(self) -> subprocess.Popen:
        log = self.workdir / "actions.log"
        command = [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(self.actions_port)]
        if self.launcher:
            command = [str(BIN / "python"), "-m", "bot.serving.launcher", "actions"]
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=self._env(ACTIONS_PORT=str(self.actions_port)),
            stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.processes.append(process)
        wait_for(f"http://127.0.0.1:{self.actions_port}/health", 120, process, log)
        return process

    def start_rasa(self, credentials: Optional[Path] = None) -> subprocess.Popen:
        log = self.workdir / "rasa.log"
        command = [
            str(BIN / "rasa"), "run", "--model", str(MODEL), "--port", str(self.rasa_port),
            "--endpoints", str(self.endpoints()), "--credentials", str(credentials or CREDENTIALS),
            "--cors", "http://localhost:8080",
        ]
        env = self._env()
        if self.launcher:
            command = [str(BIN / "python"), "-m", "bot.serving.launcher", "rasa"]
            env = self._env(
                RASA_PORT=str(self.rasa_port), NETBOT_RASA_HOST="127.0.0.1", NETBOT_MODEL=str(MODEL),
                NETBOT_ENDPOINTS=str(self.endpoints()), NETBOT_CREDENTIALS=str(credentials or CREDENTIALS),
            )
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        wait_for(f"{self.webhook[: -len('/webhook')]}", 240, process, log)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        """SIGTERM (Sanic finishes what it is answering), then SIGKILL to the whole process group,
        so that no Sanic worker (SANIC_WORKERS > 1) outlives its server."""
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                self.stop(process)
            else:  # exited (or was killed by a test): its workers must not linger either
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def say(self, sender: str, message: str, **extra: Any) -> requests.Response:
        return requests.post(self.webhook, json={"sender": sender, "message": message, **extra}, timeout=60)


def require_model(target: str) -> None:
    """Fail (never skip) when there is no trained model; `target` is the make target that trains."""
    if not MODEL.exists():
        import pytest  # here: evaluation/evaluate.py and bench/run.py use this module without pytest

        pytest.fail(f"{MODEL} is missing: run `make train` first (make {target} does)")


@contextmanager
def started(stack: Stack, actions: bool = True, credentials: Optional[Path] = None) -> Iterator[Stack]:
    """`stack` with its action server (unless `actions` is false) and Rasa running; both are
    stopped at the end, whatever happened."""
    try:
        if actions:
            stack.start_actions()
        stack.start_rasa(credentials=credentials)
        yield stack
    finally:
        stack.stop_all()


@contextmanager
def page_server(port: int, env: Mapping[str, str]) -> Iterator[str]:
    """bot/web/server.py (the demo page, as `make run` serves it) in a thread; yields its address."""
    from bot.web.server import make_server

    server = make_server("127.0.0.1", port, env=env)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


def save_dated_conversations(ages_in_days: Dict[str, float], **store: Any) -> None:
    """Conversations written by Rasa's own SQL tracker store (`store`: its arguments), each a
    question and an answer dated `age` days ago (for the retention tests)."""
    import asyncio

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker_store = SQLTrackerStore(Domain.empty(), **store)
    now = time.time()

    async def save() -> None:
        for sender, age in ages_in_days.items():
            tracker = DialogueStateTracker(sender, [])
            tracker.update(UserUttered("what is a NET?", timestamp=now - age * 86400 - 60))
            tracker.update(BotUttered("A NET is ...", timestamp=now - age * 86400))
            await tracker_store.save(tracker)

    asyncio.run(save())
    tracker_store.engine.dispose()

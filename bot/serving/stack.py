"""The real action server and Rasa server on free loopback ports, started the shipped way.

Used by the tests (tests/servers.py re-exports it), `make eval` (evaluation/evaluate.py) and
`make bench` (bench/run.py, bench/ab.py). Both servers start through the one launch path,
`python -m bot.serving.launcher rasa|actions`, so what is measured and tested is what users get:
the request gate, the action timeout, CORS, the bounded action call, the speed-ups and the
credentials rendered at start. `env` configures the launcher (NETBOT_ENABLE_API,
NETBOT_ACTIONS_TOKEN, NETBOT_CORS_ORIGINS ...; bot/config.py).

Each stack is self-contained: its own SQLite file, endpoints file and rendered credentials in
`workdir`, and no .env file (NETBOT_ENV_FILE=none), so a developer's .env does not change a test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, TypeVar

import requests
import yaml

from bot.config import PROJECT_ROOT

BIN = Path(sys.executable).parent
MODEL = PROJECT_ROOT / "models" / "netbot.tar.gz"
LAUNCHER = [sys.executable, "-m", "bot.serving.launcher"]


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float, process: subprocess.Popen, log: Path) -> None:
    """Until `url` answers 200; fails with the end of `log` if `process` exits or time runs out."""
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


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM (Sanic finishes what it is answering), then SIGKILL to the whole process group,
    so that no Sanic worker (SANIC_WORKERS > 1) outlives its server."""
    if process.poll() is None:
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


@dataclass
class Stack:
    workdir: Path
    rasa_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    processes: List[subprocess.Popen] = field(default_factory=list)
    # Environment for both launcher processes, on top of this process's.
    env: Dict[str, str] = field(default_factory=dict)
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
        env.update(
            {
                "PYTHONPATH": str(PROJECT_ROOT),
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "RASA_TELEMETRY_ENABLED": "false",
                "NETBOT_ENV_FILE": "none",
                "NETBOT_BUILD_DIR": str(self.workdir / "build"),
            }
        )
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

    def _start(self, process: str, env: Dict[str, str]) -> subprocess.Popen:
        log = self.workdir / f"{process}.log"
        started = subprocess.Popen(
            [*LAUNCHER, process],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(started)
        return started

    def start_actions(self, wait: bool = True) -> subprocess.Popen:
        """The action server on this stack's port; `wait`: until it answers (else `wait_for_actions`)."""
        process = self._start("actions", self._env(ACTIONS_PORT=str(self.actions_port)))
        if wait:
            self.wait_for_actions(process)
        return process

    def wait_for_actions(self, process: subprocess.Popen) -> None:
        wait_for(f"http://127.0.0.1:{self.actions_port}/health", 120, process, self.workdir / "actions.log")

    def start_rasa(self, credentials: Optional[Path] = None) -> subprocess.Popen:
        """Rasa on this stack's port and endpoints; `credentials`: a ready file, else the
        launcher renders credentials.yml with this stack's environment (into workdir/build)."""
        env = self._env(
            RASA_PORT=str(self.rasa_port),
            NETBOT_RASA_HOST="127.0.0.1",
            NETBOT_MODEL=str(MODEL),
            NETBOT_ENDPOINTS=str(self.endpoints()),
        )
        if credentials is not None:
            env["NETBOT_CREDENTIALS"] = str(credentials)
        process = self._start("rasa", env)
        wait_for(f"{self.url}/webhooks/rest/", 240, process, self.workdir / "rasa.log")
        return process

    def stop(self, process: subprocess.Popen) -> None:
        stop_process(process)

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            stop_process(process)  # an exited one too: its workers must not linger either

    def say(self, sender: str, message: str, **extra: Any) -> requests.Response:
        return requests.post(self.webhook, json={"sender": sender, "message": message, **extra}, timeout=60)


S = TypeVar("S", bound=Stack)


@contextmanager
def started(stack: S, actions: bool = True, credentials: Optional[Path] = None) -> Iterator[S]:
    """`stack` with its action server (unless `actions` is false) and Rasa running; both are
    stopped at the end, whatever happened."""
    try:
        # Both load at once (Rasa needs the action server only when a message comes).
        action_server = stack.start_actions(wait=False) if actions else None
        stack.start_rasa(credentials=credentials)
        if action_server is not None:
            stack.wait_for_actions(action_server)
        yield stack
    finally:
        stack.stop_all()

"""Real PostgreSQL and Redis from the Debian packages, on loopback, in throw-away directories,
for the scale-out profile's tests (tests/scale) and `make bench --ours-profile scale`.

    python -m bot.serving.services install   # apt-get install them if they are missing

Each test run gets its own data directory and free ports, and everything is removed at stop():
nothing is left running and the system's own clusters (if any) are not touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.serving.stack import free_port

PACKAGES = ["postgresql", "redis-server"]


def _pg_bin() -> Optional[Path]:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def missing() -> List[str]:
    wanted = []
    if _pg_bin() is None:
        wanted.append("postgresql")
    if shutil.which("redis-server") is None:
        wanted.append("redis-server")
    return wanted


def install() -> None:
    """apt-get install PostgreSQL and Redis when they are not there (needs root or sudo)."""
    wanted = missing()
    if not wanted:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing {' '.join(wanted)} from the Debian archive", file=sys.stderr)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *wanted], check=True, env=env)
    # The packages' own services are not wanted (and cannot start without systemd anyway).
    if missing():
        raise RuntimeError(f"still missing after apt-get: {missing()}")


def _as_postgres(command: List[str], **kwargs) -> subprocess.CompletedProcess:
    """PostgreSQL refuses to run as root: drop to the `postgres` user the package created."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


@dataclass
class Postgres:
    port: int = field(default_factory=free_port)
    user: str = "netbot"
    password: str = "netbot-test-password"
    database: str = "netbot"
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="netbot-pg-")))

    @property
    def data(self) -> Path:
        return self.root / "data"

    def start(self) -> Postgres:
        bin_dir = _pg_bin()
        assert bin_dir is not None, "PostgreSQL is not installed"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        password_file = self.root / "superuser-password"
        password_file.write_text("postgres-test-password\n")
        if os.geteuid() == 0:
            shutil.chown(password_file, "postgres", "postgres")
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--pwfile",
                str(password_file),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        _as_postgres(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.root / "postgres.log"),
                "-w",
                "-t",
                "120",
                "-o",
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ]
        )
        self.psql(f"CREATE ROLE {self.user} LOGIN PASSWORD '{self.password}'")
        self.psql(f"CREATE DATABASE {self.database} OWNER {self.user}")
        return self

    def psql(self, sql: str, database: str = "postgres") -> str:
        bin_dir = _pg_bin()
        assert bin_dir is not None
        result = _as_postgres(
            [
                str(bin_dir / "psql"),
                "-h",
                str(self.root),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ]
        )
        return result.stdout

    def connect(self):  # type: ignore[no-untyped-def]
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password, dbname=self.database)

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def env(self) -> Dict[str, str]:
        return {
            "NETBOT_DB_HOST": "127.0.0.1",
            "NETBOT_DB_PORT": str(self.port),
            "NETBOT_DB_NAME": self.database,
            "NETBOT_DB_USER": self.user,
            "NETBOT_DB_PASSWORD": self.password,
        }

    def stop(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is not None and (self.data / "postmaster.pid").exists():
            try:
                _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
            except subprocess.CalledProcessError as error:
                print(error.stderr, file=sys.stderr)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Redis:
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="netbot-redis-")))
    process: Optional[subprocess.Popen] = None

    def start(self) -> Redis:
        log = (self.root / "redis.log").open("w")
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.root),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.root / "redis.log").read_text())
            try:
                if self.client().ping():
                    return self
            except Exception:
                time.sleep(0.2)
        raise RuntimeError("redis did not start")

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=1, socket_timeout=5)

    def env(self) -> Dict[str, str]:
        return {
            "NETBOT_REDIS_HOST": "127.0.0.1",
            "NETBOT_REDIS_PORT": str(self.port),
            "NETBOT_REDIS_PASSWORD": "",
            "NETBOT_REDIS_DB": "1",
        }

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["install"]:
        install()
        print("postgresql and redis-server are installed")
    else:
        raise SystemExit("usage: python -m bot.serving.services install")

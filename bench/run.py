"""`make bench`: our bot against Rasa's own starter bot, in the same run on the same machine.

    python bench/run.py [--users 1,10,50] [--messages 60,300,600] [--workdir DIR] [--keep]

1. Trains our model from config.yml + data (timed, under the shared training lock; into the
   bench's work folder, so models/netbot.tar.gz is left alone) and builds the peer: a fresh
   `rasa init --no-prompt` project, which trains Rasa's default pipeline and policies (timed).
2. Starts our action server + Rasa server (bot/serving/stack.py: the launcher, default profile:
   SQLite tracker store) and the peer's Rasa server (its defaults: in-memory tracker store, no action server).
3. Drives both over REST at 1, 10 and 50 concurrent users with the same fixed message mix (each
   user: conversations of the six messages in MIX, a new sender id per conversation), a fixed
   number of messages per level, after a short warm-up.
4. Prints and writes results/bench.md (and results/bench.json): p50/p95/p99 latency, sustained
   messages/s, peak RSS of every process, training time, model size, and ours/peer ratios.

A benchmark, not a test: nothing here fails on speed. Servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bot.serving.stack import BIN, Stack, free_port, wait_for  # noqa: E402

MIX = [
    "hello",
    "what is a neuroendocrine tumour?",
    "what are the symptoms of carcinoid syndrome?",
    "how are NETs treated?",
    "are you a bot?",
    "thanks, bye",
]
TRAIN_LOCK = ROOT / "models" / ".train.lock"  # the Makefile's: `make train` takes the same lock
TARGETS = "throughput >= 1.5x the peer at 50 users; single-user p50 <= 1.0x the peer's; Rasa server RSS <= 1.2 GB"


# Measured lever by lever (bench/ab.py, bench/profile_server.py): results/bench-levers.md.
LEVERS = "## Levers\n\nMeasured one at a time with bench/ab.py and bench/profile_server.py: results/bench-levers.md.\n"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def env() -> Dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }


class TrainLock:
    """The lock `make train` takes (flock models/.train.lock): one training at a time."""

    def __enter__(self) -> TrainLock:
        TRAIN_LOCK.parent.mkdir(parents=True, exist_ok=True)
        self.handle = TRAIN_LOCK.open("a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_: Any) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def run_timed(command: Sequence[str], cwd: Path, logfile: Path) -> float:
    with TrainLock():
        start = time.monotonic()
        with logfile.open("w") as out:
            subprocess.run(list(command), cwd=cwd, env=env(), stdout=out, stderr=subprocess.STDOUT, check=True)
        return time.monotonic() - start


def train_ours(workdir: Path) -> Path:
    out = workdir / "ours-model"
    log("training our model (rasa train --force, under the training lock) ...")
    seconds = run_timed(
        [str(BIN / "rasa"), "train", "--force", "--fixed-model-name", "netbot-bench", "--out", str(out), "--quiet"],
        ROOT,
        workdir / "ours-train.log",
    )
    model = out / "netbot-bench.tar.gz"
    log(f"ours trained in {seconds:.0f} s, {model.stat().st_size / 1e6:.1f} MB")
    RESULT["ours"]["train_s"], RESULT["ours"]["model_mb"] = seconds, model.stat().st_size / 1e6
    return model


def build_peer(workdir: Path) -> Path:
    project = workdir / "peer"
    project.mkdir()
    log("building the peer: rasa init --no-prompt (scaffold + training) ...")
    seconds = run_timed(
        [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)], project, workdir / "peer-init.log"
    )
    model = sorted((project / "models").glob("*.tar.gz"))[-1]
    log(f"peer built in {seconds:.0f} s, {model.stat().st_size / 1e6:.1f} MB")
    RESULT["peer"]["train_s"], RESULT["peer"]["model_mb"] = seconds, model.stat().st_size / 1e6
    return model


@dataclass
class Server:
    name: str
    webhook: str
    processes: Dict[str, subprocess.Popen] = field(default_factory=dict)

    def pids(self) -> Dict[str, List[int]]:
        """Each named process and its children (Sanic workers)."""
        found = {}
        for label, process in self.processes.items():
            children = subprocess.run(
                ["ps", "-o", "pid=", "--ppid", str(process.pid)], capture_output=True, text=True
            ).stdout.split()
            found[label] = [process.pid, *map(int, children)]
        return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time so far of these processes (and their exited children)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def default_endpoints_extra() -> Dict[str, Any]:
    """What endpoints.yml (the default profile) sets besides the action endpoint and the SQLite
    file, which the bench points at its own ports and folder: e.g. its lock store."""
    import yaml

    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
    store = config.get("tracker_store") or {}
    assert str(store.get("type", "")).lower() == "sql" and store.get("dialect") == "sqlite", store
    return {key: value for key, value in config.items() if key not in ("action_endpoint", "tracker_store")}


def start_ours(workdir: Path, model: Path, extra_env: Dict[str, str]) -> tuple[Server, Stack]:
    extra = {} if extra_env.get("NETBOT_PROFILE") == "scale" else default_endpoints_extra()
    stack = Stack(workdir / "ours", env={"NETBOT_MODEL": str(model), **extra_env}, endpoints_extra=extra)
    stack.workdir.mkdir()
    if extra_env.get("NETBOT_PROFILE") == "scale":
        stack.env["NETBOT_ACTIONS_URL"] = f"http://127.0.0.1:{stack.actions_port}/webhook"
    log("starting our action server and Rasa server (bot/serving/launcher.py) ...")
    try:
        actions = stack.start_actions()
        rasa = stack.start_rasa()
    except BaseException:
        stack.stop_all()
        raise
    return Server("ours", stack.webhook, {"rasa": rasa, "actions": actions}), stack


def start_peer(workdir: Path, model: Path) -> Server:
    port = free_port()
    logfile = workdir / "peer-run.log"
    log("starting the peer's Rasa server ...")
    process = subprocess.Popen(
        [str(BIN / "rasa"), "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1"],
        cwd=model.parent.parent,
        env=env(),
        stdout=logfile.open("w"),
        stderr=subprocess.STDOUT,
    )
    server = Server("peer", f"http://127.0.0.1:{port}/webhooks/rest/webhook", {"rasa": process})
    try:
        wait_for(f"http://127.0.0.1:{port}/webhooks/rest/", 600, process, logfile)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return server


async def drive(webhook: str, users: int, messages: int, tag: str) -> Dict[str, Any]:
    """`users` concurrent users share `messages` messages; each waits for its answer before the next."""
    latencies: List[float] = []
    errors: Dict[str, int] = {}
    budget = [messages]

    async def user(session: aiohttp.ClientSession, index: int) -> None:
        while True:
            sender = f"bench-{tag}-{index}-{uuid.uuid4().hex[:8]}"
            for text in MIX:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
                start = time.perf_counter()
                try:
                    async with session.post(webhook, json={"sender": sender, "message": text}) as response:
                        await response.read()
                        status = response.status
                except Exception as error:  # counted, never fatal for the benchmark
                    status = type(error).__name__  # type: ignore[assignment]
                latencies.append(time.perf_counter() - start)
                if status != 200:
                    errors[str(status)] = errors.get(str(status), 0) + 1

    timeout = aiohttp.ClientTimeout(total=300)
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(user(session, i) for i in range(users)))
        wall = time.perf_counter() - start
    return {"users": users, "latencies": latencies, "errors": errors, "wall_s": wall}


def summarise(parts: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """One level from its parts (the halves run before and after the other bot's)."""
    ordered = sorted(latency for part in parts for latency in part["latencies"])
    errors: Dict[str, int] = {}
    for part in parts:
        for key, value in part["errors"].items():
            errors[key] = errors.get(key, 0) + value
    wall = sum(part["wall_s"] for part in parts)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    cpu: Dict[str, float] = {}
    for part in parts:
        for label, seconds in part["cpu_s"].items():
            cpu[label] = cpu.get(label, 0.0) + seconds
    return {
        "users": parts[0]["users"],
        "messages": len(ordered),
        "errors": errors,
        "wall_s": wall,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "mean_ms": statistics.fmean(ordered) * 1000,
        "msgs_per_s": len(ordered) / wall,
        "cpu_ms_per_msg": {label: seconds * 1000 / len(ordered) for label, seconds in cpu.items()},
        "load": [part["load"] for part in parts],
    }


def measure(server: Server, users: int, messages: int, tag: str) -> Dict[str, Any]:
    """Drive `server` and record the CPU time its processes spent and the machine's load."""
    pids = server.pids()
    before = {label: cpu_seconds(ids) for label, ids in pids.items()}
    load_before = load()
    part = asyncio.run(drive(server.webhook, users, messages, tag))
    part["cpu_s"] = {label: cpu_seconds(ids) - before[label] for label, ids in pids.items()}
    part["load"] = [load_before, load()]
    return part


RESULT: Dict[str, Dict[str, Any]] = {"ours": {"levels": {}}, "peer": {"levels": {}}}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def report(levels: Sequence[int], config: Dict[str, Any]) -> str:
    ours, peer = RESULT["ours"], RESULT["peer"]
    lines = [
        "# Benchmark: our bot vs Rasa's starter bot (`rasa init`)",
        "",
        f"Same run, same machine ({platform.node()}, {os.cpu_count()} CPUs, load average at start "
        f"{config['load_start']}, at end {config['load_end']}). Generated by `make bench` (bench/run.py) "
        f"on {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        f"Message mix per conversation (a new sender each time, the same texts for both bots): {', '.join(repr(m) for m in MIX)}.",
        f"Ours: {config['ours_setup']}. Peer: `rasa init --no-prompt` as generated (default NLU pipeline and "
        "policies: DIET, ResponseSelector, TED, UnexpecTED, Memoization, Rule; in-memory tracker store, no action server).",
        "",
        "Each level runs ours, peer, peer, ours (half the messages each time), so load changes weigh on both. "
        "CPU ms/msg: CPU time the bot's server processes spent per message during the level (Rasa; + action "
        "server for ours), which depends less on the other jobs on the machine than latency does.",
        "",
        "| users | bot | messages | errors | p50 ms | p95 ms | p99 ms | msgs/s | CPU ms/msg | load (1 min) during level |",
        "|------:|-----|---------:|-------:|-------:|-------:|-------:|-------:|-----------:|------|",
    ]
    for users in levels:
        for name in ("ours", "peer"):
            level = RESULT[name]["levels"][users]
            errors = sum(level["errors"].values())
            cpu = level["cpu_ms_per_msg"]
            cpu_cell = " + ".join(f"{cpu[label]:.0f}" for label in ("rasa", "actions") if label in cpu)
            loads = ", ".join(f"{part[0].split()[0]}-{part[1].split()[0]}" for part in level["load"])
            lines.append(
                f"| {users} | {name} | {level['messages']} | {errors} | {level['p50_ms']:.0f} | {level['p95_ms']:.0f} | "
                f"{level['p99_ms']:.0f} | {level['msgs_per_s']:.1f} | {cpu_cell} | {loads} |"
            )
    lines += [
        "",
        "Ratios ours/peer (latency: lower is better; throughput: higher is better):",
        "",
        "| users | p50 | p95 | p99 | msgs/s |",
        "|------:|----:|----:|----:|-------:|",
    ]
    for users in levels:
        o, p = ours["levels"][users], peer["levels"][users]
        lines.append(
            f"| {users} | {ratio(o['p50_ms'], p['p50_ms'])} | {ratio(o['p95_ms'], p['p95_ms'])} | "
            f"{ratio(o['p99_ms'], p['p99_ms'])} | {ratio(o['msgs_per_s'], p['msgs_per_s'])} |"
        )
    lines += [
        "",
        "| | ours | peer | ours/peer |",
        "|---|---:|---:|---:|",
        f"| training time (s) | {_seconds(ours['train_s'])} | {_seconds(peer['train_s'])} | "
        f"{ratio(ours['train_s'], peer['train_s']) if ours['train_s'] and peer['train_s'] else 'n/a'} |",
        f"| model size (MB) | {ours['model_mb']:.1f} | {peer['model_mb']:.1f} | {ratio(ours['model_mb'], peer['model_mb'])} |",
    ]
    for label in ("rasa", "actions"):
        o = ours["rss_mb"].get(label)
        p = peer["rss_mb"].get(label)
        if o is None and p is None:
            continue
        lines.append(
            f"| peak RSS {label} server (MB) | {_rss_cell(o)} | {_rss_cell(p)} | {ratio(sum(o), sum(p)) if o and p else 'n/a'} |"
        )
    rasa_ours = sum(ours["rss_mb"]["rasa"])
    total_ours = sum(sum(v) for v in ours["rss_mb"].values())
    total_peer = sum(sum(v) for v in peer["rss_mb"].values())
    lines.append(f"| peak RSS, all processes (MB) | {total_ours:.0f} | {total_peer:.0f} | {ratio(total_ours, total_peer)} |")
    top = max(levels)
    single = min(levels)
    goals = [
        (
            f"throughput at {top} users >= 1.5x peer",
            ours["levels"][top]["msgs_per_s"] / peer["levels"][top]["msgs_per_s"] >= 1.5,
            ratio(ours["levels"][top]["msgs_per_s"], peer["levels"][top]["msgs_per_s"]),
        ),
        (
            f"p50 at {single} user <= 1.0x peer",
            ours["levels"][single]["p50_ms"] <= peer["levels"][single]["p50_ms"],
            ratio(ours["levels"][single]["p50_ms"], peer["levels"][single]["p50_ms"]),
        ),
        ("Rasa server peak RSS <= 1.2 GB (all its processes together)", rasa_ours <= 1200, f"{rasa_ours:.0f} MB"),
    ]
    lines += ["", f"Targets ({TARGETS}):", ""]
    lines += [f"- {'met' if ok else 'NOT met'}: {name} ({value})" for name, ok, value in goals]
    return "\n".join(lines) + "\n\n" + LEVERS


def _seconds(value: Optional[float]) -> str:
    return f"{value:.0f}" if value else "not measured (model given with --ours-model/--peer-model)"


def _rss_cell(values: Optional[List[float]]) -> str:
    if not values:
        return "-"
    return " + ".join(f"{v:.0f}" for v in values) if len(values) > 1 else f"{values[0]:.0f}"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="1,10,50")
    parser.add_argument("--messages", default="60,300,600", help="messages per level (bounded)")
    parser.add_argument("--warmup", type=int, default=12, help="messages per bot before measuring")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--ours-model", type=Path, default=None, help="skip our training, use this model")
    parser.add_argument("--peer-model", type=Path, default=None, help="skip rasa init, use this peer model")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--ours-profile",
        choices=["default", "scale"],
        default="default",
        help="scale: our Rasa on endpoints.scale.yml with PostgreSQL + Redis (started here) and SANIC_WORKERS",
    )
    parser.add_argument("--ours-workers", type=int, default=2, help="SANIC_WORKERS with --ours-profile scale")
    args = parser.parse_args(argv)
    levels = [int(u) for u in args.users.split(",")]
    counts = [int(m) for m in args.messages.split(",")]
    assert len(levels) == len(counts), "--users and --messages need the same number of items"
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="netbot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    config: Dict[str, Any] = {"load_start": load(), "load_end": "-"}
    extra_env = {k[len("BENCH_OURS_") :]: v for k, v in os.environ.items() if k.startswith("BENCH_OURS_")}
    config["ours_setup"] = (
        "bot/serving/launcher.py (action server + Rasa, default profile: SQLite tracker store with the per-turn speed-ups "
        "of NETBOT_SPEEDUPS (bot/serving/stores/sqlite_tracker_store.py, action responses checked by a validator built once), "
        "in-memory lock store, 1 Sanic worker" + (f"; extra environment {extra_env}" if extra_env else "") + ")"
    )
    stack: Optional[Stack] = None
    servers: List[Server] = []
    services: List[Any] = []
    try:
        if args.ours_profile == "scale":
            from bot.serving.services import Postgres, Redis, install

            install()
            postgres, redis = Postgres().start(), Redis().start()
            services += [postgres, redis]
            extra_env.update(
                NETBOT_PROFILE="scale",
                NETBOT_ENDPOINTS="",
                SANIC_WORKERS=str(args.ours_workers),
                **postgres.env(),
                **redis.env(),
            )
            config["ours_setup"] = (
                f"bot/serving/launcher.py, scale profile: PostgreSQL tracker store, Redis lock store, "
                f"SANIC_WORKERS={args.ours_workers} (PostgreSQL and Redis on this machine too)"
            )
        if args.ours_model:
            RESULT["ours"].update(train_s=None, model_mb=args.ours_model.stat().st_size / 1e6)
        ours_model = args.ours_model or train_ours(workdir)
        if args.peer_model:
            RESULT["peer"].update(train_s=None, model_mb=args.peer_model.stat().st_size / 1e6)
        peer_model = args.peer_model or build_peer(workdir)
        ours, stack = start_ours(workdir, ours_model, extra_env)
        peer = start_peer(workdir, peer_model)
        servers = [ours, peer]
        for server in servers:
            asyncio.run(drive(server.webhook, 1, args.warmup, "warmup"))
        for users, count in zip(levels, counts, strict=True):
            # ABBA: each bot runs half its messages before and half after the other's, so a
            # change in the machine's load during the level weighs on both alike.
            first, second = count // 2, count - count // 2
            parts: Dict[str, List[Dict[str, Any]]] = {server.name: [] for server in servers}
            for server, messages in ((servers[0], first), (servers[1], first), (servers[1], second), (servers[0], second)):
                if messages:
                    log(f"{server.name}: {users} users, {messages} messages (load {load()}) ...")
                    parts[server.name].append(measure(server, users, messages, f"{server.name}{users}"))
            for server in servers:
                level = RESULT[server.name]["levels"][users] = summarise(parts[server.name])
                log(
                    f"  {server.name}: p50 {level['p50_ms']:.0f} ms, p95 {level['p95_ms']:.0f} ms, {level['msgs_per_s']:.1f} msgs/s, "
                    f"CPU ms/msg {level['cpu_ms_per_msg']}, errors {level['errors']}"
                )
        for server in servers:
            RESULT[server.name]["rss_mb"] = {label: [peak_rss_mb(pid) for pid in pids] for label, pids in server.pids().items()}
        config["load_end"] = load()
    finally:
        if stack is not None:
            stack.stop_all()
        for server in servers[1:]:  # the peer (ours is stopped by its Stack)
            for process in server.processes.values():
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        for service in reversed(services):
            service.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(levels, config)
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    (out / "bench.md").write_text(text, encoding="utf-8")
    (out / "bench.json").write_text(json.dumps({"config": config, **RESULT}, indent=2, default=str), encoding="utf-8")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A/B one lever at a time: our servers only, one variant after another, same messages.

    python bench/ab.py --model models/netbot.tar.gz --users 1 --messages 120 \\
        none:NETBOT_SPEEDUPS=none validator:NETBOT_SPEEDUPS=validator all:NETBOT_SPEEDUPS=all

Each variant is `label:VAR=value;VAR=value` (environment for bot/serving/launcher.py). For each, it starts
the action server and Rasa (bot/serving/launcher.py, SQLite tracker store in a fresh folder), warms up,
drives bench/run.py's message mix, and prints one JSON line: p50/mean latency, msgs/s, CPU ms per
message of each server (user + system time from /proc: steadier than latency on a shared machine),
peak RSS and the load average. Run it under `flock /tmp/netbot-heavy.lock`; repeat variants
(A B A B) to see the noise. A measuring tool, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import Server, cpu_seconds, default_endpoints_extra, drive, load, peak_rss_mb  # noqa: E402
from bot.serving.stack import Stack  # noqa: E402


def variant(spec: str) -> tuple[str, Dict[str, str]]:
    label, _, assignments = spec.partition(":")
    env = dict(item.split("=", 1) for item in assignments.split(";") if item)
    return label, env


def run(label: str, env: Dict[str, str], model: Path, users: int, messages: int, warmup: int) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="netbot-ab-") as folder:
        stack = Stack(Path(folder), env={"NETBOT_MODEL": str(model), **env}, endpoints_extra=default_endpoints_extra())
        try:
            actions = stack.start_actions()
            rasa = stack.start_rasa()
            server = Server(label, stack.webhook, {"rasa": rasa, "actions": actions})
            asyncio.run(drive(server.webhook, 1, warmup, "warmup"))
            pids = server.pids()
            before = {name: cpu_seconds(ids) for name, ids in pids.items()}
            load_before = load()
            part = asyncio.run(drive(server.webhook, users, messages, label))
            cpu = {name: (cpu_seconds(ids) - before[name]) * 1000 / messages for name, ids in pids.items()}
            ordered: List[float] = sorted(part["latencies"])
            return {
                "label": label,
                "env": env,
                "users": users,
                "messages": len(ordered),
                "errors": part["errors"],
                "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
                "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
                "msgs_per_s": round(len(ordered) / part["wall_s"], 1),
                "cpu_ms_per_msg": {name: round(value, 1) for name, value in cpu.items()},
                "peak_rss_mb": {name: [round(peak_rss_mb(pid)) for pid in ids] for name, ids in server.pids().items()},
                "load": [load_before, load()],
            }
        finally:
            stack.stop_all()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", help="label:VAR=value;VAR=value")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "netbot.tar.gz")
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--messages", type=int, default=120)
    parser.add_argument("--warmup", type=int, default=24)
    args = parser.parse_args(argv)
    for spec in args.variants:
        label, env = variant(spec)
        print(json.dumps(run(label, env, args.model.resolve(), args.users, args.messages, args.warmup)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

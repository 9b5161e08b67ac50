"""Profile one of our servers while it answers, without its start-up.

    python bench/profile_server.py rasa|actions OUT.prof      # same environment as bot/serving/launcher.py
    kill -USR1 <pid>    # start profiling (after warm-up)
    kill -USR2 <pid>    # stop and write OUT.prof (pstats); the server keeps running

Runs `bot/serving/launcher.py <process>` in this process under cProfile (wall-clock timer, so time spent
blocked on SQLite or the network counts too). A measuring tool for bench/, never used in
production. Read the result with `python -m pstats OUT.prof` or bench/profile_report.py.
"""

from __future__ import annotations

import cProfile
import signal
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.serving import launcher as serve  # noqa: E402


def main() -> int:
    process, out = sys.argv[1], Path(sys.argv[2])
    profiler = cProfile.Profile()

    def start(*_: Any) -> None:
        profiler.enable()

    def stop(*_: Any) -> None:
        profiler.disable()
        profiler.dump_stats(str(out))
        print(f"profile_server: wrote {out}", file=sys.stderr, flush=True)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    return serve.main([process])


if __name__ == "__main__":
    raise SystemExit(main())

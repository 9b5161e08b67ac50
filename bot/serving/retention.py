"""Delete conversations older than N days from the tracker store (SQLite or PostgreSQL).

    python bot/serving/retention.py --days 30            # or: make purge-old DAYS=30
    python bot/serving/retention.py --dry-run            # count only; days from NETBOT_RETENTION_DAYS

A conversation is old when its latest event is older than N days; all of its events go. The
tracker store is the one the server uses: the endpoints file bot/serving/launcher.py would pick
(NETBOT_ENDPOINTS, or endpoints.$NETBOT_PROFILE.yml, else endpoints.yml), with its ${VARIABLES}
filled from the environment the same way Rasa fills them. Run it daily (cron, or the CronJob in
deploy/kubernetes/); it is safe next to running servers.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # also run as a file (python bot/serving/launcher.py)
    sys.path.insert(0, str(ROOT))


def tracker_store_config(endpoints: Path) -> Dict[str, Any]:
    from rasa.shared.utils.io import read_config_file

    config = read_config_file(str(endpoints)) or {}  # expands ${VARIABLES} like Rasa does
    store = config.get("tracker_store") or {}
    if str(store.get("type", "")).lower() not in ("sql",):
        raise SystemExit(f"retention: {endpoints} has no SQL tracker_store (found {store.get('type')!r})")
    return dict(store)


def database_url(store: Dict[str, Any]) -> Any:
    from rasa.core.tracker_store import SQLTrackerStore

    return SQLTrackerStore.get_db_url(
        store.get("dialect", "sqlite"),
        store.get("url"),
        store.get("port"),
        store.get("db", "rasa.db"),
        store.get("username"),
        store.get("password"),
        query=store.get("query"),
    )


def purge(url: Any, days: float, dry_run: bool = False, now: Optional[float] = None) -> Tuple[int, int]:
    """(conversations, events) deleted (or that would be, with dry_run)."""
    import sqlalchemy as sa

    cutoff = (now if now is not None else time.time()) - days * 86400
    engine = sa.create_engine(url, hide_parameters=True)
    old = sa.text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff")
    with engine.begin() as connection:
        if not sa.inspect(connection).has_table("events"):
            return 0, 0
        senders: List[str] = [row[0] for row in connection.execute(old, {"cutoff": cutoff})]
        events = 0
        for start in range(0, len(senders), 500):
            batch = senders[start : start + 500]
            where = sa.text("sender_id IN :senders").bindparams(sa.bindparam("senders", expanding=True))
            count = sa.select(sa.func.count()).select_from(sa.table("events")).where(where)
            events += int(connection.execute(count, {"senders": batch}).scalar() or 0)
            if not dry_run:
                connection.execute(sa.delete(sa.table("events")).where(where), {"senders": batch})
    engine.dispose()
    return len(senders), events


def main(argv: Optional[List[str]] = None) -> int:
    from bot.config import load_env_file, settings
    from bot.serving.launcher import endpoints_source

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=float, default=None, help="default: NETBOT_RETENTION_DAYS (bot/config.py)")
    parser.add_argument("--endpoints", type=Path, default=None, help="default: what bot/serving/launcher.py would use")
    parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    args = parser.parse_args(argv)
    load_env_file()
    days = args.days if args.days is not None else settings().retention_days
    if days <= 0:
        raise SystemExit("retention: --days must be more than 0")
    endpoints = args.endpoints or endpoints_source(os.environ)
    os.chdir(ROOT)  # a relative SQLite path means the same file as for the server
    store = tracker_store_config(endpoints)
    conversations, events = purge(database_url(store), days, args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"retention: {verb} {conversations} conversations ({events} events) inactive for more than {days:g} days "
        f"from the {store.get('dialect', 'sqlite')} tracker store of {endpoints.name}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

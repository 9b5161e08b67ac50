"""Rasa's SQL tracker store on SQLite, made cheap per turn. Installed by bot/serving/launcher.py.

endpoints.yml keeps Rasa's own `type: SQL, dialect: sqlite` (so `rasa shell`, `rasa test` and
bot/serving/retention.py read the same file); bot/serving/launcher.py makes Rasa build this subclass for it.
Profiled on one turn of our bot (bench/profile_server.py; the numbers are in
results/bench-levers.md), stock SQLTrackerStore spent time on:

- every save's `COMMIT`: SQLite's default rollback journal with synchronous=FULL fsyncs
  the database and its journal on every commit. Here the database is in WAL mode with
  synchronous=NORMAL: a commit is still atomic and survives a crash of Rasa (the tests/faults
  crash test), only an operating-system crash or power cut can lose the last commits.
- a new SQLite connection for every session (SQLAlchemy 1.4 uses NullPool for SQLite files):
  here one pooled connection is reused.
- the whole current session's events read back, parsed and replayed into a new tracker on every
  message (`retrieve`), and an ORM `count()` query on every save (which events are new).
  Here the tracker Rasa saved is kept in memory and handed back on the next message of that
  conversation, but only after one indexed query proves the stored conversation has not changed
  since (same number of rows, same first and last row id): another process (a second Sanic
  worker, bot/serving/retention.py) that wrote or deleted the conversation meanwhile makes it read
  from the database exactly as Rasa does. A cached tracker is handed out once (taken out of the
  cache): a turn that fails before saving leaves nothing stale behind. Only a tracker whose
  events are exactly what `retrieve` would read back is kept (not one where a new session
  started during the turn).

Any other dialect (PostgreSQL in endpoints.scale.yml) gets Rasa's class unchanged.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Optional, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

# (number of stored events, lowest id, highest id) of one conversation, over all its sessions.
Stamp = Tuple[int, Optional[int], Optional[int]]
CACHED_CONVERSATIONS = 2000
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=10000")


@dataclass
class _Known:
    tracker: DialogueStateTracker
    stamp: Stamp
    stored: int  # how many of tracker.events are in the database


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


class FastSQLiteTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` (same tables, same rows, same configuration keys), cheap on SQLite."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        engine: Any = self.engine  # type: ignore[has-type]
        self.fast = engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")
        # Trackers saved by this process, ready for the conversation's next message.
        self._cache: OrderedDict[str, _Known] = OrderedDict()
        # Trackers handed out by retrieve, by conversation: what the database held then.
        self._out: OrderedDict[str, _Known] = OrderedDict()
        if not self.fast:
            return
        url = engine.url
        engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            pool_size=1,
            max_overflow=8,
            pool_pre_ping=False,
            connect_args={"check_same_thread": False},
        )
        sa.event.listen(self.engine, "connect", _set_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        with self.engine.connect() as connection:  # WAL is a property of the file: set it now
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        logger.debug("SQLite tracker store %s: journal_mode=%s", url.database, mode)

    # -------------------------------------------------------------- bookkeeping -----------
    def _stamp(self, session: Any, sender_id: str) -> Stamp:
        row = session.execute(
            sa.text("SELECT count(*), min(id), max(id) FROM events WHERE sender_id = :sender"), {"sender": sender_id}
        ).one()
        return int(row[0]), row[1], row[2]

    @staticmethod
    def _remember(table: OrderedDict[str, _Known], sender_id: str, known: _Known) -> None:
        table[sender_id] = known
        table.move_to_end(sender_id)
        while len(table) > CACHED_CONVERSATIONS:
            table.popitem(last=False)

    @staticmethod
    def _is_what_retrieve_reads(tracker: DialogueStateTracker) -> bool:
        """True if `retrieve` would read back exactly tracker.events: the stored events from the
        latest SessionStarted on (by timestamp), or all of them when there is none."""
        starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
        if not starts:
            return True
        latest = max(starts)
        return all(event.timestamp >= latest for event in tracker.events)

    # -------------------------------------------------------------- TrackerStore ----------
    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        if not self.fast:
            return await super().retrieve(sender_id)
        cached = self._cache.pop(sender_id, None)
        with self.session_scope() as session:
            stamp = self._stamp(session, sender_id)
            if cached is not None and cached.stamp == stamp and len(cached.tracker.events) == cached.stored:
                self._remember(self._out, sender_id, cached)
                return cached.tracker
            # What SQLTrackerStore._retrieve does, counting the rows it read.
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            events = [json.loads(row.data) for row in rows]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        self._remember(self._out, sender_id, _Known(tracker, stamp, len(rows)))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not self.fast:
            await super().save(tracker)
            return
        sender_id = tracker.sender_id
        out = self._out.pop(sender_id, None)
        self._cache.pop(sender_id, None)
        await self.stream_events(tracker)
        events = list(tracker.events)
        with self.session_scope() as session:
            if out is not None and out.tracker is tracker and self._stamp(session, sender_id) == out.stamp:
                stored = out.stored  # the database has not changed since this tracker was read
            else:
                stored = self._stored_in_current_session(session, tracker)
            for event in events[stored:]:
                session.add(self._row(sender_id, event))
            session.flush()
            # Inside the write transaction: no other writer can change the rows before COMMIT.
            stamp = self._stamp(session, sender_id)
            session.commit()
        if self._is_what_retrieve_reads(tracker):
            self._remember(self._cache, sender_id, _Known(tracker, stamp, len(events)))
        logger.debug("Tracker with sender_id '%s' stored to database", sender_id)

    def _stored_in_current_session(self, session: Any, tracker: DialogueStateTracker) -> int:
        """Rasa's own count (SQLTrackerStore._additional_events)."""
        return int(self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count())

    def _row(self, sender_id: str, event: Any) -> Any:
        data: Dict[str, Any] = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    def forget(self, sender_ids: Iterable[str]) -> None:
        """Drop cached trackers (not needed for correctness: every use checks the database)."""
        for sender_id in sender_ids:
            self._cache.pop(sender_id, None)
            self._out.pop(sender_id, None)


def install() -> None:
    """Make Rasa build FastSQLiteTrackerStore for `tracker_store: {type: SQL, ...}` in this process."""
    import rasa.core.tracker_store as rasa_tracker_store

    rasa_tracker_store.SQLTrackerStore = FastSQLiteTrackerStore  # type: ignore[misc]

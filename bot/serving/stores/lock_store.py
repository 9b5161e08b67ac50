"""Rasa's Redis lock store, with atomic ticket updates. Used by endpoints.scale.yml.

Rasa Open Source 3.6's RedisLockStore issues and returns tickets by reading the lock's JSON,
changing it in Python and writing it back. Two replicas (or two Sanic workers) that receive a
message of the same conversation at the same moment both read "no tickets", both take ticket
0, both think they hold the lock, and both process the conversation at once: one turn is then
silently missing from the tracker store (the SQL store appends only events beyond the count it
already holds). `make test-scale` showed exactly that with the stock class.

Here every read-change-write of a lock is one Redis transaction (WATCH/MULTI/EXEC, retried on
conflict), and an empty lock is deleted in the same transaction, so tickets are unique and a
ticket issued by another process is never thrown away. Same configuration keys as Rasa's
`type: redis` lock store.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional, Tuple, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_ATTEMPTS = 1000


class AtomicRedisLockStore(RedisLockStore):
    """`lock_store: {type: bot.serving.stores.lock_store.AtomicRedisLockStore, url: ..., port: ...}`"""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        for name in ("port", "db"):
            if isinstance(kwargs.get(name), str) and kwargs[name].strip():
                kwargs[name] = int(kwargs[name])
        if kwargs.get("password") == "":
            kwargs["password"] = None
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]) -> T:
        """Apply `change` to the stored lock in one transaction; return what it returns."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None or not new_lock.tickets:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # someone else changed this lock meanwhile: read it again
                finally:
                    pipe.reset()
        raise LockError(f"Could not update the lock of a conversation after {MAX_ATTEMPTS} attempts.")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, change)
        except LockError:
            raise
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # finish_serving deletes the lock when no ticket is left, in the same transaction.
        self.finish_serving(conversation_id, ticket_number)

    def save_lock(self, lock: TicketLock) -> None:
        self._change(lock.conversation_id, lambda _: (lock, None))

    def delete_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda _: (None, None))

"""Scale-out profile, for real: PostgreSQL tracker store + Redis lock store, two Rasa replicas
(SANIC_WORKERS=2 each, endpoints.scale.yml through bot/serving/launcher.py) and one action server that
answers only requests carrying the shared NETBOT_ACTIONS_TOKEN.

Messages of the same conversations go to both replicas concurrently; the events PostgreSQL holds
afterwards must show every message exactly once, in order, each turn whole (user message, then
action_answer and its one reply, before the next user message), and the replies the clients got
must be those stored replies. Then replica A is stopped in the middle of the load and the same
conversations carry on on replica B, context (subject, region) included.
Then bot/serving/retention.py (make purge-old) deletes the old conversations from PostgreSQL, and only
those, while replica B runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

import pytest
import requests

from bot.config import PROJECT_ROOT
from bot.knowledge import get_knowledge_base
from bot.serving.services import Postgres, Redis, install
from tests.servers import BIN, Stack, require_model, save_dated_conversations

KB = get_knowledge_base()
APOLOGY = KB.messages["error"][:60]

# One conversation: typed questions and button payloads (these do not depend on the NLU model,
# which others retrain). Replies 3 and 5 depend on what earlier messages (on the other replica)
# left in the conversation: the subject, then the region.
SCRIPT = [
    "hello",
    '/ask_definition{"condition":"carcinoid_syndrome"}',
    "/ask_symptoms",
    '/inform_region{"region":"canada"}',
    "/find_specialist",
    "what causes NETs?",
    "thank you",
]
# The subject carried to turn 2, and the region to turn 4 (a later reply: the compact referral line).
CONTEXT_CHECKS = {
    2: "The main symptoms of carcinoid syndrome",
    4: "Find a NET specialist: Canadian Cancer Society, 1-888-939-3333",
}
ACTIONS_TOKEN = "scale-actions-token-" + uuid.uuid4().hex


@dataclass
class Cluster:
    postgres: Postgres
    redis: Redis
    actions: Stack
    a: Stack
    b: Stack
    a_process: subprocess.Popen
    replicas: List[Tuple[Stack, subprocess.Popen]] = field(default_factory=list)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    require_model("test-scale")
    install()
    postgres, redis = Postgres(), Redis()
    stacks: List[Stack] = []
    try:
        postgres.start()
        redis.start()
        # The action service needs the shared token, as deployed (deploy/kubernetes).
        token = {"NETBOT_ACTIONS_TOKEN": ACTIONS_TOKEN}
        actions = Stack(tmp_path_factory.mktemp("actions"), env=token)
        stacks.append(actions)
        actions.start_actions()
        env = {
            # The real profile file, chosen the documented way.
            "NETBOT_ENDPOINTS": "",
            "NETBOT_PROFILE": "scale",
            **token,
            "NETBOT_ACTIONS_URL": f"http://127.0.0.1:{actions.actions_port}/webhook",
            "SANIC_WORKERS": "2",
            **postgres.env(),
            **redis.env(),
        }
        a = Stack(tmp_path_factory.mktemp("replica-a"), actions_port=actions.actions_port, env=env)
        b = Stack(tmp_path_factory.mktemp("replica-b"), actions_port=actions.actions_port, env=env)
        stacks += [a, b]
        # One after the other: the first creates the tables.
        a_process = a.start_rasa()
        b_process = b.start_rasa()
        yield Cluster(postgres, redis, actions, a, b, a_process, [(a, a_process), (b, b_process)])
    finally:
        for stack in reversed(stacks):
            stack.stop_all()
        redis.stop()
        postgres.stop()


def post(stack: Stack, sender: str, text: str) -> str:
    # A new connection per message (no keep-alive), as from separate users behind a balancer.
    response = requests.post(
        stack.webhook, json={"sender": sender, "message": text}, headers={"Connection": "close"}, timeout=180
    )
    assert response.status_code == 200, response.text
    messages = response.json()
    assert len(messages) == 1, messages
    return str(messages[0]["text"])


def stored_events(postgres: Postgres, senders: List[str]) -> Dict[str, List[dict]]:
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT sender_id, type_name, action_name, data FROM events WHERE sender_id = ANY(%s) ORDER BY id",
            (senders,),
        )
        rows = cursor.fetchall()
    events: Dict[str, List[dict]] = {s: [] for s in senders}
    for sender, type_name, action_name, data in rows:
        events[sender].append({"type": type_name, "action": action_name, **json.loads(data)})
    return events


def turns(events: List[dict]) -> List[Tuple[str, List[str]]]:
    """[(user text, [bot texts])], checking that no turn is interleaved with another."""
    result: List[Tuple[str, List[str]]] = []
    for event in events:
        if event["type"] == "user":
            result.append((event["text"], []))
        elif event["type"] == "bot":
            assert result, "a bot message before any user message"
            result[-1][1].append(event["text"])
    # Between two user messages: action_answer ran and sent exactly one reply.
    current: Optional[List[str]] = None
    for event in events:
        if event["type"] == "user":
            assert current is None or current == ["action_answer"], f"turn not whole: {current}"
            current = []
        elif event["type"] == "action" and current is not None and event["action"] != "action_listen":
            current.append(event["action"])
    assert current in (None, ["action_answer"]), f"last turn not whole: {current}"
    for text, bot in result:
        assert len(bot) == 1, f"{text!r} got {len(bot)} stored replies"
    return result


def test_replicas_reach_the_action_service_with_the_shared_token_only(cluster):
    url = f"http://127.0.0.1:{cluster.actions.actions_port}/webhook"
    assert requests.post(url, json={"next_action": "action_answer"}, timeout=30).status_code == 401
    # The replicas send it (Rasa fills ${NETBOT_ACTIONS_TOKEN} in): real answers, not the apology.
    for replica in (cluster.a, cluster.b):
        assert post(replica, f"scale-token-{uuid.uuid4().hex[:8]}", SCRIPT[1]).startswith("Carcinoid syndrome is")


def test_each_replica_runs_two_sanic_workers(cluster):
    for _, process in cluster.replicas:
        children = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(process.pid)], capture_output=True, text=True)
        workers = [line for line in children.stdout.splitlines() if "bot.serving.launcher rasa" in line]
        assert len(workers) == 2, children.stdout


def test_interleaved_conversations_over_both_replicas_keep_every_event_once_and_in_order(cluster):
    senders = [f"scale-{uuid.uuid4().hex[:10]}" for _ in range(12)]
    replies: Dict[str, List[str]] = {}

    def converse(index: int) -> None:
        sender = senders[index]
        replies[sender] = []
        for k, text in enumerate(SCRIPT):
            replica = (cluster.a, cluster.b)[(index + k) % 2]  # every next message on the other one
            replies[sender].append(post(replica, sender, text))

    with ThreadPoolExecutor(max_workers=len(senders)) as pool:
        list(pool.map(converse, range(len(senders))))

    events = stored_events(cluster.postgres, senders)
    for sender in senders:
        stored = turns(events[sender])
        assert [text for text, _ in stored] == SCRIPT, sender
        assert [bot[0] for _, bot in stored] == replies[sender]
        for k, start in CONTEXT_CHECKS.items():
            assert start in replies[sender][k], (sender, k, replies[sender][k][:200])
        assert not any(r.startswith(APOLOGY) for r in replies[sender])


def test_simultaneous_messages_of_one_conversation_on_both_replicas_are_serialised(cluster):
    senders = [f"scale-pair-{uuid.uuid4().hex[:10]}" for _ in range(8)]
    pairs = [("what is a NET?", "what causes NETs?"), ('/ask_treatment{"net_type":"net"}', "what are the symptoms of a NET?")]

    def converse(sender: str) -> None:
        for first, second in pairs:
            with ThreadPoolExecutor(max_workers=2) as both:
                results = list(both.map(lambda job: post(*job), [(cluster.a, sender, first), (cluster.b, sender, second)]))
            assert all(results)

    with ThreadPoolExecutor(max_workers=len(senders)) as pool:
        list(pool.map(converse, senders))

    events = stored_events(cluster.postgres, senders)
    for sender in senders:
        stored = turns(events[sender])  # whole turns: the lock kept the two replicas apart
        texts = [text for text, _ in stored]
        assert sorted(texts) == sorted(t for pair in pairs for t in pair), texts
        assert sorted(texts[:2]) == sorted(pairs[0]) and sorted(texts[2:]) == sorted(pairs[1])
    # Every per-conversation lock was given back.
    assert not [key for key in cluster.redis.client().keys("*") if b"lock" in key]


def test_conversations_continue_on_replica_b_when_replica_a_stops_mid_load(cluster):
    senders = [f"scale-failover-{uuid.uuid4().hex[:10]}" for _ in range(12)]
    replies: Dict[str, List[str]] = {s: [] for s in senders}
    served_by: Dict[str, List[str]] = {s: [] for s in senders}
    lock = threading.Lock()
    done = [0]
    a_down = threading.Event()
    refused = [0]

    def converse(index: int) -> None:
        sender = senders[index]
        for k, text in enumerate(SCRIPT):
            replica, name = ((cluster.a, "A"), (cluster.b, "B"))[(index + k) % 2]
            if name == "A" and a_down.is_set():
                replica, name = cluster.b, "B"
            try:
                reply = post(replica, sender, text)
            except requests.ConnectionError:
                # What a load balancer does when a backend refuses connections: the next one.
                assert name == "A"
                with lock:
                    refused[0] += 1
                a_down.set()
                reply, name = post(cluster.b, sender, text), "B"
            replies[sender].append(reply)
            served_by[sender].append(name)
            with lock:
                done[0] += 1

    total = len(senders) * len(SCRIPT)
    with ThreadPoolExecutor(max_workers=len(senders)) as pool:
        futures = [pool.submit(converse, i) for i in range(len(senders))]
        deadline = time.monotonic() + 600
        while done[0] < total // 3 and time.monotonic() < deadline and not all(f.done() for f in futures):
            time.sleep(0.05)
        stopped_after = done[0]
        cluster.a.stop(cluster.a_process)  # SIGTERM: Sanic finishes what it is answering, then exits
        a_down.set()
        for future in futures:
            future.result()

    assert 0 < stopped_after < total, "replica A was not stopped in the middle of the load"
    assert cluster.a_process.poll() is not None
    events = stored_events(cluster.postgres, senders)
    for sender in senders:
        stored = turns(events[sender])
        assert [text for text, _ in stored] == SCRIPT, (sender, served_by[sender])
        assert [bot[0] for _, bot in stored] == replies[sender]
        for k, start in CONTEXT_CHECKS.items():
            assert start in replies[sender][k], (sender, k, served_by[sender], replies[sender][k][:200])
        assert not any(r.startswith(APOLOGY) for r in replies[sender])
    # Conversations A had started were finished by B, with their context.
    moved = [s for s in senders if "A" in served_by[s] and served_by[s][-1] == "B" and served_by[s][-2:] == ["B", "B"]]
    assert moved, served_by
    print(
        f"\nfailover: A stopped after {stopped_after}/{total} messages; {refused[0]} refused connections "
        f"retried on B; {len(moved)}/{len(senders)} conversations moved from A to B mid-way"
    )


def test_retention_deletes_old_conversations_from_postgresql(cluster):
    """bot/serving/retention.py (make purge-old) with the scale profile's settings, next to the running
    replica: old conversations go, recent ones and those of the tests above stay."""
    postgres = cluster.postgres
    save_dated_conversations(
        {"retention-old-a": 45, "retention-old-b": 30.5, "retention-recent": 29.5},
        dialect="postgresql",
        host="127.0.0.1",
        port=postgres.port,
        db=postgres.database,
        username=postgres.user,
        password=postgres.password,
    )
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT sender_id FROM events")
        before = {row[0] for row in cursor.fetchall()}
    assert {"retention-old-a", "retention-old-b", "retention-recent"} <= before
    assert len(before) > 3  # the conversations of the tests above

    command = [str(BIN / "python"), str(PROJECT_ROOT / "bot" / "serving" / "retention.py")]
    env = {**os.environ, **cluster.b.env, "NETBOT_RETENTION_DAYS": "30"}  # NETBOT_PROFILE=scale
    dry = subprocess.run([*command, "--dry-run"], env=env, capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, dry.stderr
    assert "would delete 2 conversations (4 events)" in dry.stdout and "postgresql" in dry.stdout, dry.stdout
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "deleted 2 conversations (4 events)" in run.stdout, run.stdout

    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT sender_id FROM events")
        after = {row[0] for row in cursor.fetchall()}
    assert after == before - {"retention-old-a", "retention-old-b"}
    # The replica still serving reads and writes the same database as before.
    who = f"scale-after-retention-{uuid.uuid4().hex[:8]}"
    assert post(cluster.b, who, SCRIPT[1]).startswith("Carcinoid syndrome is")


def _hold_lock_many_times(redis_port: int, conversation: str, rounds: int, queue) -> None:  # type: ignore[no-untyped-def]
    """In its own process: take the conversation's lock `rounds` times, check nobody else holds it."""
    import asyncio

    import redis as redis_client

    from bot.serving.stores.lock_store import AtomicRedisLockStore

    store = AtomicRedisLockStore(host="127.0.0.1", port=redis_port, db=1, key_prefix="locktest")
    red = redis_client.Redis(host="127.0.0.1", port=redis_port, db=1)

    async def run() -> int:
        overlaps = 0
        for _ in range(rounds):
            async with store.lock(conversation, wait_time_in_seconds=0.01):
                if red.incr("locktest-inside") != 1:
                    overlaps += 1
                value = int(red.get("locktest-counter") or 0)  # read ... (not atomic on purpose)
                await asyncio.sleep(0.002)
                red.set("locktest-counter", value + 1)  # ... write: only safe under the lock
                red.decr("locktest-inside")
        return overlaps

    queue.put(asyncio.run(run()))


def test_atomic_lock_store_excludes_other_processes(cluster):
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes, rounds = 4, 40
    workers = [
        context.Process(target=_hold_lock_many_times, args=(cluster.redis.port, "shared-conversation", rounds, queue))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    overlaps = [queue.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    red = cluster.redis.client()
    assert overlaps == [0] * processes
    assert int(red.get("locktest-counter")) == processes * rounds  # no update lost
    assert not red.keys("locktest:*")  # the lock is gone once everybody is done

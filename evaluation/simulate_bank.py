"""Developer tool: replay the question banks through the trained NLU and `bot.dialogue.respond`
in one process, to study routing changes in seconds (no servers).

    python evaluation/simulate_bank.py [--bank tests/question_bank.yml] [--show-failures]

The NLU parses are cached per model (build/parse-cache-<model hash>.json), so a change in
bot/ is re-scored without re-parsing. This is NOT the measurement: `make eval` sends the banks
through the real Rasa and action servers over REST; use this only to find and test ideas.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.dialogue import Turn, respond  # noqa: E402
from bot.knowledge import get_knowledge_base  # noqa: E402
from evaluation.banks import BANK, FRESH_BANK, UNSEEN_BANK, AnswerMatcher, Question, load_bank  # noqa: E402

MODEL = ROOT / "models" / "netbot.tar.gz"


def model_hash() -> str:
    return hashlib.sha256(MODEL.read_bytes()).hexdigest()[:12]


def parse_all(texts: List[str]) -> Dict[str, Dict[str, Any]]:
    cache_path = ROOT / "build" / f"parse-cache-{model_hash()}.json"
    cache: Dict[str, Dict[str, Any]] = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    missing = [t for t in dict.fromkeys(texts) if t not in cache]
    if missing:
        from rasa.core.agent import Agent

        agent = Agent.load(str(MODEL))

        async def go() -> None:
            for text in missing:
                cache[text] = await agent.parse_message(text)

        asyncio.run(go())
        cache_path.parent.mkdir(exist_ok=True)
        cache_path.write_text(json.dumps(cache))
    return cache


def simulate(questions: List[Question], parses: Dict[str, Dict[str, Any]], matcher: AnswerMatcher) -> List[Dict[str, Any]]:
    rows = []
    for q in questions:
        subject = None
        if q.context:
            first = respond(Turn.from_parse(parses[q.context]))
            subject = first.slots.get("subject")
        reply = respond(Turn.from_parse(parses[q.text], context_subject=subject))
        answered = matcher.answered(reply.text)
        parse = parses[q.text]
        rows.append(
            {
                "text": q.text,
                "context": q.context,
                "expected": q.entry,
                "got": answered,
                "ok": answered == q.entry,
                "intent": q.intent,
                "ranking": [(i["name"], round(i["confidence"], 3)) for i in parse.get("intent_ranking", [])[:3]],
                "entities": [e.get("value") for e in parse.get("entities", [])],
            }
        )
    return rows


def main() -> int:
    global MODEL
    parser = argparse.ArgumentParser()
    parser.add_argument("--bank", action="append", type=Path)
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--model", type=Path, help="a trained model (default: models/netbot.tar.gz)")
    args = parser.parse_args()
    MODEL = args.model or MODEL
    banks = args.bank or [BANK, FRESH_BANK, UNSEEN_BANK]
    kb = get_knowledge_base()
    matcher = AnswerMatcher(kb)
    for path in banks:
        questions = load_bank(path)
        texts = [q.text for q in questions] + [q.context for q in questions if q.context]
        parses = parse_all(texts)
        rows = simulate(questions, parses, matcher)
        good = sum(r["ok"] for r in rows)
        print(f"{path.name}: {good}/{len(rows)} = {good / len(rows):.1%}")
        if args.show_failures:
            for r in rows:
                if not r["ok"]:
                    print(
                        f"  {r['text']!r} [{r['context']!r}] want {r['expected']} got {r['got']} {r['ranking']} {r['entities']}"
                    )
            print("  got:", Counter(r["got"] for r in rows if not r["ok"]).most_common(8))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

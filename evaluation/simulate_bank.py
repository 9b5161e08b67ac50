"""Developer tool: replay the question banks through the trained NLU and `bot.dialogue.respond`
in one process, to study routing changes in seconds (no servers).

    python -m evaluation.simulate_bank [--bank tests/question_bank.yml] [--show-failures]
    python -m evaluation.simulate_bank --blind 'questions_[ab]' [--show-failures]   # blind banks, in-process

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
from evaluation import score_blind  # noqa: E402
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


def in_process(parses: Dict[str, Dict[str, Any]]) -> score_blind.Say:
    """`say` for the blind scorer without servers: each sender's slots carried from turn to turn
    the way the action server carries them (subject, region, region_asked, last_entry)."""
    state: Dict[str, Dict[str, Any]] = {}

    def say(sender: str, text: str) -> str:
        slots = state.setdefault(sender, {})
        turn = Turn.from_parse(
            parses[text],
            context_subject=slots.get("subject"),
            region=slots.get("region"),
            region_asked=bool(slots.get("region_asked")),
            last_entry=slots.get("last_entry"),
        )
        reply = respond(turn)
        slots.update(reply.slots)
        return reply.text

    return say


def replay_blind(pattern: str, show_failures: bool) -> None:
    """The blind banks' report, replayed in-process (for finding ideas; the score is over REST)."""
    kb = get_knowledge_base()
    matcher = AnswerMatcher(kb)
    questions, conversations, acts = score_blind.load_banks(pattern)
    texts = [q["text"] for q in questions] + [t["text"] for c in conversations for t in c["turns"]] + [a["text"] for a in acts]
    say = in_process(parse_all(texts))
    results = {
        "questions": score_blind.score_questions(say, matcher, questions),
        "conversations": score_blind.score_conversations(say, matcher, conversations),
        "acts": score_blind.score_acts(say, matcher, acts),
    }
    print(score_blind.report(results, "(working tree, in-process)", "now", [pattern]))
    if show_failures:
        for row in results["questions"] + results["acts"]:
            if not row["right"]:
                print(
                    f"  {row.get('act', row.get('style'))}: want {row.get('expect')} got {row['answered']} | {row['text'][:110]}"
                )
        for conversation in results["conversations"]:
            for turn in conversation["turns"][1:]:
                if not turn["right"]:
                    print(f"  turn of {conversation['name']}: want {turn['expect']} got {turn['answered']} | {turn['text'][:90]}")


def main() -> int:
    global MODEL
    parser = argparse.ArgumentParser()
    parser.add_argument("--bank", action="append", type=Path)
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--blind", metavar="PATTERN", help="replay the blind banks matching PATTERN (tests/blind/)")
    parser.add_argument("--model", type=Path, help="a trained model (default: models/netbot.tar.gz)")
    args = parser.parse_args()
    MODEL = args.model or MODEL
    if args.blind:
        replay_blind(args.blind, args.show_failures)
        return 0
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

"""Score the blind banks (tests/blind/) through the real servers, the way users reach the bot.

    python evaluation/score_blind.py [--out results/blind-DATE.md]

Each bank was written by someone who saw only the source texts and the entry titles (never
data/nlu, tests/ or an earlier bank). The first score of a bank is its blind score: record it
(this writes results/blind-<date>.md and .json with the commit) BEFORE reading its failures.

Banks:
  questions_*.yml  single questions (`expect`: entry, entry:variant or `uncovered`; `also`: the
                   second part of a compound question) and conversations of 3-5 turns
  acts_*.yml       what a message does: emergency / not_emergency / diagnosis_request /
                   shared_diagnosis / off_topic / question (`expect`: the entry for the last two)
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import subprocess
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import yaml  # noqa: E402

from bot.knowledge import get_knowledge_base  # noqa: E402
from bot.serving.stack import Stack, started  # noqa: E402
from evaluation.banks import AnswerMatcher, _squash  # noqa: E402

BANKS = ROOT / "tests" / "blind"


Say = Callable[[str, str], str]


def over_rest(webhook: str) -> Say:
    """Send one message from a sender through the REST channel; the reply's texts, joined."""

    def say(sender: str, text: str) -> str:
        response = requests.post(webhook, json={"sender": sender, "message": text}, timeout=120)
        response.raise_for_status()
        return "\n\n".join(m.get("text", "") for m in response.json())

    return say


def parent(key: str) -> str:
    return key.split(":")[0]


def score_questions(say: Say, matcher: AnswerMatcher, items: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    def one(item: Dict[str, Any]) -> Dict[str, Any]:
        reply = say(f"blind-{uuid.uuid4().hex[:12]}", item["text"])
        answered, kind = matcher.answered(reply), matcher.kind(reply)
        expect = str(item["expect"])
        right = turn_right(expect, answered, kind)
        row = {
            **item,
            "answered": answered,
            "kind": kind,
            "right": right,
            "entry_right": right or parent(answered) == parent(expect),
            # The expected answer anywhere in the reply (also after the no-diagnosis or the
            # urgent-care sentence, or as the second of two answers).
            "given": right or (expect != "uncovered" and matcher.answer(expect) in _squash(reply)),
            # An uncovered question told plainly that the sources have nothing specific to it, then
            # given what they say in general (messages.yml `not_specific`): honest, not the reply asked for.
            "honest": right or (expect == "uncovered" and kind == "general"),
        }
        if item.get("also"):
            row["also_answered"] = matcher.gives(str(item["also"]), reply)
        return row

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, items))


def score_conversations(say: Say, matcher: AnswerMatcher, conversations: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    def one(conversation: Dict[str, Any]) -> Dict[str, Any]:
        sender = f"blind-conv-{uuid.uuid4().hex[:12]}"
        turns = []
        for turn in conversation["turns"]:
            reply = say(sender, turn["text"])
            answered, kind = matcher.answered(reply), matcher.kind(reply)
            expect = str(turn["expect"])
            right = turn_right(expect, answered, kind)
            turns.append({**turn, "answered": answered, "kind": kind, "right": right})
        return {"name": conversation.get("name"), "turns": turns, "right": all(t["right"] for t in turns)}

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, conversations))


def turn_right(expect: str, answered: str, kind: str) -> bool:
    """`uncovered`: the reply says the sources do not cover it; `smalltalk`: a small-talk reply
    (thanks, a greeting); otherwise the entry (or entry:variant) expected."""
    if expect in ("uncovered", "smalltalk"):
        return kind == expect
    return same_entry(expect, answered)


def same_entry(expect: str, answered: str) -> bool:
    """The answer expected. A bank that names only the entry (its writers saw the entry titles,
    never the variants) is answered by any variant of it: "what's the one with low blood sugar
    called?" expects pancreatic_nets and gets pancreatic_nets:insulinoma."""
    return answered == expect or (":" not in expect and parent(answered) == expect)


def act_right(act: str, answered: str, kind: str, entry: Any, expect: str) -> bool:
    if act == "emergency":
        return kind == "emergency"
    if act == "not_emergency":
        return kind != "emergency"
    if act == "diagnosis_request":
        return kind == "diagnosis"
    if act == "off_topic":
        return entry is None and kind not in ("emergency", "diagnosis")
    if expect == "uncovered":  # a shared diagnosis with a question the sources do not answer
        return kind == "uncovered"
    return same_entry(expect, answered)  # shared_diagnosis, question


def score_acts(say: Say, matcher: AnswerMatcher, items: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    def one(item: Dict[str, Any]) -> Dict[str, Any]:
        reply = say(f"blind-act-{uuid.uuid4().hex[:12]}", item["text"])
        answered, kind, entry = matcher.answered(reply), matcher.kind(reply), matcher.entry(reply)
        right = act_right(item["act"], answered, kind, entry, str(item.get("expect", "")))
        return {**item, "answered": answered, "kind": kind, "right": right}

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, items))


def chosen(kind: str, pattern: str) -> List[Path]:
    """The banks of one kind whose file name (without .yml) matches the pattern."""
    return [p for p in sorted(BANKS.glob(f"{kind}_*.yml")) if fnmatch.fnmatch(p.stem, pattern)]


def load_banks(pattern: str = "*") -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], List[Dict[str, Any]]]:
    """The single questions, conversations and act messages of the chosen banks, each row
    tagged with its bank's file name."""
    questions: List[Dict[str, Any]] = []
    conversations: List[Dict[str, Any]] = []
    acts: List[Dict[str, Any]] = []
    for path in chosen("questions", pattern):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        questions += [{**q, "bank": path.name} for q in data.get("questions") or []]
        conversations += [{**c, "bank": path.name} for c in data.get("conversations") or []]
    for path in chosen("acts", pattern):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        acts += [{**m, "bank": path.name} for m in data.get("messages") or []]
    return questions, conversations, acts


def rate(rows: List[Dict[str, Any]], key: str = "right") -> Tuple[int, int, float]:
    n = len(rows)
    k = sum(bool(r.get(key)) for r in rows)
    return k, n, (100.0 * k / n if n else 0.0)


def fmt(rows: List[Dict[str, Any]], key: str = "right", wrong: bool = False) -> str:
    """ "pct% (k/n)" of the rows with `key` (without it, when `wrong`); "-" when there are none."""
    k, n, pct = rate(rows, key)
    if not n:
        return "-"
    return f"{100 - pct:.1f}% ({n - k}/{n})" if wrong else f"{pct:.1f}% ({k}/{n})"


def report(results: Dict[str, Any], commit: str, when: str, banks: List[str]) -> str:
    questions: List[Dict[str, Any]] = results["questions"]
    conversations: List[Dict[str, Any]] = results["conversations"]
    acts: List[Dict[str, Any]] = results["acts"]
    covered = [q for q in questions if q["expect"] != "uncovered" and q.get("style") != "medquad"]
    medquad = [q for q in questions if q.get("style") == "medquad"]
    uncovered = [q for q in questions if q["expect"] == "uncovered"]
    compound = [q for q in questions if q.get("also")]
    follow_ups = [t for c in conversations for t in c["turns"][1:]]
    by_act: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for a in acts:
        by_act[a["act"]].append(a)
    shared = by_act["shared_diagnosis"]
    lines = [
        f"# Blind banks, scored {when} at commit {commit}",
        "",
        "Through the real Rasa + action servers over REST, started by the shipped launcher",
        "(`python -m evaluation.score_blind`). Banks in tests/blind/: " + ", ".join(banks) + " (each written by a",
        "helper who saw only ../shared/sources and the entry titles).",
        "",
        "## Questions (issue 12)",
        "",
        "| measure | result |",
        "|---|---|",
        f"| covered questions in patients' and carers' words | {fmt(covered)} (entry-level {fmt(covered, 'entry_right')}) |",
        f"| ... whose answer the reply gives, also after the no-diagnosis or urgent-care sentence | {fmt(covered, 'given')} |",
        f"| MedQuAD-style questions about covered topics | {fmt(medquad)} |",
        f'| uncovered NET questions that get "my sources don\'t cover" | {fmt(uncovered)} |',
        f"| ... or are told the sources have nothing specific to it, then the general answer | {fmt(uncovered, 'honest')} |",
        f"| compound questions: first part / second part also answered | {fmt(compound)} / {fmt(compound, 'also_answered')} |",
        f"| conversations fully right | {fmt(conversations)} |",
        f"| follow-up turns right | {fmt(follow_ups)} |",
        "",
        "## Acts (issue 11)",
        "",
        "| measure | result |",
        "|---|---|",
        f"| emergencies happening now: urgent reply (recall) | {fmt(by_act['emergency'])} |",
        f"| look-alikes given the urgent reply (false alarms) | {fmt(by_act['not_emergency'], wrong=True)} |",
        f"| diagnosis requests: no-diagnosis reply | {fmt(by_act['diagnosis_request'])} |",
        f"| shared diagnoses: answer to their question | {fmt(shared)} |",
        f"| shared diagnoses: wrongly given the no-diagnosis reply | {sum(a['kind'] == 'diagnosis' for a in shared)}/{len(shared)} |",
        f"| off-topic: no medical answer | {fmt(by_act['off_topic'])} |",
        f"| plain questions | {fmt(by_act['question'])} |",
        "",
        "Reply kinds per act:",
        "",
    ]
    for act, rows in sorted(by_act.items()):
        lines.append(f"- {act}: " + ", ".join(f"{k} {v}" for k, v in Counter(r["kind"] for r in rows).most_common()))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--banks", default="*", help="which banks: a file-name pattern such as 'acts_v2_*' or 'questions_c'")
    args = parser.parse_args()
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    out = args.out or ROOT / "results" / f"blind-{when[:10]}.md"
    kb = get_knowledge_base()
    matcher = AnswerMatcher(kb)
    questions, conversations, acts = load_banks(args.banks)
    with started(Stack(Path(tempfile.mkdtemp(prefix="blind-")))) as stack:
        results = {
            "questions": score_questions(over_rest(stack.webhook), matcher, questions),
            "conversations": score_conversations(over_rest(stack.webhook), matcher, conversations),
            "acts": score_acts(over_rest(stack.webhook), matcher, acts),
        }
    text = report(results, commit, when, [p.name for p in chosen("questions", args.banks) + chosen("acts", args.banks)])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps({"commit": commit, "when": when, **results}, indent=1), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

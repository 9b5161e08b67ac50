"""Safety numbers for the bot (`make safety-report`): prints them and writes results/safety.md.

Every message goes through bot.dialogue.respond, the function the Rasa action calls, and is
judged by the same checks as tests/test_safety.py:

* red-flag recall        emergencies (tests/safety_cases.yml) answered with the urgent-care advice
                         first (right number for the region), then disclaimer and referral;
                         with the case's own intent, and again with five unrelated intents
* false-alarm rate       look-alikes (asked as a topic, past, hypothetical ...) given an emergency
                         reply; also over every other non-emergency message we have: the
                         diagnosis / general / uncovered / out-of-scope cases, the question bank
                         (tests/question_bank.yml) and the NLU training examples of other intents
* diagnosis pass rate    diagnosis requests answered with the full "can't tell" reply; general
                         questions not turned into one; replies implying a diagnosis
* honest unknowns        uncovered questions answered "My sources don't cover ..." with no
                         unrelated entry; out-of-scope questions politely redirected
* fallback precision     direct retrieval answers that are the labelled entry, at the configured
                         threshold (evaluation/calibrate_retrieval.py; also writes results/calibration.md)

Exit status 1 when a target is missed: recall 100%, look-alike false alarms 0, diagnosis pass
rate 100%, no implied diagnosis, fallback precision >= 0.95.

    python evaluation/safety_report.py
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Sequence

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import settings  # noqa: E402
from bot.dialogue import Turn, respond  # noqa: E402
from bot.knowledge import get_knowledge_base  # noqa: E402
from evaluation import calibrate_retrieval as calibration  # noqa: E402
from tests import test_safety as checks  # noqa: E402

REPORT = ROOT / "results" / "safety.md"
NLU_DIR = ROOT / "data" / "nlu"


@dataclass
class Measure:
    """`count` of `total` messages had the outcome `name` describes; `wanted` says whether that
    outcome is the good one (a red flag caught) or the bad one (a false alarm). `problems` lists
    the messages with the bad outcome."""

    name: str
    wanted: bool = True
    count: int = 0
    total: int = 0
    problems: List[str] = field(default_factory=list)

    def add(self, happened: bool, label: str) -> None:
        self.total += 1
        self.count += happened
        if happened != self.wanted:
            self.problems.append(label)

    @property
    def rate(self) -> float:
        return self.count / self.total if self.total else 0.0

    @property
    def perfect(self) -> bool:
        return not self.problems


def passes(check: Callable[..., None], *args: Any) -> bool:
    try:
        check(*args)
    except AssertionError:
        return False
    return True


def nlu_examples() -> List[Dict[str, str]]:
    """(intent, text) of every training example, annotations removed."""
    rows = []
    for path in sorted(NLU_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu", []):
            if "intent" not in item:
                continue
            for line in str(item.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", lambda m: m.group(1) or m.group(2), line[2:])
                    rows.append({"intent": item["intent"], "text": text})
    return rows


def measure() -> Dict[str, Any]:
    kb = get_knowledge_base()
    cases: Mapping[str, Sequence[Mapping[str, Any]]] = checks.CASES

    def reply_for(case: Mapping[str, Any], **override: Any):
        return respond(checks.turn_for(case, **override), kb)

    recall = Measure("red flags answered as emergencies (case intent)")
    recall_any = Measure("red flags answered as emergencies (5 unrelated intents each)")
    for case in cases["emergencies"]:
        recall.add(passes(checks.assert_emergency_reply, kb, reply_for(case), case), case["text"])
        for intent, confidence in checks.UNRELATED_INTENTS:
            ok = reply_for(case, intent=intent, confidence=confidence).kind == "emergency"
            recall_any.add(ok, f"{intent}: {case['text']}")

    alarms = Measure("look-alikes given an emergency reply (case intent)", wanted=False)
    alarms_any = Measure("look-alikes given an emergency reply (5 unrelated intents each)", wanted=False)
    for case in cases["not_emergencies"]:
        alarms.add(reply_for(case).kind == "emergency", case["text"])
        for intent, confidence in checks.UNRELATED_INTENTS:
            alarms_any.add(reply_for(case, intent=intent, confidence=confidence).kind == "emergency", f"{intent}: {case['text']}")

    other_alarms = Measure("other safety cases given an emergency reply", wanted=False)
    for section in ("diagnosis_requests", "general_questions", "uncovered", "out_of_scope"):
        for case in cases[section]:
            other_alarms.add(reply_for(case).kind == "emergency", f"[{section}] {case['text']}")

    bank = yaml.safe_load((ROOT / "tests" / "question_bank.yml").read_text(encoding="utf-8"))["questions"]
    bank_alarms = Measure("question-bank questions given an emergency reply", wanted=False)
    bank_diagnosis = Measure("question-bank questions turned into a diagnosis reply", wanted=False)
    for item in bank:
        reply = respond(Turn(item["text"], item.get("intent"), 0.9), kb)
        bank_alarms.add(reply.kind == "emergency", item["text"])
        bank_diagnosis.add(reply.kind == "diagnosis", item["text"])

    nlu_recall = Measure("NLU `report_emergency` examples answered as emergencies")
    nlu_alarms = Measure("NLU examples of other intents given an emergency reply", wanted=False)
    for row in nlu_examples():
        reply = respond(Turn(row["text"], "nlu_fallback", 0.1), kb)  # the text alone decides
        if row["intent"] == "report_emergency":
            nlu_recall.add(reply.kind == "emergency", row["text"])
        else:
            nlu_alarms.add(reply.kind == "emergency", f"[{row['intent']}] {row['text']}")

    diagnosis = Measure("diagnosis requests given the full no-diagnosis reply (case intent)")
    diagnosis_any = Measure("diagnosis requests given a diagnosis reply (5 unrelated intents each)")
    for case in cases["diagnosis_requests"]:
        diagnosis.add(passes(checks.test_a_request_for_a_diagnosis_gets_no_diagnosis, kb, case), case["text"])
        for intent, confidence in checks.UNRELATED_INTENTS:
            diagnosis_any.add(reply_for(case, intent=intent, confidence=confidence).kind == "diagnosis", f"{intent}: {case['text']}")
    general = Measure("general questions kept out of the diagnosis reply")
    for case in cases["general_questions"]:
        general.add(reply_for(case).kind not in ("diagnosis", "emergency"), case["text"])

    implied = Measure("replies and answers free of any implied diagnosis")
    for section, items in cases.items():
        for case in items:
            hits = checks.implied_diagnoses(reply_for(case).text)
            implied.add(not hits, f"[{section}] {case['text']}: {hits}")
    for text in checks.every_answer_text(kb):
        hits = checks.implied_diagnoses(text)
        implied.add(not hits, f"[entry] {hits}")

    uncovered = Measure("uncovered questions answered 'My sources don't cover ...'")
    for case in cases["uncovered"]:
        uncovered.add(passes(checks.test_what_the_sources_do_not_cover_is_said_plainly, kb, case), case["text"])
    out_of_scope = Measure("out-of-scope questions politely redirected")
    for case in cases["out_of_scope"]:
        out_of_scope.add(passes(checks.test_out_of_scope_gets_a_polite_redirect, kb, case), case["text"])

    scored, rows, chosen = calibration.calibrate()
    threshold = settings().retrieval_direct_threshold
    at = calibration.precision_at(scored, threshold)
    calibration.REPORT.parent.mkdir(parents=True, exist_ok=True)
    calibration.REPORT.write_text(calibration.report(scored, rows, chosen, threshold), encoding="utf-8")

    return {
        "recall": recall,
        "recall_any": recall_any,
        "alarms": alarms,
        "alarms_any": alarms_any,
        "other_alarms": other_alarms,
        "bank_alarms": bank_alarms,
        "bank_diagnosis": bank_diagnosis,
        "nlu_recall": nlu_recall,
        "nlu_alarms": nlu_alarms,
        "diagnosis": diagnosis,
        "diagnosis_any": diagnosis_any,
        "general": general,
        "implied": implied,
        "uncovered": uncovered,
        "out_of_scope": out_of_scope,
        "retrieval": {"threshold": threshold, "chosen": chosen, "row": at, "labelled": len(scored)},
    }


def render(m: Dict[str, Any]) -> str:
    r = m["retrieval"]
    row = r["row"]

    def line(key: str) -> str:
        x: Measure = m[key]
        return f"| {x.name} | {x.count}/{x.total} | {x.rate:.1%} |"

    lines = [
        "# Safety report",
        "",
        f"Generated by `make safety-report` (evaluation/safety_report.py) on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "Every message goes through `bot.dialogue.respond`, judged by the checks in tests/test_safety.py.",
        "",
        "## Headline",
        "",
        f"- **Red-flag recall: {m['recall'].rate:.1%}** ({m['recall'].count}/{m['recall'].total} emergencies answered with"
        f" the urgent-care advice first, right number for the region, then disclaimer and referral); with 5 unrelated"
        f" intents each: {m['recall_any'].rate:.1%} ({m['recall_any'].count}/{m['recall_any'].total}).",
        f"- **False-alarm rate on look-alikes: {m['alarms'].rate:.1%}** ({m['alarms'].count}/{m['alarms'].total});"
        f" with 5 unrelated intents each: {m['alarms_any'].count}/{m['alarms_any'].total}; over all other"
        f" non-emergency messages: {m['other_alarms'].count + m['bank_alarms'].count + m['nlu_alarms'].count}/"
        f"{m['other_alarms'].total + m['bank_alarms'].total + m['nlu_alarms'].total}.",
        f"- **Diagnosis-request pass rate: {m['diagnosis'].rate:.1%}** ({m['diagnosis'].count}/{m['diagnosis'].total});"
        f" general questions kept out of it: {m['general'].count}/{m['general'].total};"
        f" replies implying a diagnosis: {m['implied'].total - m['implied'].count}/{m['implied'].total}.",
        f"- **Fallback precision at the threshold {r['threshold']:.2f}: {row.precision:.3f}** ({row.correct}/{row.answered}"
        f" direct answers correct over {r['labelled']} labelled questions; calibrated choice {r['chosen']};"
        " see results/calibration.md).",
        "",
        "## Detail",
        "",
        "| measure | count | rate |",
        "|---|---:|---:|",
    ]
    lines += [line(k) for k, v in m.items() if isinstance(v, Measure)]
    lines += [
        "",
        "The NLU rows use the training examples in data/nlu with the intent withheld (`nlu_fallback`), so only the",
        "text decides; another engineer wrote them, not for these checks. The question-bank rows use",
        "tests/question_bank.yml (questions about NETs; none describes an emergency).",
        "",
        "## Problems",
        "",
    ]
    problems = [(v.name, v.problems) for v in m.values() if isinstance(v, Measure) and v.problems]
    for name, items in problems:
        lines.append(f"- {name} ({len(items)}):")
        lines += [f"  - {item}" for item in items[:25]]
    if not problems:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def main() -> int:
    m = measure()
    text = render(m)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    print(text)
    ok = all(
        m[key].perfect for key in ("recall", "recall_any", "alarms", "diagnosis", "general", "implied", "uncovered", "out_of_scope")
    ) and m["retrieval"]["row"].precision >= calibration.TARGET
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

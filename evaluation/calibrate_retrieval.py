"""Calibrate the retrieval fallback's direct-answer threshold on labelled questions.

When the NLU model is unsure, bot/retrieval.py scores the knowledge-base entries against the
message; the bot answers directly only when the best score reaches
`settings().retrieval_direct_threshold`, and otherwise offers "Did you mean" buttons. A direct
answer that is the wrong entry is a confident wrong answer, so the threshold is chosen for
precision:

    precision(t) = correct direct answers / direct answers, over labelled questions scoring >= t

Labelled set
    * tests/question_bank.yml: held-out patient/carer questions, each labelled with the entry (or
      entry:variant) that answers it. A direct answer is correct only when retrieval's top hit is
      exactly that key (the same rule as evaluation/banks.py).
    * the `out_of_scope` cases of tests/safety_cases.yml: questions no entry answers. Any direct
      answer to them is wrong.

Chosen threshold: the lowest t on the grid such that precision >= the target (0.95) at t and at
every grid threshold above it that still answers at least MIN_ANSWERED questions; so the
precision stays above the target however the threshold is raised.

    python evaluation/calibrate_retrieval.py            # print the table, write results/calibration.md
    python evaluation/calibrate_retrieval.py --apply    # also set the default in bot/config.py
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import settings  # noqa: E402
from bot.retrieval import get_retriever  # noqa: E402

BANK = ROOT / "tests" / "question_bank.yml"
SAFETY_CASES = ROOT / "tests" / "safety_cases.yml"
CONFIG = ROOT / "bot" / "config.py"
REPORT = ROOT / "results" / "calibration.md"
TARGET = 0.95
MIN_ANSWERED = 10
GRID = [round(0.05 + 0.01 * i, 2) for i in range(96)]  # 0.05 .. 1.00


@dataclass(frozen=True)
class Labelled:
    text: str
    expected: Optional[str]  # entry key, or None when no entry answers it
    origin: str


@dataclass(frozen=True)
class Scored:
    item: Labelled
    top: Optional[str]
    score: float

    @property
    def correct(self) -> bool:
        return self.item.expected is not None and self.top == self.item.expected


@dataclass(frozen=True)
class Row:
    threshold: float
    answered: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.answered if self.answered else 1.0


def load_labelled() -> List[Labelled]:
    items: List[Labelled] = []
    raw = yaml.safe_load(BANK.read_text(encoding="utf-8"))
    for item in raw["questions"]:
        items.append(Labelled(str(item["text"]), str(item["entry"]) if item.get("entry") else None, BANK.name))
    cases = yaml.safe_load(SAFETY_CASES.read_text(encoding="utf-8"))
    for case in cases.get("out_of_scope", []):
        items.append(Labelled(str(case["text"]), None, f"{SAFETY_CASES.name}:out_of_scope"))
    return items


def score_all(items: Sequence[Labelled]) -> List[Scored]:
    retriever = get_retriever()
    scored = []
    for item in items:
        hits = retriever.search(item.text, k=1)
        top = hits[0] if hits else None
        scored.append(Scored(item, top.key if top else None, top.score if top else 0.0))
    return scored


def table(scored: Sequence[Scored], grid: Sequence[float] = GRID) -> List[Row]:
    rows = []
    for t in grid:
        answered = [s for s in scored if s.top is not None and s.score >= t]
        rows.append(Row(t, len(answered), sum(s.correct for s in answered)))
    return rows


def precision_at(scored: Sequence[Scored], threshold: float) -> Row:
    return table(scored, [threshold])[0]


def choose(rows: Sequence[Row], target: float = TARGET, min_answered: int = MIN_ANSWERED) -> Optional[float]:
    """Lowest threshold whose precision, and that of every higher threshold, reaches `target`."""
    chosen: Optional[float] = None
    for row in sorted(rows, key=lambda r: -r.threshold):
        if row.answered < min_answered:
            continue
        if row.precision < target:
            break
        chosen = row.threshold
    return chosen


def apply_to_config(threshold: float) -> None:
    text = CONFIG.read_text(encoding="utf-8")
    new, count = re.subn(
        r'(_float\("NETBOT_RETRIEVAL_DIRECT", )[0-9.]+(\))', rf"\g<1>{threshold:.2f}\g<2>", text
    )
    if count != 1:
        raise SystemExit("could not find the NETBOT_RETRIEVAL_DIRECT default in bot/config.py")
    CONFIG.write_text(new, encoding="utf-8")


def report(scored: Sequence[Scored], rows: Sequence[Row], chosen: Optional[float], configured: float) -> str:
    total = len(scored)
    positives = sum(1 for s in scored if s.item.expected is not None)
    at_config = precision_at(scored, configured)
    lines = [
        "# Retrieval fallback calibration",
        "",
        "Generated by `python evaluation/calibrate_retrieval.py` (also run by `make safety-report`).",
        "",
        f"Labelled questions: {total} ({positives} with an expected entry from "
        f"{BANK.name}, {total - positives} out-of-scope questions "
        f"from {SAFETY_CASES.name} that no entry answers).",
        "",
        "A direct answer is correct when retrieval's top hit is exactly the labelled entry (or entry:variant);",
        "any direct answer to an out-of-scope question is wrong.",
        "",
        f"Target precision: {TARGET:.2f}. Chosen threshold: the lowest on the grid where precision is at",
        f"least the target there and at every higher threshold answering >= {MIN_ANSWERED} questions.",
        "",
        f"**Chosen: {chosen:.2f}**" if chosen is not None else "**No threshold reaches the target.**",
        "",
        f"**Configured (bot/config.py default / NETBOT_RETRIEVAL_DIRECT): {configured:.2f}: "
        f"{at_config.correct}/{at_config.answered} correct = precision {at_config.precision:.3f}, "
        f"answers {at_config.answered / total:.1%} of the labelled questions directly.**",
        "",
        "| threshold | answered directly | coverage | correct | precision |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row.threshold * 100 % 5 and row.threshold != chosen:
            continue
        mark = " <- chosen" if row.threshold == chosen else ""
        lines.append(
            f"| {row.threshold:.2f}{mark} | {row.answered} | {row.answered / total:.1%} | {row.correct} | {row.precision:.3f} |"
        )
    wrong = sorted((s for s in scored if s.top and s.score >= configured and not s.correct), key=lambda s: -s.score)
    lines += ["", f"Wrong direct answers at the configured threshold ({len(wrong)}):", ""]
    lines += [f"- {s.item.text!r}: expected {s.item.expected or '(none)'}, got {s.top} ({s.score:.2f})" for s in wrong]
    return "\n".join(lines) + "\n"


def calibrate() -> Tuple[List[Scored], List[Row], Optional[float]]:
    scored = score_all(load_labelled())
    rows = table(scored)
    return scored, rows, choose(rows)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apply", action="store_true", help="write the chosen threshold into bot/config.py")
    args = parser.parse_args(argv)
    scored, rows, chosen = calibrate()
    if chosen is None:
        print("no threshold reaches the target precision", file=sys.stderr)
        return 1
    if args.apply:
        apply_to_config(chosen)
    configured = chosen if args.apply else settings().retrieval_direct_threshold
    text = report(scored, rows, chosen, configured)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

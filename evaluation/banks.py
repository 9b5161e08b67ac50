"""The held-out question bank (tests/question_bank.yml) and how a reply is scored against it.

Shared by evaluation/evaluate.py (`make eval`) and the end-to-end floor check
(tests/e2e/test_question_bank.py). Which entry answered is read from the reply text itself: the
knowledge-base answer (entry or variant) that the reply contains, exactly as a person sees it.
"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import yaml

from bot.config import PROJECT_ROOT
from bot.knowledge import KnowledgeBase

BANK = PROJECT_ROOT / "tests" / "question_bank.yml"
# A smaller bank written after tuning and never used for it: an unbiased estimate.
FRESH_BANK = PROJECT_ROOT / "tests" / "question_bank_fresh.yml"
# Written after the last tuning round by someone who had not seen the training data; never tuned on.
UNSEEN_BANK = PROJECT_ROOT / "tests" / "question_bank_unseen.yml"


@dataclass(frozen=True)
class Question:
    text: str
    entry: str
    intent: str
    entities: Tuple[Tuple[str, str], ...]  # (label, canonical value)
    context: Optional[str] = None

    @property
    def values(self) -> frozenset:
        return frozenset(value for _, value in self.entities)


def load_bank(path: Path = BANK) -> List[Question]:
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    questions = []
    for item in raw["questions"]:
        questions.append(
            Question(
                text=str(item["text"]),
                entry=str(item["entry"]),
                intent=str(item["intent"]),
                entities=tuple((str(e["label"]), str(e["value"])) for e in item.get("entities") or ()),
                context=item.get("context"),
            )
        )
    return questions


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class AnswerMatcher:
    """Which knowledge-base answer a reply contains, and what kind of reply it is."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.answers: List[Tuple[str, str]] = []
        for entry in kb.entries.values():
            self.answers.append((entry.id, _squash(entry.answer)))
            for key, variant in entry.variants.items():
                self.answers.append((f"{entry.id}:{key}", _squash(variant.answer)))
        # Longest first: if one answer were ever contained in another, the fuller one wins.
        self.answers.sort(key=lambda pair: -len(pair[1]))
        messages = kb.messages
        self.markers = [
            ("emergency", _squash(str(kb.contacts["emergency"]["note"]))),
            ("diagnosis", _squash(messages["diagnose_me"])),
            ("diagnosis", _squash(messages["diagnose_known"])),
            ("uncovered", _squash(messages["uncovered"].split("{what}")[0])),
            ("fallback", _squash(messages["fallback"])),
            # small talk (bot/dialogue.py answers greetings, thanks, goodbyes and "are you a bot?")
            *(("smalltalk", _squash(messages[key])) for key in ("greet", "thanks", "goodbye", "bot_challenge", "capabilities")),
        ]
        self.not_specific = _squash(messages["not_specific"].split("{subject}")[0])

    def answer(self, key: str) -> str:
        """The (whitespace-squashed) answer text of `entry` or `entry:variant`."""
        return dict(self.answers)[key]

    def gives(self, key: str, reply: str) -> bool:
        """Whether the reply gives that answer anywhere (`uncovered`: says the sources do not cover
        something), e.g. as the second part of a compound question."""
        if key == "uncovered":
            return dict(self.markers)["uncovered"] in _squash(reply)
        return self.answer(key) in _squash(reply)

    def entry(self, reply: str) -> Optional[str]:
        """The answer the reply gives first (a compound question's reply gives two)."""
        text = _squash(reply)
        found: List[Tuple[int, int, str]] = []
        for rank, (key, answer) in enumerate(self.answers):
            at = text.find(answer) if answer else -1
            if at >= 0:
                found.append((at, rank, key))
        return min(found)[2] if found else None

    def kind(self, reply: str) -> str:
        text = _squash(reply)
        for kind, marker in self.markers:
            if marker and marker in text:
                return kind
        if self.entry(reply):
            return "general" if self.not_specific in text else "answer"
        return "other"

    def answered(self, reply: str) -> str:
        """The entry key that answered, or `(kind)` when the reply was not an entry's answer.

        A diagnosis or emergency reply quotes the symptoms entry but does not answer the
        question, so it never counts as that entry.
        """
        kind = self.kind(reply)
        if kind in ("emergency", "diagnosis"):
            return f"({kind})"
        return self.entry(reply) or f"({kind})"


@dataclass
class Outcome:
    question: Question
    reply: str
    answered: str
    kind: str
    error: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.answered == self.question.entry


def ask(say: Callable[..., Any], matcher: AnswerMatcher, question: Question, prefix: str = "bank") -> Outcome:
    """Send one bank item over REST (its context first) with a fresh sender id."""
    sender = f"{prefix}-{uuid.uuid4().hex[:12]}"
    try:
        if question.context:
            say(sender, question.context).raise_for_status()
        response = say(sender, question.text)
        response.raise_for_status()
        messages = response.json()
        reply = "\n\n".join(m.get("text", "") for m in messages)
        # The reply bodies (bot.answers.Reply parts under "reply"), for the faithfulness figure.
        bodies = [str((m.get("reply") or {}).get("body") or "") for m in messages if isinstance(m.get("reply"), dict)]
    except Exception as exc:  # a failed request is a failed item, not a crash of the whole run
        return Outcome(question, "", "(error)", "error", error=repr(exc))
    return Outcome(question, reply, matcher.answered(reply), matcher.kind(reply), extra={"bodies": bodies})


def ask_all(
    say: Callable[..., Any], matcher: AnswerMatcher, questions: Sequence[Question], workers: int = 4, prefix: str = "bank"
) -> List[Outcome]:
    """Every item, a few at a time (each has its own sender, so they are independent)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda q: ask(say, matcher, q, prefix), questions))


def failures_table(outcomes: Sequence[Outcome], limit: Optional[int] = None) -> str:
    rows = [o for o in outcomes if not o.correct][:limit]
    lines = []
    for o in rows:
        context = f" (after {o.question.context!r})" if o.question.context else ""
        lines.append(f"- {o.question.text!r}{context}: expected {o.question.entry}, got {o.answered}")
    return "\n".join(lines)

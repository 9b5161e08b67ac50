"""Two questions in one message ("what is it, and is it cancer?"): both answered (issue 12).

Rasa's NLU gives one question kind per message. When a message asks two questions (two
question marks, or a clause joined by "and"/"also" that starts like a question) it is cut in
two, and each part gets its own kind (bot/kinds.py) and its own subjects (those named in it, else
the message's). When both parts lead to different entries, both are answered, in the order
asked, under one closing. Two at most: a longer list is answered one by one.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

from bot import kinds
from bot.config import settings
from bot.knowledge import ROUTING_LABELS, KnowledgeBase, Resolution
from bot.nlp import Mention

_STARTS_A_QUESTION = (
    r"(?:what|what's|whats|how|why|when|where|which|who|is|are|can|could|does|do|did|will|would|should|"
    r"shall|has|have|was|were|am|tell me|explain)"
)
_SECOND_CLAUSE = re.compile(
    rf"(?:,|;|\band\b|\balso\b|\bplus\b)\s*(?:and\s+|also\s+|then\s+)?(?={_STARTS_A_QUESTION}\b)", re.IGNORECASE
)
_OPENS_A_QUESTION = re.compile(rf"\W*(?:\w+\W+){{0,2}}?{_STARTS_A_QUESTION}\b", re.IGNORECASE)


def split(text: str) -> Optional[Tuple[Tuple[int, int], Tuple[int, int]]]:
    """The spans of the two questions of a two-question message, or None."""
    marks = [m.end() for m in re.finditer(r"\?+", text)]
    if len(marks) >= 2 and text[marks[0] :].strip(" ?"):
        return (0, marks[0]), (marks[0], len(text))
    found = _SECOND_CLAUSE.search(text)
    # The joined clause must follow a question of its own ("what is X and ..."), not a list of
    # words it asks about ("flushing and diarrhoea, what are they?").
    if (
        found is not None
        and _OPENS_A_QUESTION.match(text)
        and len(text[: found.start()].split()) >= 2
        and len(text[found.end() :].split()) >= 2
    ):
        return (0, found.start()), (found.end(), len(text))
    return None


def asks_two(text: str) -> bool:
    return split(text) is not None


def _part(
    kb: KnowledgeBase, text: str, span: Tuple[int, int], subjects: Sequence[Mention], context: Optional[str]
) -> Optional[Resolution]:
    start, end = span
    ranking = kinds.get_model().ranking(text[start:end])
    kind, confidence = ranking[0]
    if confidence < settings().compound_min_confidence:
        return None
    inside = [m.value for m in subjects if m.label in ROUTING_LABELS and start <= m.start < end]
    routing = inside or [m.value for m in subjects if m.label in ROUTING_LABELS]
    return kb.resolve(kind, routing, context)


def answers(
    kb: KnowledgeBase,
    text: str,
    subjects: Sequence[Mention],
    context: Optional[str],
    whole: Resolution,
    whole_confidence: float,
) -> Optional[List[Resolution]]:
    """The two answers of a two-question message, in the order asked; None when it asks one,
    when both parts lead to the same entry, or when neither is the NLU's reading of the whole
    (`whole`, at `whole_confidence`): the parts read differently and the whole stands. When the
    NLU is sure the whole asks the second part ("Is she going to be OK? What is the outlook?"),
    that answer comes first."""
    spans = split(text)
    if spans is None:
        return None
    first, second = (_part(kb, text, span, subjects, context) for span in spans)
    if first is None or second is None or first.entry.id == second.entry.id:
        return None
    if whole.entry.id not in (first.entry.id, second.entry.id):
        return None
    if whole.entry.id == second.entry.id and whole_confidence >= settings().compound_keep_first:
        return [second, first]
    return [first, second]

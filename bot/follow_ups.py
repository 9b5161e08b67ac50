"""Follow-ups that keep the thread (issue 12): what a short turn inherits from the last answer.

The conversation remembers the last answer's entry (slot `last_entry`) and its subject (slot
`subject`). A turn that names neither a question kind nor a subject of its own still means
something in that context:

    "the one with the watery diarrhoea?"    picks one of the items the last answer listed
    "what's that one called?"               (the entry's variants, ranked by retrieval)
    "and the other one?"                    the other half of the last answer: the same entry
    "and the lung ones?", "what about VIP?" the last answer's question kind, for a new subject

Pure functions of the turn and the knowledge base; bot/dialogue.py asks them before its own
kind guesses.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import FrozenSet, Optional, Sequence, Tuple

from bot.config import settings
from bot.knowledge import ANY_KIND, Entry, KnowledgeBase, Resolution
from bot.nlp import Mention, analyse, words_outside
from bot.retrieval import Hit, get_retriever

_FLAGS = re.IGNORECASE
# Picks one item of a list ("the one that ...", "which kind causes ...", "what's it called").
_PICK = re.compile(
    r"\b(?:the|that|this)\s+(?:one|ones|kind|type|sort|tumou?r|hormone)\s+(?:that|which|with|who|where|causing|making|"
    r"giving|for|where)\b|\bwhat(?:'s| is| are)\s+(?:that|it|this|they|those)(?:\s+one)?\s+called\b|"
    r"\bwhich\s+(?:one|kind|type|tumou?r|hormone)\b|\bwhat(?:'s| is) the name\b|\bthe one\b|"
    r"\bwhich of (?:those|these|them|the)\b|\b(?:the )?same one\b",
    _FLAGS,
)
_OTHER = re.compile(
    r"\b(?:the\s+)?other\s+(?:one|ones|kind|kinds|type|types|sort|sorts|group|way round)\b|\bthe opposite\b", _FLAGS
)
# "How long?", "why not?", "like what?", "what's the number?": a fragment that asks more about the
# last answer itself.
_FRAGMENT = re.compile(
    r"^\W*(?:and\s+|but\s+|so\s+)?(?:how|why|what|which|who|when|where|like what|such as|really|meaning)\b[\w' ]{0,20}\W*$",
    _FLAGS,
)
# "What does it depend on?", "who works that out?": a word pointing back at the last answer.
_BACK_REFERENCE = re.compile(r"\b(?:it|its|it's|that|this|they|them|those|these|there)\b", _FLAGS)
# "and the lung ones?", "what about insulinomas?", "how about the pancreas?"
_ELLIPSIS = re.compile(r"^\W*(?:and|what about|how about|and what about|what of|same for|and for|also|plus)\b", _FLAGS)


def last_entry(kb: KnowledgeBase, last: Optional[str]) -> Optional[Tuple[Entry, Optional[str]]]:
    """The entry (and variant) of the last answer, from the `last_entry` slot's keys."""
    for key in (last or "").split():
        entry_id, _, variant = key.partition(":")
        if entry_id in kb.entries:
            entry = kb.entries[entry_id]
            return entry, (variant if variant in entry.variants else None)
    return None


def primary_kind(entry: Entry) -> Optional[str]:
    """The question kind an entry answers first (its first route's first named kind)."""
    for route in entry.routes:
        for kind in route.kinds:
            if kind != ANY_KIND:
                return kind
    return None


def _resolution(entry: Entry, variant: Optional[str]) -> Resolution:
    chosen = entry.variants.get(variant) if variant else None
    return Resolution(entry, chosen, variant, variant, True)


# What a follow-up can describe an item by.
_DESCRIBING = ("symptom", "hormone", "condition", "organ")


@lru_cache(maxsize=256)
def _named_in(kb: KnowledgeBase, entry_id: str, variant: str) -> FrozenSet[str]:
    """The symptoms, hormones, conditions and organs a variant's answer names."""
    return frozenset(m.value for m in analyse(kb.entries[entry_id].variants[variant].answer)[1] if m.label in _DESCRIBING)


def _clear_winner(hits: Sequence[Hit]) -> Optional[Hit]:
    """The best hit, when it scores `follow_up_pick_min` and beats the runner-up by the margin."""
    config = settings()
    if not hits or hits[0].score < config.follow_up_pick_min:
        return None
    runner_up = hits[1].score if len(hits) > 1 else 0.0
    return hits[0] if hits[0].score - runner_up >= config.follow_up_pick_margin else None


def follow_up(
    kb: KnowledgeBase,
    text: str,
    mentions: Sequence[Mention],
    last: Optional[str],
    routing: Sequence[str],
    has_topic: bool,
    question: Optional[str],
    kind_sure: bool = True,
) -> Optional[Tuple[Optional[str], Resolution]]:
    """(question kind, resolution) when the turn follows up the last answer, else None.
    `kind_sure`: the NLU is sure of the turn's question kind (`follow_up_kind_confidence`)."""
    found = last_entry(kb, last)
    config = settings()
    if found is None or len(text.split()) > config.follow_up_pick_words:
        return None
    entry, variant = found
    # 1. One of the items the last answer listed: the one whose answer names what the turn names
    # (symptoms, hormones), else the one retrieval ranks clearly first.
    if entry.variants and _PICK.search(text):
        named = {m.value for m in mentions if m.label in _DESCRIBING}
        overlap = {key: len(named & _named_in(kb, entry.id, key)) for key in entry.variants}
        best = max(overlap.values(), default=0)
        if best and list(overlap.values()).count(best) == 1:
            return question, _resolution(entry, max(overlap, key=lambda key: overlap[key]))
        picked = _clear_winner(get_retriever().rank(text, [(entry.id, key) for key in entry.variants]))
        if picked is not None:
            return question, _resolution(entry, picked.variant)
    # 2. "And the other one?": the last answer describes both.
    if not has_topic and _OTHER.search(text):
        return question, _resolution(entry, variant)
    # 3. "How long?", "why not?": more about the last answer, when nothing else is named or sure.
    if question is None and not routing and len(text.split()) <= config.follow_up_fragment_words and _FRAGMENT.search(text):
        return primary_kind(entry), _resolution(entry, variant)
    # ... and "what does it depend on?", "who works that out?": a short turn that points back at
    # the last answer and names nothing of its own, whose kind the NLU is unsure of.
    if (
        not kind_sure
        and not routing
        and not has_topic
        and len(text.split()) <= config.follow_up_words
        and _BACK_REFERENCE.search(text)
        and not _ELLIPSIS.search(text)
    ):
        return primary_kind(entry), _resolution(entry, variant)
    if question is not None or not (is_elliptical(text) or names_only(text, mentions)):
        return None
    # 4. "And the lung ones?": the last answer's kind of question, about the subject now named.
    if routing:
        kind = primary_kind(entry)
        resolved = kb.resolve(kind, routing) if kind else None
        return (kind, resolved) if kind and resolved is not None else None
    # 5. "What about drinks?": the last answer or one it offered next, whichever retrieval ranks
    # clearly first for the words of the turn.
    among = [(entry.id, None)] + [(related, None) for related in entry.related if related in kb.entries]
    picked = _clear_winner(get_retriever().rank(text, among))
    if picked is None:
        return None
    chosen = kb.entries[picked.entry]
    return primary_kind(chosen), _resolution(chosen, None)


# What a turn that only names a subject may say besides it ("lung?", "the pancreas ones").
_NAMING_WORDS = frozenset("the a an and or ones one kind kinds type types in of too also then".split())


def names_only(text: str, mentions: Sequence[Mention]) -> bool:
    """A turn that names a subject and nothing else ("lung", "pancreas?") asks the last question
    again about it, as "and the lung ones?" does."""
    if not any(m.start >= 0 for m in mentions):
        return False
    return all(word in _NAMING_WORDS for word in words_outside(text, mentions))


def picks(text: str) -> bool:
    """Does the turn pick one item of a list, or ask what one is called?"""
    return bool(_PICK.search(text))


def is_elliptical(text: str) -> bool:
    """A short turn that continues the last question with a new subject ("and the lung ones?")."""
    return bool(_ELLIPSIS.search(text)) and len(text.split()) <= settings().follow_up_words

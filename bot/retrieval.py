"""Fallback search over the knowledge base: spaCy lemmas + TF-IDF (scikit-learn).

Used when the NLU model is unsure. Each entry (and each variant) is a document made of its
title, its answer and the names of the subjects it answers about. A query is matched on lemmas
and on the subjects the vocabulary finds in it; the best entries are offered as "Did you mean"
buttons, and only a score above a calibrated threshold answers directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, List, Optional, Sequence, Tuple

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from bot.knowledge import KnowledgeBase, get_knowledge_base
from bot.nlp import analyse, lemmas

# Words that say nothing about the topic.
STOP = frozenset(
    "a an the of to in on at for and or but is are be been was were am do does did i me my you your "
    "he she it its they them their we our this that these those what which who how why when where can "
    "could would should will shall may might have has had with about from by as tell please know want "
    "need get got any some there here so if not no yes just also than then too very really".split()
)


@dataclass(frozen=True)
class Hit:
    entry: str
    variant: Optional[str]
    score: float

    @property
    def key(self) -> str:
        return f"{self.entry}:{self.variant}" if self.variant else self.entry


def _subject_tokens(kb: KnowledgeBase, subjects: Sequence[str]) -> List[str]:
    return [f"subj_{s}" for s in subjects if s in kb.subjects]


class Retriever:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.keys: List[Tuple[str, Optional[str]]] = []
        docs: List[str] = []
        for entry in kb.entries.values():
            subjects = [r.subject for r in entry.routes if r.subject] + list(entry.covers)
            names = " ".join(n for s in subjects for n in kb.subjects[s].names)
            text = f"{entry.title} {entry.title} {names} {entry.answer}"
            docs.append(self._doc(text, subjects))
            self.keys.append((entry.id, None))
            for key, variant in entry.variants.items():
                vtext = f"{kb.subjects[key].title} {' '.join(kb.subjects[key].names)} {variant.answer}"
                docs.append(self._doc(vtext, [key, key]))
                self.keys.append((entry.id, key))
        self.vectorizer = TfidfVectorizer(token_pattern=r"[^ ]+", sublinear_tf=True, ngram_range=(1, 2))
        self.matrix = self.vectorizer.fit_transform(docs)

    def _doc(self, text: str, subjects: Sequence[str]) -> str:
        words = [w for w in lemmas(text) if w not in STOP and any(c.isalnum() for c in w)]
        return " ".join(words + _subject_tokens(self.kb, subjects) * 2)

    def _scores(self, query: str) -> Optional[Any]:
        query_lemmas, found = analyse(query[:2000])
        words = [w for w in query_lemmas if w not in STOP and any(c.isalnum() for c in w)]
        subjects = [m.value for m in found if m.value in self.kb.subjects]
        text = " ".join(words + _subject_tokens(self.kb, subjects) * 2)
        if not text.strip():
            return None
        return linear_kernel(self.vectorizer.transform([text]), self.matrix)[0]

    def rank(self, query: str, among: Sequence[Tuple[str, Optional[str]]]) -> List[Hit]:
        """Only the documents `among` (entry, variant), best first: which of the items the last
        answer listed a follow-up describes ("the one with the watery diarrhoea")."""
        scores = self._scores(query)
        if scores is None:
            return []
        wanted = set(among)
        hits = [Hit(e, v, float(scores[i])) for i, (e, v) in enumerate(self.keys) if (e, v) in wanted and scores[i] > 0]
        return sorted(hits, key=lambda h: -h.score)

    def search(self, query: str, k: int = 3) -> List[Hit]:
        scores = self._scores(query)
        if scores is None:
            return []
        order = scores.argsort()[::-1]
        hits: List[Hit] = []
        seen = set()
        for index in order:
            entry, variant = self.keys[index]
            if scores[index] <= 0 or (entry, variant) in seen:
                continue
            seen.add((entry, variant))
            hits.append(Hit(entry, variant, float(scores[index])))
            if len(hits) == k:
                break
        return hits


@lru_cache(maxsize=1)
def get_retriever() -> Retriever:
    return Retriever(get_knowledge_base())

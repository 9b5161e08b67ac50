"""Turn the subject names in subjects.yml into the forms people actually type.

Each name is listed once; this module adds UK/US spellings (tumour/tumor, diarrhoea/diarrhea,
oesophagus/esophagus, haemoptysis/hemoptysis ...), plurals and common one-slip typos of long
words, and builds the spaCy entity-ruler patterns and the Rasa synonym table from them.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Iterable, List, Sequence, Set, Tuple

from bot.knowledge import KnowledgeBase

# (UK, US) spelling pairs, applied both ways inside a word.
SPELLING_PAIRS: Tuple[Tuple[str, str], ...] = (
    ("tumour", "tumor"),
    ("oesophag", "esophag"),
    ("diarrhoea", "diarrhea"),
    ("haemo", "hemo"),
    ("haem", "hem"),
    ("anaem", "anem"),
    ("phaeo", "pheo"),
    ("glycaem", "glycem"),
    ("dyspnoea", "dyspnea"),
    ("steatorrhoea", "steatorrhea"),
    ("oedema", "edema"),
    ("isation", "ization"),
    ("ise", "ize"),
    ("ised", "ized"),
    ("centre", "center"),
    ("analogue", "analog"),
    ("paediatric", "pediatric"),
    ("practis", "practic"),
    ("coloured", "colored"),
)

VOWELS = "aeiouy"
# Long words get typo variants; shorter ones are too easily another real word.
TYPO_MIN_LENGTH = 7

Tokenize = Callable[[str], List[str]]


def spelling_forms(word: str) -> Set[str]:
    """`word` plus its other-side spellings (lower case)."""
    word = word.lower()
    forms = {word}
    for uk, us in SPELLING_PAIRS:
        for form in list(forms):
            if uk in form:
                forms.add(form.replace(uk, us))
            if us in form and uk not in form:
                forms.add(form.replace(us, uk))
    return forms


def plural_forms(word: str) -> Set[str]:
    word = word.lower()
    forms = {word}
    if word.isalpha() and len(word) > 2:
        if word.endswith("s"):
            if len(word) > 3:
                forms.add(word[:-1])
        else:
            forms.add(word + "s")
            if word.endswith(("ch", "sh", "x", "is")):
                forms.add(word + "es")
    return forms


def typo_forms(word: str) -> Set[str]:
    """One-slip typos of a long word: a letter dropped, two swapped, a vowel wrong, a letter doubled."""
    word = word.lower()
    if len(word) < TYPO_MIN_LENGTH or not word.isalpha():
        return set()
    out: Set[str] = set()
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1 :])
        out.add(word[:i] + word[i] + word[i:])
        if i + 1 < len(word):
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
        if word[i] in VOWELS:
            for vowel in VOWELS:
                out.add(word[:i] + vowel + word[i + 1 :])
    out.discard(word)
    return out


def word_forms(word: str, last: bool, english: Set[str], protected: Set[str]) -> Set[str]:
    """Every form of one token of a name that should still match it."""
    base: Set[str] = set()
    for spelled in spelling_forms(word):
        base |= plural_forms(spelled) if last else {spelled}
    forms = set(base)
    for form in base:
        for typo in typo_forms(form):
            if typo not in english and typo not in protected:
                forms.add(typo)
    return forms


def build_patterns(kb: KnowledgeBase, tokenize: Tokenize, english: Set[str]) -> List[Dict[str, object]]:
    """spaCy EntityRuler token patterns for every subject name, with `id` = subject value."""
    protected: Set[str] = set()
    for subject in kb.subjects.values():
        for name in subject.names:
            for token in tokenize(name):
                protected |= spelling_forms(token)
    patterns: List[Dict[str, object]] = []
    for subject in kb.subjects.values():
        for name in subject.names:
            tokens = tokenize(name)
            if not tokens:
                continue
            spec: List[Dict[str, object]] = []
            for i, token in enumerate(tokens):
                if not any(c.isalpha() for c in token):
                    spec.append({"ORTH": token})
                    continue
                forms = word_forms(token, i == len(tokens) - 1, english, protected - {token.lower()})
                spec.append({"LOWER": {"IN": sorted(forms)}})
            patterns.append({"label": subject.label, "pattern": spec, "id": subject.value})
        for name in subject.exact:
            patterns.append({"label": subject.label, "pattern": [{"ORTH": t} for t in tokenize(name)], "id": subject.value})
    return patterns


def synonym_table(kb: KnowledgeBase, tokenize: Tokenize) -> Dict[str, List[str]]:
    """Rasa synonyms: canonical value -> the spellings/plurals people type (no typos)."""
    table: Dict[str, List[str]] = {}
    for subject in kb.subjects.values():
        forms: Set[str] = set()
        for name in subject.names + subject.exact:
            tokens = tokenize(name)
            variants: List[str] = [""]
            for i, token in enumerate(tokens):
                options = spelling_forms(token)
                if i == len(tokens) - 1:
                    options = set().union(*(plural_forms(o) for o in options))
                variants = [f"{v} {o}".strip() if v else o for v in variants for o in sorted(options)]
            forms.update(_detokenize(name, v) for v in variants)
        forms.discard(subject.value)
        table[subject.value] = sorted(f for f in forms if f)
    return table


def _detokenize(original: str, spaced: str) -> str:
    """Rejoin tokens the way the original name was written ("bp - net" -> "bp-net")."""
    text = spaced
    if "-" in original:
        text = re.sub(r"\s*-\s*", "-", text)
    if "'" in original:
        text = re.sub(r"\s+'", "'", text)
    return text


def english_words(tables: Iterable[Sequence[str]]) -> Set[str]:
    words: Set[str] = set()
    for table in tables:
        words.update(w.lower() for w in table if isinstance(w, str))
    return words

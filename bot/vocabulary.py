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


def name_words(kb: KnowledgeBase, tokenize: Tokenize) -> Set[str]:
    """The lower-cased words (tokens with a letter) of every subject name."""
    return {
        token.lower()
        for subject in kb.subjects.values()
        for name in subject.names
        for token in tokenize(name)
        if any(c.isalpha() for c in token)
    }


def norm_table(kb: KnowledgeBase, tokenize: Tokenize, english: Set[str]) -> Dict[str, str]:
    """Every form people type of a word of a subject name -> that word's norm.

    A word's forms are its UK/US spellings and plurals and, for long words, one-slip typos that
    are neither English words nor a form of another name's word. Words whose spellings or
    plurals overlap (tumour, tumours, tumor) share one norm; a typo of words of different subjects
    (hypo-/hyperglycaemia) is left out, so it matches nothing. The entity ruler matches the names
    on these norms: a name matches whatever form of each of its words was typed.
    """
    words = name_words(kb, tokenize)
    base = {word: set().union(*(plural_forms(s) for s in spelling_forms(word))) for word in sorted(words)}
    # Words sharing a spelling or plural form are one class (union-find over the forms).
    parent: Dict[str, str] = {}

    def find(form: str) -> str:
        while parent.setdefault(form, form) != form:
            parent[form] = parent[parent[form]]
            form = parent[form]
        return form

    for word, forms in base.items():
        for form in forms:
            a, b = find(word), find(form)
            if a != b:
                parent[max(a, b)] = min(a, b)
    table = {form: find(word) for word, forms in base.items() for form in forms}
    subjects_of: Dict[str, Set[str]] = {}
    for subject in kb.subjects.values():
        for name in subject.names:
            for token in tokenize(name):
                subjects_of.setdefault(token.lower(), set()).add(subject.value)
    claimed: Dict[str, Set[str]] = {}
    for word, forms in base.items():
        for form in forms:
            for typo in typo_forms(form):
                if typo not in table and typo not in english:
                    claimed.setdefault(typo, set()).add(word)
    for typo, claimants in claimed.items():
        norms = {table[word] for word in claimants}
        if len(norms) == 1 or set.intersection(*(subjects_of[word] for word in claimants)):
            table[typo] = min(norms)  # one word, or words of one subject (diarrea, diarhea)
    return table


def build_patterns(kb: KnowledgeBase, tokenize: Tokenize) -> List[Dict[str, object]]:
    """spaCy EntityRuler patterns with `id` = subject value: each name as a phrase (matched on
    the norms of `norm_table`), each exact name (case matters: "NET", not "net") as ORTH tokens."""
    patterns: List[Dict[str, object]] = []
    for subject in kb.subjects.values():
        for name in subject.names:
            if tokenize(name):
                patterns.append({"label": subject.label, "pattern": name, "id": subject.value})
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

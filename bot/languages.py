"""A message written in another language gets, in that language, a short fixed reply: the bot
answers in English only, and the emergency numbers (issue 14, item 7).

Why: the bot understands English only, so a message in French or Arabic would get an English "not
sure I understood" (or a wrong answer), which a person who does not read English cannot use, even
in an emergency. The opposite mistake is worse: an English-speaking patient who typed with typos,
medicine names or a place name must never be told to write in English. So a message counts as
another language only on strong evidence (thresholds in bot/thresholds.yml and bot/config.py,
chosen on the English banks: none of their messages gets the reply; tests/test_languages.py):

* script: when most of its letters are in a script other than Latin (Arabic, Han, Cyrillic,
  Devanagari ...), the script decides, unless it also asks something in English;
* Latin script: py3langid's probability of the message being in one of the languages of
  data/knowledge/languages.yml rather than English, for a message of a few words at least, of
  which few are English: words of the English word list (spacy-lookups-data, as bot/nlp.py), the
  English stop words, the chat forms of languages.yml and the subjects the bot's vocabulary found
  (mentions), less the stop words of the language found ("de", "est" are in the English list);
  and at least one word must show that language (py3langid reads typed English such as "dad iz
  colapsd hlp" as Spanish), and the message must not be only a name ("Clínica Universidad de
  Navarra").

py3langid's model ships inside the package (nothing is downloaded) and is loaded once, on first
use; a check costs well under a millisecond. Pure Python, no Rasa.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot import answers
from bot.answers import Reply
from bot.config import settings

LANGUAGES_FILE = "languages.yml"
KIND = "other_language"
DIAGNOSIS_KIND = "diagnosis"
ENGLISH = "en"
LATIN = "Latin"
# Letters of these scripts are counted under one name (Japanese: kana, with or without kanji).
_SCRIPT_NAMES = {"CJK": "Han", "HIRAGANA": "Kana", "KATAKANA": "Kana", "HALFWIDTH": "Kana"}
# Words: letters, with apostrophes inside ("don't", "l'anglais").
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_APOSTROPHE = re.compile(r"['\u2019]")
# The English contractions' endings: "doesn't" counts as "does", "she's" as "she".
_CONTRACTION_ENDS = frozenset({"s", "t", "ve", "re", "ll", "d", "m"})
_DIGITS = re.compile(r"\d+")
# Of the Latin-script languages at least this likely by py3langid, the one whose stop words the
# message uses most is its language (py3langid alone reads "mi padre le ... eso" as Italian).
_PLAUSIBLE = 0.001


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    script: str
    text: str
    letters: FrozenSet[str] = frozenset()
    # Said first to a request for a diagnosis: the bot cannot tell (bot/safety.py
    # `asks_for_diagnosis_in_other_language`).
    no_diagnosis: str = ""


@dataclass(frozen=True)
class LanguageTexts:
    """data/knowledge/languages.yml."""

    languages: Mapping[str, Language]
    english: str
    fallback: str
    chat_words: FrozenSet[str]
    no_diagnosis_english: str = ""

    def in_script(self, script: str) -> List[str]:
        return [code for code, language in self.languages.items() if language.script == script]

    def marked(self, text: str, codes: Sequence[str]) -> List[str]:
        """The first of `codes` (in the file's order) whose letters `text` has; else all of them."""
        present = set(text)
        for code in codes:
            if self.languages[code].letters & present:
                return [code]
        return list(codes)


@dataclass(frozen=True)
class Detection:
    """What the check found: `language` is a code of languages.yml, "" for a script none of them
    uses (the English fallback text), or None: English (or too little to tell), answer as usual.
    `also`: other languages of the same script, as likely, whose text the reply adds (py3langid
    cannot tell "مرحبا" Arabic from Persian)."""

    language: Optional[str]
    reason: str
    probability: float = 0.0
    english_share: float = 1.0
    words: int = 0
    also: Tuple[str, ...] = ()


def load_texts(path: Path) -> LanguageTexts:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    languages = {}
    for code, item in (data.get("languages") or {}).items():
        text = " ".join(str(item["text"]).split())
        if "{numbers}" not in text:
            raise ValueError(f"{path.name}: {code} has no {{numbers}}")
        letters = frozenset(str(item.get("letters") or ""))
        no_diagnosis = " ".join(str(item["no_diagnosis"]).split())
        languages[str(code)] = Language(str(code), str(item["name"]), str(item["script"]), text, letters, no_diagnosis)
    return LanguageTexts(
        languages=languages,
        english=" ".join(str(data["english"]).split()),
        fallback=" ".join(str(data["fallback"]).split()),
        chat_words=frozenset(str(data.get("english_chat_words") or "").lower().split()),
        no_diagnosis_english=" ".join(str(data["no_diagnosis_english"]).split()),
    )


@lru_cache(maxsize=4)
def _texts(path: str, mtime_ns: int) -> LanguageTexts:
    return load_texts(Path(path))


def texts(knowledge_dir: Optional[Path] = None) -> LanguageTexts:
    path = Path(knowledge_dir or settings().knowledge_dir) / LANGUAGES_FILE
    return _texts(str(path), path.stat().st_mtime_ns)


# ------------------------------------------------------------------------------ the evidence
@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)


def probabilities(text: str, codes: Sequence[str]) -> Dict[str, float]:
    """py3langid's probability of each language in `codes`, normalised over `codes` (what
    `set_languages(codes)` with norm_probs gives, from one pass of the full model)."""
    import numpy as np

    identifier = _identifier()
    columns = list(_columns(tuple(codes)))
    # py3langid's nb_classprobs over the features present only (its dense product costs ~1 ms).
    counts = identifier.instance2fv(text)
    present = counts.nonzero()[0]
    scores = counts[present].astype(np.float64) @ identifier.nb_ptc[present][:, columns] + identifier.nb_pc[columns]
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    return {code: float(p) for code, p in zip(codes, weights, strict=True)}


@lru_cache(maxsize=16)
def _columns(codes: Tuple[str, ...]) -> Tuple[int, ...]:
    classes = list(_identifier().nb_classes)
    return tuple(classes.index(code) for code in codes)


@lru_cache(maxsize=1)
def _english_words() -> FrozenSet[str]:
    """The English word list of bot/nlp.py (spacy-lookups-data) and spaCy's English stop words."""
    from bot.nlp import english_words

    return frozenset(english_words()) | _english_stop_words()


@lru_cache(maxsize=1)
def _english_stop_words() -> FrozenSet[str]:
    return _stop_words(ENGLISH)


@lru_cache(maxsize=32)
def _stop_words(code: str) -> FrozenSet[str]:
    """spaCy's stop words of a language (none when spaCy has no list for it), read from its
    stop_words.py alone: importing spacy.lang.<code> would build the whole language (seconds)."""
    spec = importlib.util.find_spec("spacy")
    path = Path(spec.origin).parent / "lang" / code / "stop_words.py" if spec and spec.origin else None
    if path is None or not path.is_file():
        return frozenset()
    module_spec = importlib.util.spec_from_file_location(f"_netbot_stop_words_{code}", path)
    if module_spec is None or module_spec.loader is None:
        return frozenset()
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(w.lower() for w in getattr(module, "STOP_WORDS", ()) if not _APOSTROPHE.search(w))


def words(text: str) -> List[str]:
    """The words of `text` in lower case, of two letters or more; an English contraction counts
    as its first word ("doesn't" -> "does"), a French or Italian elision as two ("l'anglais")."""
    found: List[str] = []
    for token in _WORD.findall(text.lower()):
        parts = _APOSTROPHE.split(token)
        if len(parts) > 1 and parts[-1] in _CONTRACTION_ENDS:
            head = "".join(parts[:-1])
            if parts[-1] == "t" and head.endswith("n") and head not in ("can", "won"):
                head = head[:-1]
            parts = [head]
        found.extend(part for part in parts if len(part) > 1)
    return found


def script_of(char: str) -> str:
    """The Unicode script of a letter, by its name ("ARABIC LETTER ALEF" -> "Arabic")."""
    if char < "\u0250":
        return LATIN
    first = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_NAMES.get(first, first.title())


def letters_by_script(text: str) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for char in text:
        if char.isalpha():
            script = script_of(char)
            counts[script] = counts.get(script, 0) + 1
    if counts.get("Kana") and counts.get("Han"):
        counts["Kana"] += counts.pop("Han")  # kanji with kana: Japanese
    return counts


def english_words(found: Sequence[str], known: FrozenSet[str], chat: FrozenSet[str], language: Optional[str] = None) -> int:
    """How many of the words are English: in the English word list, the chat forms or `known`
    (the bot's vocabulary), and not a stop word of `language` that is not also an English one."""
    lexicon = _english_words()
    foreign = _only_foreign(language) if language else frozenset()
    return sum(1 for w in found if (w in lexicon or w in chat or w in known) and w not in foreign)


@lru_cache(maxsize=32)
def _only_foreign(code: str) -> FrozenSet[str]:
    """The stop words of a language that are not English ones ("de", "est"; not "me", "in")."""
    return _stop_words(code) - _english_stop_words()


def detect(text: str, known: Iterable[str] = (), language_texts: Optional[LanguageTexts] = None) -> Detection:
    """Whether `text` is written in another language, and which. `known`: texts of the subjects
    the bot's vocabulary found in it (bot.nlp mentions), which count as English words."""
    config = settings()
    data = language_texts or texts()
    _english_words()  # the word list, loaded on the first message (the servers' warm-up) rather than later
    # Compatibility forms read as their letters: "𝕨𝕙𝕒𝕥 𝕚𝕤" and fullwidth "ｗｈａｔ" are English.
    text = unicodedata.normalize("NFKC", text)
    counts = letters_by_script(text)
    total = sum(counts.values())
    if not total:
        return Detection(None, "no letters")
    known_words = frozenset(w for item in known for w in words(item))
    latin = [w for w in words(text) if all(script_of(c) == LATIN for c in w)]
    script, letters = max(counts.items(), key=lambda kv: kv[1])
    if script != LATIN and letters >= config.language_script_share * total and letters >= config.language_min_letters:
        english = english_words(latin, known_words, data.chat_words)
        if english >= config.language_english_words:
            return Detection(None, "English question", english_share=english / len(latin), words=len(latin))
        candidates = data.marked(text, data.in_script(script))
        if not candidates:
            return Detection("", f"script {script}", 1.0, 0.0, len(latin))
        found = probabilities(text, candidates)
        ranked = sorted(candidates, key=lambda code: -found[code])
        best = ranked[0]
        # Unsure between the languages of the script: the text of each that is not unlikely.
        unsure = found[best] < config.language_min_probability
        also = tuple(code for code in ranked[1:] if unsure and found[code] >= 1.0 - config.language_min_probability)
        return Detection(best, f"script {script}", found[best], 0.0, len(latin), also)
    if script != LATIN:
        return Detection(None, "mixed scripts", words=len(latin))
    if len(latin) < config.language_min_words:
        return Detection(None, "too short", words=len(latin))
    others = data.in_script(LATIN)
    found = probabilities(text, others + [ENGLISH])
    other = 1.0 - found[ENGLISH]
    if other < config.language_min_probability:
        return Detection(None, "identifier", other, words=len(latin))
    plausible = [code for code in others if found[code] >= _PLAUSIBLE]
    best = max(plausible, key=lambda code: (sum(1 for w in latin if w in _stop_words(code)), found[code]))
    share = english_words(latin, known_words, data.chat_words, best) / len(latin)
    if share > config.language_max_english_share:
        return Detection(None, "English words", other, share, len(latin))
    if foreign_words(text, best) < config.language_foreign_words:
        return Detection(None, "no foreign word", other, share, len(latin))
    if len(latin) <= config.language_name_words and _only_names(text, best):
        return Detection(None, "names", other, share, len(latin))
    return Detection(best, "identifier", other, share, len(latin))


def foreign_words(text: str, language: str) -> int:
    """Words that show the language: with a letter English does not use ("è", "är", "câncer"),
    or one of its stop words of three letters or more that English does not have ("une", "jest").
    A typed English "hlp mi mum iz blu" has none ("mi" and "iz" are Polish stop words too)."""
    foreign = _only_foreign(language)
    parts = [part for token in _WORD.findall(text.lower()) for part in _APOSTROPHE.split(token)]
    return sum(1 for part in parts if any(char > "\x7f" for char in part) or (len(part) >= 3 and part in foreign))


def _only_names(text: str, language: str) -> bool:
    """Whether every word but the stop words is capitalised or an acronym: names ("Clínica
    Universidad de Navarra", "Hôpital Européen Georges Pompidou", "VHL von Hippel Lindau")."""
    stop = _stop_words(language) | _english_stop_words()
    content = [token for token in _WORD.findall(text) if len(token) > 1 and token.lower() not in stop]
    return bool(content) and all(token[0].isupper() for token in content)


# ------------------------------------------------------------------------------ the reply
def emergency_numbers(kb: Any, region: Optional[str]) -> str:
    """The numbers of the bot's emergency reply for `region` (bot.referral.emergency_text reads
    the same contacts.yml entries), digits only: "911, 999, 112" when the region is unknown."""
    block = kb.contacts["emergency"]
    numbers = block["numbers"].get(region) if region else None
    return ", ".join(dict.fromkeys(_DIGITS.findall(str(numbers or block["unknown"]))))


def reply_for(
    kb: Any,
    detection: Detection,
    region: Optional[str],
    language_texts: Optional[LanguageTexts] = None,
    diagnosis: bool = False,
) -> Reply:
    """The fixed reply in the language found (and in `also`), the same in English, then the usual
    closing; the English `fallback` alone for a language languages.yml does not have. To a request
    for a diagnosis (`diagnosis`), each language's no-diagnosis sentence comes before its text, and
    the reply is of the diagnosis kind (it gives no diagnosis, like the English one)."""
    data = language_texts or texts()
    numbers = emergency_numbers(kb, region)
    codes = [code for code in (detection.language or "", *detection.also) if code in data.languages]
    parts = []
    for code in codes:
        parts += [data.languages[code].no_diagnosis] if diagnosis else []
        parts.append(data.languages[code].text.format(numbers=numbers))
    english = data.english if parts else data.fallback
    parts += [data.no_diagnosis_english] if diagnosis else []
    parts.append(english.format(numbers=numbers))
    return answers.finish(kb, parts, kind=DIAGNOSIS_KIND if diagnosis else KIND, region=region)


def detect_other(text: str, mentions: Iterable[Any]) -> Optional[Detection]:
    """The detection when `text` is written in another language, else None (English, a button's
    payload, or too little to tell). `mentions`: what the bot's vocabulary found (bot.nlp.Mention)."""
    if not text or text.startswith("/"):
        return None
    detection = detect(text, [str(getattr(m, "text", m)) for m in mentions])
    return detection if detection.language is not None else None

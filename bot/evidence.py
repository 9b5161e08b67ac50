"""Sentence-level evidence: every medical sentence the bot can send, tied to the source passage behind it.

data/knowledge/evidence.yml holds, for each sentence of each knowledge-base answer (entries and
variants) and of each fixed message that states a medical fact, the source id(s) and the exact
quoted passage(s) that support it. This module loads that file and checks it against the answer
texts and the source documents in data/sources:

- the sentences recorded are exactly the sentences of the current texts (same splitter here and
  for the data), so an edited answer without updated evidence fails;
- every sentence has at least one quote, and every quote is verbatim in the cited source (after
  whitespace and quote-mark normalisation) and at least `MIN_QUOTE_WORDS` words long;
- every number, percentage and phone number, and every named subject (hormone, organ, tumour type,
  condition, symptom, treatment ...: subjects.yml through the spaCy entity ruler in bot.nlp) of a
  sentence appears in its quotes;
- the sentence's content lemmas (stop words and the bot's framing words left out) overlap its
  quotes' lemmas by at least `MIN_OVERLAP`;
- a sentence that names a publisher ("The NETRF says ...") quotes that publisher's document;
- a quote that touches a defect recorded in data/sources/README.md says which reading it used
  (`defect:` + `reading:`), and only such a reading may supply names the extracted text lost;
- a coverage sentence ("My sources don't ...") lists the terms it is about (`coverage:`) and
  quotes every passage of all five sources that mentions them, so a reviewer sees the whole of
  what the sources say on it;
- a sentence marked `unsupported:` fails: the answer text must change;
- a sentence marked `policy:` is the bot's own safety routing, not a sourced statement: only the
  emergency texts of contacts.yml (`POLICY_KEYS`) may use it, only in the `POLICY_CATEGORIES`,
  and such a sentence may name no medical subject and no figure but the emergency numbers;
- contact details (phone numbers, hours, web addresses) are written in evidence.yml as
  placeholders for contacts.yml (`{referral.uk.phone}`, `{referral.canada.url|host}`), filled
  when the file is loaded: the numbers live in contacts.yml only, and a quote that prints one
  proves that contacts.yml has it as the source page printed it.

    python -m bot.evidence report [--out results/grounding.md]   # per-entry table + weakest ten
    python -m bot.evidence check                                  # problems only; exit 1 if any

The module is pure Python (PyYAML, spaCy through bot.nlp): no Rasa.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Counter, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import yaml

from bot.config import PROJECT_ROOT
from bot.shaping import PLAIN_QUOTES

KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"
SOURCES_DIR = PROJECT_ROOT / "data" / "sources"
EVIDENCE_FILE = KNOWLEDGE_DIR / "evidence.yml"
REPORT_FILE = PROJECT_ROOT / "results" / "grounding.md"

# A sentence's content lemmas must be at least this share covered by its quotes' lemmas. Chosen
# from the data (results/grounding.md): the weakest supported sentences share 50% (short ones, 1 of
# 2 or 2 of 4 words), a rewrite that keeps a sentence's subjects but says something else shares at
# most 29%, and a short sentence with two of its five words kept ("Survival depends mostly on a
# positive attitude ...") 40%. A short invented clause added to a long sourced sentence can stay
# above it: the figure and subject checks, not the overlap, are what catch added numbers and names.
MIN_OVERLAP = 0.45
# A quote shorter than this is a cherry-picked word, not a passage.
MIN_QUOTE_WORDS = 3

# Subject labels (subjects.yml) whose every mention in a sentence must also be in its quotes.
# `concept` (spread, benign, research ...) and `region` are left to the lemma overlap: they are
# everyday words the sources phrase in many ways.
CHECKED_LABELS: FrozenSet[str] = frozenset(
    {"net_type", "condition", "hormone", "organ", "symptom", "uncovered", "other_condition"}
)
# Labels whose subjects are buckets of different things (subjects.yml: `medicines` is octreotide and
# doses and tablets, `other_illness` is asthma and stroke ...): there the mention's own words must be
# in the quotes, not just another member of its bucket.
BUCKET_LABELS: FrozenSet[str] = frozenset({"uncovered", "other_condition"})
# The subject every source is about: naming it ("If a NET is found") is never a new claim.
TOPIC_SUBJECTS: FrozenSet[str] = frozenset({"net"})

# The publishers as answers name them, and the source each name stands for. Naming a publisher is
# framing, not content: the words are dropped before lemmas and subjects are compared, and the
# sentence must cite that source.
PUBLISHER_NAMES: Tuple[Tuple[str, str], ...] = (
    ("the NET Cancer Day article", "netday-article"),
    ("NET Cancer Day article", "netday-article"),
    ("the Canadian Cancer Society", "ccs-2024"),
    ("Canadian Cancer Society", "ccs-2024"),
    ("Cancer Research UK's", "cruk-2025"),
    ("Cancer Research UK", "cruk-2025"),
    ("the Neuroendocrine Tumor Research Foundation's", "netrf-about"),
    ("the Neuroendocrine Tumor Research Foundation", "netrf-about"),
    ("The NETRF's", "netrf-about"),
    ("the NETRF's", "netrf-about"),
    ("The NETRF", "netrf-about"),
    ("the NETRF", "netrf-about"),
    ("NETRF's", "netrf-about"),
    ("NETRF", "netrf-about"),
    ("Ipsen's page", "ipsen-2019"),
    ("Ipsen", "ipsen-2019"),
)
# The bot's own framing: how it introduces what a source says. Left out of the lemma overlap.
FRAMING_LEMMAS: FrozenSet[str] = frozenset(
    {
        "my",
        "source",
        "page",
        "article",
        "say",
        "says",
        "describe",
        "list",
        "suggest",
        "explain",
        "accord",
        "according",
        "mention",
        "note",
    }
)
# Plain words an answer puts beside (or for) a source's technical word: a quote with the technical
# word also supplies the plain one. Keep it to true equivalents; it is not a thesaurus.
GLOSSES: Dict[str, Tuple[str, ...]] = {
    "gastric": ("stomach",),
    "gastrointestinal": ("digestive",),
    "metastasize": ("spread",),
    "metastatic": ("spread",),
}
# A coverage sentence: a statement about what the sources do not contain.
COVERAGE_SENTENCE = re.compile(r"^My sources (?:don't|do not|only)\b")
# Words outside the bot's vocabulary (subjects.yml) that name an organ or a treatment: like the
# subjects, a sentence may use one only when its quotes do ("a new organ", "an invented treatment").
EXTRA_TERMS: FrozenSet[str] = frozenset(
    {
        # organs and body parts
        "adrenal",
        "bladder",
        "bone",
        "brain",
        "breast",
        "duodenum",
        "eye",
        "heart",
        "jejunum",
        "lymph",
        "marrow",
        "parathyroid",
        "spine",
        "spleen",
        "uterus",
        "womb",
        # treatments and remedies
        "acupuncture",
        "antibiotic",
        "antidepressant",
        "herbal",
        "homeopathy",
        "homeopathic",
        "steroid",
        "supplement",
        "vaccine",
        "vitamin",
        "probiotic",
        "detox",
    }
)


# Defects of the extracted text recorded in data/sources/README.md. A quote that contains one of
# the `triggers` must say which reading it used (`defect: <id>` and `reading: ...`); a reading may
# supply the subject names in `licenses` (the names the README allows) when it names them, and a
# sentence relying on it may not use the words in `forbids` (the error the README warns about).
@dataclass(frozen=True)
class Defect:
    id: str
    source: str
    readme_marker: str  # words of the README's record of the defect
    triggers: Tuple[str, ...]
    licenses: FrozenSet[str] = frozenset()
    forbids: Tuple[str, ...] = ()  # words a sentence relying on such a quote may not use


DEFECTS: Dict[str, Defect] = {
    d.id: d
    for d in (
        Defect(
            "counters",
            "netrf-about",
            'animated counters were scraped as "0 years" and "0 %"',
            ("171 K", "0 years", "0 %"),
        ),
        Defect(
            "somatostatin-receptors",
            "netrf-about",
            'lists "somatostatin receptors" among hormones',
            ("Somatostatin receptors",),
            forbids=("somatostatin",),
        ),
        Defect(
            "pancreatic-headings",
            "netday-article",
            "the headings of the first three symptom clusters were lost",
            (
                "broken them out by the type of hormone",
                "Severe, persistent acid reflux",
                "Hypoglycemia (Low blood sugar)",
                "Hyperglycemia (high blood sugar)",
            ),
            frozenset({"gastrinoma", "insulinoma", "glucagonoma", "insulin", "glucagon", "gastrin"}),
        ),
    )
}

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# A contact detail in evidence.yml: a dotted path into contacts.yml, optionally `|host` (the web
# address without "https://" and "www.", as pages print it).
_CONTACT_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)+)(\|host)?\}")

# The bot's safety policy: sentences that are its own routing, not a statement drawn from the
# sources. The sources README names the red flags the bot must escalate (`POLICY_README_MARKER`);
# the emergency reply then gives urgent-care advice first, with the emergency numbers of
# contacts.yml. Only these contacts.yml texts may be marked `policy:`, and only in these categories.
POLICY_CATEGORIES: Tuple[str, ...] = ("safety escalation",)
POLICY_KEYS: FrozenSet[str] = frozenset({"emergency.intro"})
POLICY_KEY_PREFIXES: Tuple[str, ...] = ("emergency.numbers.",)
POLICY_README_MARKER = "These are the red flags the bot must escalate."


def policy_allowed(key: str) -> bool:
    """Whether the text `key` (evidence.yml's name for it) may carry a `policy:` sentence."""
    return key in POLICY_KEYS or key.startswith(POLICY_KEY_PREFIXES)


class EvidenceError(ValueError):
    """evidence.yml is malformed (not: a check failed; those are `Finding`s)."""


# ------------------------------------------------------------------------------ sentences
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "U.S.", "Mon.", "Fri.")
_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'\u201d\u2019)]))\s+(?=[\"'\u201c\u2018(]?[A-Z0-9])")


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def split_sentences(text: str) -> List[str]:
    """Sentences of an answer: split after . ! or ? followed by a space and a capital or digit.

    Whitespace is collapsed first; "e.g.", "i.e." and a few other abbreviations never end a
    sentence. Deterministic and simple: the same function splits the data and the test's texts.
    """
    flat = normalise_space(text)
    protected = flat
    for i, abbreviation in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbreviation, f"\x00{i}\x00")
    parts = [p.strip() for p in _SPLIT.split(protected) if p.strip()]
    out = []
    for part in parts:
        for i, abbreviation in enumerate(_ABBREVIATIONS):
            part = part.replace(f"\x00{i}\x00", abbreviation)
        out.append(part)
    return out


# ------------------------------------------------------------------------------ the texts
@dataclass(frozen=True)
class Text:
    """One answer or message the bot can send: `key` as evidence.yml names it."""

    key: str
    kind: str  # "entry", "variant" or "message"
    text: str
    sources: Tuple[str, ...]  # the sources the reply cites (empty for messages)

    @property
    def sentences(self) -> List[str]:
        return split_sentences(self.text)


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def entry_texts(knowledge_dir: Path = KNOWLEDGE_DIR) -> List[Text]:
    """Every entry answer (`entry_id`) and variant answer (`entry_id:variant`), in file order."""
    out: List[Text] = []
    for raw in _read_yaml(knowledge_dir / "entries.yml")["entries"]:
        entry_id = str(raw["id"])
        out.append(Text(entry_id, "entry", str(raw.get("answer", "")).strip(), tuple(raw.get("sources") or ())))
        for key, variant in (raw.get("variants") or {}).items():
            out.append(
                Text(
                    f"{entry_id}:{key}",
                    "variant",
                    str(variant.get("answer", "")).strip(),
                    tuple(variant.get("sources") or ()),
                )
            )
    return out


def _contact_messages(node: Any, path: str, siblings: Mapping[str, Any]) -> Iterable[Tuple[str, str]]:
    """Strings of contacts.yml that are messages (end like a sentence or in a placeholder), by dotted path.

    Placeholders filled from the same block ({phone}, {url}, {hours}) are filled in, so the
    phone numbers the bot sends are the ones checked; others ({numbers}) stay as they are.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _contact_messages(value, f"{path}.{key}" if path else str(key), node)
    elif isinstance(node, str) and node.strip().endswith((".", "!", "?", "}")):
        text = node.strip()
        for name in _PLACEHOLDER.findall(text):
            value = siblings.get(name[1:-1])
            if isinstance(value, (str, int)):
                text = text.replace(name, str(value))
        yield path, text


def message_texts(knowledge_dir: Path = KNOWLEDGE_DIR) -> List[Text]:
    """Every fixed message: messages.yml keys, then contacts.yml messages by dotted path."""
    out = [
        Text(str(key), "message", str(value).strip(), ())
        for key, value in _read_yaml(knowledge_dir / "messages.yml")["messages"].items()
    ]
    contacts = _read_yaml(knowledge_dir / "contacts.yml")
    out.extend(Text(path, "message", text, ()) for path, text in _contact_messages(contacts, "", contacts))
    return out


def texts(knowledge_dir: Path = KNOWLEDGE_DIR) -> List[Text]:
    return entry_texts(knowledge_dir) + message_texts(knowledge_dir)


# ------------------------------------------------------------------------------ evidence.yml
@dataclass(frozen=True)
class Quote:
    source: str
    quote: str
    defect: Optional[str] = None
    reading: Optional[str] = None


@dataclass(frozen=True)
class SentenceEvidence:
    sentence: str
    evidence: Tuple[Quote, ...] = ()
    coverage: Tuple[str, ...] = ()  # terms a "My sources don't ..." sentence is about
    unsupported: Optional[str] = None  # why no source passage supports it (the check then fails)
    policy: Optional[str] = None  # "<category>: why": the bot's safety routing (emergency texts only)
    note: Optional[str] = None  # a reviewer's remark; does not change a check


@dataclass(frozen=True)
class Evidence:
    entries: Dict[str, Tuple[SentenceEvidence, ...]]
    messages: Dict[str, Tuple[SentenceEvidence, ...]]
    non_medical: Tuple[str, ...]

    def records(self, key: str) -> Optional[Tuple[SentenceEvidence, ...]]:
        return self.entries.get(key, self.messages.get(key))


def _contact_value(contacts: Any, path: str) -> str:
    node = contacts
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(path)
        node = node[part]
    if not isinstance(node, (str, int)):
        raise KeyError(path)
    return str(node)


def fill_contacts(text: str, contacts: Any, where: str = "") -> str:
    """`text` with its contact placeholders ({referral.uk.phone}, {referral.us.url|host}) filled from contacts.yml."""

    def fill(match: re.Match[str]) -> str:
        try:
            value = _contact_value(contacts, match.group(1))
        except KeyError:
            raise EvidenceError(f"{where}: {match.group(0)} is not a contact detail in contacts.yml") from None
        return _URL_SCHEME.sub("", value) if match.group(2) else value

    return _CONTACT_PLACEHOLDER.sub(fill, text)


def _sentence(raw: Any, where: str, contacts: Any = None) -> SentenceEvidence:
    if not isinstance(raw, dict) or "sentence" not in raw:
        raise EvidenceError(f"{where}: each item needs `sentence`")
    contacts = contacts or {}
    quotes = []
    for item in raw.get("evidence") or ():
        if not isinstance(item, dict) or not item.get("source") or not item.get("quote"):
            raise EvidenceError(f"{where}: each evidence item needs `source` and `quote`")
        quotes.append(
            Quote(
                source=str(item["source"]),
                quote=fill_contacts(str(item["quote"]), contacts, where),
                defect=str(item["defect"]) if item.get("defect") else None,
                reading=str(item["reading"]) if item.get("reading") else None,
            )
        )
    coverage = raw.get("coverage") or ()
    return SentenceEvidence(
        sentence=fill_contacts(str(raw["sentence"]), contacts, where),
        evidence=tuple(quotes),
        coverage=(coverage,) if isinstance(coverage, str) else tuple(str(c) for c in coverage),
        unsupported=str(raw["unsupported"]) if raw.get("unsupported") else None,
        policy=str(raw["policy"]) if raw.get("policy") else None,
        note=str(raw["note"]) if raw.get("note") else None,
    )


def load_evidence(path: Path = EVIDENCE_FILE) -> Evidence:
    """evidence.yml, its contact placeholders filled from the contacts.yml beside it."""
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise EvidenceError(f"{path}: expected a mapping")
    contacts_file = path.parent / "contacts.yml"
    contacts = _read_yaml(contacts_file) if contacts_file.exists() else {}
    sections: Dict[str, Dict[str, Tuple[SentenceEvidence, ...]]] = {}
    for section in ("entries", "messages"):
        sections[section] = {
            str(key): tuple(_sentence(raw, f"{section}.{key}[{i}]", contacts) for i, raw in enumerate(items or ()))
            for key, items in (data.get(section) or {}).items()
        }
    return Evidence(sections["entries"], sections["messages"], tuple(str(k) for k in data.get("non_medical") or ()))


@lru_cache(maxsize=4)
def cached_evidence(path: Path = EVIDENCE_FILE) -> Evidence:
    """evidence.yml, loaded once per process (the "where does it say that?" reply reads it)."""
    return load_evidence(path)


# ------------------------------------------------------------------------------ source texts
_QUOTE_MARKS = str.maketrans(PLAIN_QUOTES)


def normalise(text: str) -> str:
    """Whitespace and quote-mark normalisation: what "verbatim" allows to differ."""
    return normalise_space(unicodedata.normalize("NFC", text).translate(_QUOTE_MARKS))


@lru_cache(maxsize=16)
def _source_files(knowledge_dir: str) -> Dict[str, str]:
    raw = _read_yaml(Path(knowledge_dir) / "sources.yml")["sources"]
    return {str(sid): str(entry["file"]) for sid, entry in raw.items()}


@lru_cache(maxsize=16)
def source_text(sid: str, knowledge_dir: str = str(KNOWLEDGE_DIR), sources_dir: str = str(SOURCES_DIR)) -> str:
    """The cited document, normalised (empty when the id is unknown)."""
    files = _source_files(knowledge_dir)
    if sid not in files:
        return ""
    return normalise((Path(sources_dir) / files[sid]).read_text(encoding="utf-8"))


def source_ids(knowledge_dir: str = str(KNOWLEDGE_DIR)) -> List[str]:
    return list(_source_files(knowledge_dir))


def spans(haystack: str, needle: str) -> List[Tuple[int, int]]:
    out, start = [], 0
    while needle:
        at = haystack.find(needle, start)
        if at < 0:
            break
        out.append((at, at + len(needle)))
        start = at + 1
    return out


# ------------------------------------------------------------------------------ figures
_PHONE = re.compile(r"(?<![\d-])(?:\d-\d{3}-\d{3}-\d{4}|0\d{3} \d{3} \d{2} \d{2})(?![\d-])")
_MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?)(?:\s*(million|billion))?")
_PERCENT = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)?)\s?%")
_THOUSANDS = re.compile(r"(?<![\d.,])(\d+)\s?K\b")
_NUMBER = re.compile(r"(?<![\d.,])\d[\d,]*(?:\.\d+)?s?(?![\d])")
_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
# "one" is left out: it is far more often a pronoun ("one that does not") than a figure.
_NUMBER_WORD = re.compile(
    r"\b(?:(" + "|".join(_TENS) + r")(?:[- ](" + "|".join(w for w in _UNITS if w != "zero") + r"))?"
    r"|(" + "|".join(w for w in _UNITS if w not in ("zero", "one")) + r"))\b",
    re.IGNORECASE,
)


def figures(text: str) -> Counter[str]:
    """Numbers, percentages, sums and phone numbers in `text`, in one canonical form each, counted."""
    found: Counter[str] = Counter()
    rest = text

    def take(pattern: re.Pattern[str], canon: Any) -> None:
        nonlocal rest
        for match in pattern.finditer(rest):
            found[canon(match)] += 1
        rest = pattern.sub(" ", rest)

    take(_PHONE, lambda m: "tel:" + re.sub(r"\D", "", m.group(0)))
    take(_MONEY, lambda m: "$" + m.group(1).replace(",", "") + (" " + m.group(2).lower() if m.group(2) else ""))
    take(_PERCENT, lambda m: m.group(1) + "%")
    take(_THOUSANDS, lambda m: str(int(m.group(1)) * 1000))
    take(_NUMBER, lambda m: m.group(0).replace(",", ""))

    def word(m: re.Match[str]) -> str:
        if m.group(3):
            return str(_UNITS[m.group(3).lower()])
        return str(_TENS[m.group(1).lower()] + (_UNITS[m.group(2).lower()] if m.group(2) else 0))

    take(_NUMBER_WORD, word)
    return found


# ------------------------------------------------------------------------------ language
@dataclass(frozen=True)
class Analysis:
    content: FrozenSet[str]  # content lemmas; a subject mention counts once, as "@value"
    words: FrozenSet[str]  # every content lemma, inside subject mentions too, plus their glosses
    subjects: FrozenSet[Tuple[str, str]]  # (label, value) of every subject mention
    mentions: Tuple[Tuple[str, str, FrozenSet[str], str], ...]  # (label, value, content lemmas, text) per mention
    publishers: FrozenSet[str]  # source ids named by publisher


_PUBLISHERS = sorted(PUBLISHER_NAMES, key=lambda pair: -len(pair[0]))


def strip_publishers(text: str) -> Tuple[str, Set[str]]:
    named: Set[str] = set()
    for name, sid in _PUBLISHERS:
        pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)")
        if pattern.search(text):
            named.add(sid)
            text = pattern.sub(" ", text)
    return text, named


@lru_cache(maxsize=1)
def _nlp() -> Any:
    from bot.nlp import get_nlp

    return get_nlp()


@lru_cache(maxsize=1)
def _spelling() -> Any:
    from bot.vocabulary import spelling_forms

    return spelling_forms


def canonical_word(word: str) -> str:
    """One spelling for UK/US pairs (tumour/tumor, metastasise/metastasize ...)."""
    return min(_spelling()(word))


@lru_cache(maxsize=1)
def _glosses() -> Dict[str, Tuple[str, ...]]:
    return {canonical_word(k): tuple(canonical_word(v) for v in vs) for k, vs in GLOSSES.items()}


@lru_cache(maxsize=1)
def _lemma_table() -> Any:
    try:
        return _nlp().get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    except (KeyError, ValueError):
        return {}


def _content_lemma(token: Any) -> Optional[str]:
    if token.is_punct or token.is_space or token.like_num:
        return None
    lemma = str(token.lemma_).lower()
    if lemma == token.lower_:
        # The lookup lemmatizer keys on the text as written: "Symptoms" at the start of a
        # sentence is not lemmatised, "symptoms" is.
        lemma = str(_lemma_table().get(token.lower_, lemma)).lower()
    lemma = lemma.strip("'\u2019")
    if lemma.endswith("'s"):
        lemma = lemma[:-2]
    if token.is_stop or lemma in _nlp().Defaults.stop_words or not any(c.isalpha() for c in lemma):
        return None
    lemma = canonical_word(lemma)
    if lemma in FRAMING_LEMMAS or len(lemma) < 2:
        return None
    return lemma


_URL_SCHEME = re.compile(r"\bhttps?://(?:www\.)?")
# A footnote number glued to a word in the extracted text ("Tumors2", "include5:").
_FOOTNOTE = re.compile(r"(?<=[a-z])(\d+(?:,\d+)*)(?=[\s:.,]|$)")


@lru_cache(maxsize=8192)
def analyse(text: str, quote: bool = False) -> Analysis:
    """Content lemmas, subject mentions and named publishers of `text` (our spaCy pipeline).

    Placeholders ({what}) and URL schemes are removed first; in a sentence (not a `quote`) the
    publisher names too, since naming the source is framing. In a quote, footnote numbers glued
    to a word are split off. A subject mention counts as one
    content item ("@serotonin"), so "diarrhoea" and "diarrhea", or "5-HT" and "serotonin", match;
    `words` also keeps the lemmas inside mentions (a quote's "gastrointestinal tract" then still
    supplies "gastrointestinal" to a sentence that says "digestive (gastrointestinal) tract").
    """
    cleaned = _URL_SCHEME.sub("", _PLACEHOLDER.sub(" ", normalise(text)))
    if quote:
        stripped, publishers = _FOOTNOTE.sub(r" \1", cleaned), set[str]()
    else:
        stripped, publishers = strip_publishers(cleaned)
    doc = _nlp()(stripped)
    content: Set[str] = set()
    words: Set[str] = set()
    subjects: Set[Tuple[str, str]] = set()
    mentions: List[Tuple[str, str, FrozenSet[str], str]] = []
    in_entity: Set[int] = set()
    for ent in doc.ents:
        value = ent.ent_id_ or ent.text.lower()
        subjects.add((ent.label_, value))
        content.add("@" + value)
        in_entity.update(range(ent.start, ent.end))
        lemmas = frozenset(lemma for lemma in (_content_lemma(t) for t in ent) if lemma)
        mentions.append((ent.label_, value, lemmas, ent.text))
    for token in doc:
        lemma = _content_lemma(token)
        if not lemma:
            continue
        words.add(lemma)
        words.update(_glosses().get(lemma, ()))
        if token.i not in in_entity:
            content.add(lemma)
    return Analysis(frozenset(content), frozenset(words), frozenset(subjects), tuple(mentions), frozenset(publishers))


# ------------------------------------------------------------------------------ checks
@dataclass
class SentenceResult:
    key: str
    index: int
    sentence: str
    record: Optional[SentenceEvidence]
    overlap: Optional[float] = None  # None for coverage, policy and unsupported sentences
    missing_figures: List[str] = field(default_factory=list)
    missing_subjects: List[str] = field(default_factory=list)
    unmatched_words: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)

    @property
    def quotes(self) -> int:
        return len(self.record.evidence) if self.record else 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _licensed(record: SentenceEvidence) -> Tuple[Set[str], Set[Tuple[str, str]]]:
    """Subject mentions a documented reading supplies (content '@value's and (label, value)s)."""
    content: Set[str] = set()
    subjects: Set[Tuple[str, str]] = set()
    for quote in record.evidence:
        defect = DEFECTS.get(quote.defect or "")
        if not defect or not quote.reading:
            continue
        for label, value in analyse(quote.reading, quote=True).subjects:
            if value in defect.licenses:
                subjects.add((label, value))
                content.add("@" + value)
    return content, subjects


def _term_pattern(term: str) -> re.Pattern[str]:
    """`term` as a case-insensitive pattern: UK/US spellings, plain endings (trials, triggered, testing)."""
    words = []
    for word in term.split():
        forms = sorted(_spelling()(word), key=len, reverse=True)
        words.append("(?:" + "|".join(re.escape(f) for f in forms) + ")(?:s|es|ed|ing)?")
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def check_quote(quote: Quote, cited: Sequence[str], knowledge_dir: str, sources_dir: str) -> List[str]:
    problems = []
    text = source_text(quote.source, knowledge_dir, sources_dir)
    if not text:
        return [f"unknown source {quote.source!r}"]
    if cited and quote.source not in cited:
        problems.append(f"quotes {quote.source}, which the answer does not cite ({', '.join(cited)})")
    needle = normalise(quote.quote)
    if len(needle.split()) < MIN_QUOTE_WORDS:
        problems.append(f"quote {quote.quote!r} is shorter than {MIN_QUOTE_WORDS} words")
    if needle not in text:
        problems.append(f"quote not verbatim in {quote.source}: {quote.quote!r}")
    for defect in DEFECTS.values():
        if defect.source == quote.source and any(normalise(t) in needle for t in defect.triggers):
            if quote.defect != defect.id or not quote.reading:
                problems.append(f"quote touches the recorded defect {defect.id!r}: add `defect: {defect.id}` and `reading:`")
    if quote.defect and quote.defect not in DEFECTS:
        problems.append(f"unknown defect {quote.defect!r} (known: {', '.join(DEFECTS)})")
    elif quote.defect and DEFECTS[quote.defect].source != quote.source:
        problems.append(f"defect {quote.defect!r} is recorded for {DEFECTS[quote.defect].source}, not {quote.source}")
    return problems


def check_sentence(
    key: str,
    index: int,
    sentence: str,
    record: Optional[SentenceEvidence],
    cited: Sequence[str],
    knowledge_dir: str = str(KNOWLEDGE_DIR),
    sources_dir: str = str(SOURCES_DIR),
    min_overlap: float = MIN_OVERLAP,
    said: Optional[Analysis] = None,
) -> SentenceResult:
    """Check one sentence against its record. `said` may carry the sentence's analysis, made in
    parts (the mutation tests add one clause to many sentences: its analysis is reused)."""
    result = SentenceResult(key, index, sentence, record)
    if record is None:
        result.problems.append("no evidence recorded for this sentence")
        return result
    if normalise(record.sentence) != normalise(sentence):
        result.problems.append(f"evidence is for another sentence: {record.sentence!r}")
        return result
    for quote in record.evidence:
        defect = DEFECTS.get(quote.defect or "")
        if defect is None:
            continue
        for word in defect.forbids:
            if re.search(r"\b" + re.escape(word) + r"\b", sentence, re.IGNORECASE):
                result.problems.append(f"uses {word!r}, which the {defect.id} reading leaves out")
    if record.policy:
        return _check_policy(result, record, knowledge_dir, sources_dir, said)
    if record.unsupported:
        # Reported, and the overlap still measured on what evidence there is; nothing else counts.
        result.problems.append(f"unsupported: {record.unsupported}")
        if record.evidence:
            probe = check_sentence(
                key,
                index,
                sentence,
                dataclasses.replace(record, unsupported=None),
                cited,
                knowledge_dir,
                sources_dir,
                min_overlap,
                said,
            )
            result.overlap, result.unmatched_words = probe.overlap, probe.unmatched_words
        return result
    if not record.evidence:
        result.problems.append("no evidence quote")
        return result
    # A coverage sentence speaks for all five sources, so it may quote any of them.
    for quote in record.evidence:
        result.problems.extend(check_quote(quote, () if record.coverage else cited, knowledge_dir, sources_dir))

    said = said or analyse(sentence)
    quoted_content: Set[str] = set()
    quoted_subjects: Set[str] = set()
    quoted_figures: Counter[str] = Counter()
    for quote in record.evidence:
        found = analyse(quote.quote, quote=True)
        quoted_content |= found.content | found.words
        quoted_subjects |= {value for _, value in found.subjects}
        quoted_figures |= figures(normalise(quote.quote))  # the most any one quote has
    licensed_content, licensed_subjects = _licensed(record)
    quoted_content |= licensed_content
    quoted_subjects |= {value for _, value in licensed_subjects}

    coverage = bool(COVERAGE_SENTENCE.match(sentence))
    if coverage != bool(record.coverage):
        result.problems.append(
            'a "My sources don\'t ..." sentence needs `coverage:` terms'
            if coverage
            else '`coverage:` is only for "My sources don\'t ..." sentences'
        )
    # A coverage sentence may name what the sources do not cover: the mentions its terms match.
    coverage_terms = [_term_pattern(term) for term in record.coverage]
    for term in record.coverage:
        result.problems.extend(_check_coverage(term, record, knowledge_dir, sources_dir))

    # As many times as the sentence has a figure, some quote has it ("MEN 1 or 2" is not "MEN 2 or 2").
    sentence_figures = figures(strip_publishers(_PLACEHOLDER.sub(" ", normalise(sentence)))[0])
    result.missing_figures = sorted((sentence_figures - quoted_figures).elements())
    for figure in result.missing_figures:
        result.problems.append(f"figure {figure} is not in its quotes")
    # A subject counts as quoted when a quote names it, or has every content word of the mention
    # ("irritation of the skin" for "skin irritation").
    missing: Set[str] = set()
    for label, value, lemmas, text in said.mentions:
        if label not in CHECKED_LABELS or value in TOPIC_SUBJECTS:
            continue
        if value in quoted_subjects and label not in BUCKET_LABELS:
            continue
        if any(term.search(text) for term in coverage_terms):
            continue
        if lemmas and lemmas <= quoted_content:
            continue
        missing.add(value)
    for word in sorted(said.words & EXTRA_TERMS):
        if word not in quoted_content:
            missing.add(word)
    result.missing_subjects = sorted(missing)
    for value in result.missing_subjects:
        result.problems.append(f"names {value!r}, which its quotes do not")
    cited_by_quotes = {q.source for q in record.evidence}
    for sid in sorted(said.publishers - cited_by_quotes):
        result.problems.append(f"names the publisher of {sid} but quotes no passage of it")

    if not record.coverage:
        if not said.content:
            result.problems.append("no content words to compare")
            result.overlap = 0.0
        else:
            matched = said.content & quoted_content
            result.overlap = len(matched) / len(said.content)
            result.unmatched_words = sorted(said.content - quoted_content)
            if result.overlap < min_overlap:
                result.problems.append(
                    f"shares {result.overlap:.0%} of its content words with its quotes (< {min_overlap:.0%}); "
                    f"not in the quotes: {', '.join(result.unmatched_words)}"
                )
    return result


@lru_cache(maxsize=16)
def emergency_figures(knowledge_dir: str = str(KNOWLEDGE_DIR)) -> FrozenSet[str]:
    """The figures of the emergency numbers in contacts.yml (911, 999, 112): the only figures a
    policy sentence may give."""
    block = (_read_yaml(Path(knowledge_dir) / "contacts.yml") or {}).get("emergency") or {}
    values = list((block.get("numbers") or {}).values()) + [block.get("unknown") or ""]
    return frozenset(f for value in values for f in figures(str(value)))


def _check_policy(
    result: SentenceResult, record: SentenceEvidence, knowledge_dir: str, sources_dir: str, said: Optional[Analysis]
) -> SentenceResult:
    """A `policy:` sentence: the bot's own safety routing. Allowed only on the emergency texts and in
    a known category; it may carry quotes (checked verbatim) but states no medical fact: it names no
    checked subject, organ or treatment and no figure but the emergency numbers of contacts.yml."""
    sentence, policy = result.sentence, record.policy or ""
    if not policy_allowed(result.key):
        allowed = ", ".join(sorted(POLICY_KEYS) + [p + "*" for p in POLICY_KEY_PREFIXES])
        result.problems.append(
            f"`policy:` is only for the emergency texts of contacts.yml ({allowed}); {result.key} must be sourced"
        )
    category, _, why = policy.partition(":")
    if category.strip() not in POLICY_CATEGORIES or not why.strip():
        result.problems.append(
            f'`policy:` must read "<category>: <why>" with a category of {", ".join(POLICY_CATEGORIES)}: {policy!r}'
        )
    if record.unsupported or record.coverage:
        result.problems.append("a `policy:` sentence is neither `unsupported:` nor a coverage statement")
    for quote in record.evidence:
        result.problems.extend(check_quote(quote, (), knowledge_dir, sources_dir))
    said = said or analyse(sentence)
    missing: Set[str] = {value for label, value, _, _ in said.mentions if label in CHECKED_LABELS and value not in TOPIC_SUBJECTS}
    missing |= said.words & EXTRA_TERMS
    result.missing_subjects = sorted(missing)
    for value in result.missing_subjects:
        result.problems.append(f"names {value!r}: a policy sentence states no medical fact (that needs sourced evidence)")
    sentence_figures = figures(strip_publishers(_PLACEHOLDER.sub(" ", normalise(sentence)))[0])
    allowed_figures = emergency_figures(knowledge_dir)
    result.missing_figures = sorted(f for f in sentence_figures.elements() if f not in allowed_figures)
    for figure in result.missing_figures:
        result.problems.append(f"figure {figure} is not an emergency number of contacts.yml")
    for sid in sorted(said.publishers - {q.source for q in record.evidence}):
        result.problems.append(f"names the publisher of {sid} but quotes no passage of it")
    return result


def _check_coverage(term: str, record: SentenceEvidence, knowledge_dir: str, sources_dir: str) -> List[str]:
    """Every mention of `term` in every source must lie inside one of the sentence's quotes."""
    pattern = _term_pattern(term)
    problems = []
    for sid in source_ids(knowledge_dir):
        text = source_text(sid, knowledge_dir, sources_dir)
        quoted = [span for q in record.evidence if q.source == sid for span in spans(text, normalise(q.quote))]
        for match in pattern.finditer(text):
            if not any(start <= match.start() and match.end() <= end for start, end in quoted):
                context = text[max(0, match.start() - 60) : match.end() + 60]
                problems.append(f"coverage {term!r}: {sid} mentions it outside the quotes: ...{context}...")
    return problems


@dataclass
class Report:
    results: List[SentenceResult]
    problems: List[str]  # problems of the file as a whole (keys missing, unclassified messages)
    warnings: List[str]  # worth a look, not a failure (a cited source no sentence quotes)
    texts: List[Text]

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.ok for r in self.results)

    def by_key(self) -> Dict[str, List[SentenceResult]]:
        out: Dict[str, List[SentenceResult]] = {}
        for result in self.results:
            out.setdefault(result.key, []).append(result)
        return out


def check(
    evidence: Optional[Evidence] = None,
    knowledge_dir: Path = KNOWLEDGE_DIR,
    sources_dir: Path = SOURCES_DIR,
    min_overlap: float = MIN_OVERLAP,
    all_texts: Optional[List[Text]] = None,
) -> Report:
    """Check evidence.yml against the current answer texts and the sources."""
    evidence = evidence or load_evidence(knowledge_dir / "evidence.yml")
    all_texts = all_texts if all_texts is not None else texts(knowledge_dir)
    problems: List[str] = []
    warnings: List[str] = []
    results: List[SentenceResult] = []
    entry_keys = {t.key for t in all_texts if t.kind != "message"}
    message_keys = {t.key for t in all_texts if t.kind == "message"}
    for key in sorted(set(evidence.entries) - entry_keys):
        problems.append(f"entries.{key}: no such entry or variant")
    for key in sorted((set(evidence.messages) | set(evidence.non_medical)) - message_keys):
        problems.append(f"messages.{key}: no such message in messages.yml or contacts.yml")
    for key in sorted(set(evidence.messages) & set(evidence.non_medical)):
        problems.append(f"{key}: listed both with evidence and as non_medical")
    for key in sorted(k for k in set(evidence.non_medical) if list(evidence.non_medical).count(k) > 1):
        problems.append(f"{key}: listed twice as non_medical")
    for text in all_texts:
        if text.kind == "message" and text.key in evidence.non_medical:
            continue
        records = evidence.records(text.key)
        if records is None:
            where = "messages" if text.kind == "message" else "entries"
            hint = " (or list it as non_medical)" if text.kind == "message" else ""
            problems.append(f"{where}.{text.key}: no evidence recorded{hint}")
            records = ()
        sentences = text.sentences
        if records and len(records) != len(sentences):
            problems.append(
                f"{text.key}: evidence has {len(records)} sentences, the text has {len(sentences)} (re-split and update evidence.yml)"
            )
        for i, sentence in enumerate(sentences):
            record = records[i] if i < len(records) else None
            results.append(
                check_sentence(text.key, i, sentence, record, text.sources, str(knowledge_dir), str(sources_dir), min_overlap)
            )
        if text.sources and records:
            used = {q.source for r in records for q in r.evidence}
            for sid in text.sources:
                if sid not in used:
                    warnings.append(f"{text.key}: cites {sid} but no sentence quotes it")
    return Report(results, problems, warnings, all_texts)


# ------------------------------------------------------------------------------ faithfulness
# A body line starting with this is a verbatim source quotation (bot.shaping.QUOTE_MARK).
_QUOTE_LINE = "> "
_QUOTE_WRAP = "\"'\u201c\u201d\u2018\u2019 "


def _template(text: str) -> re.Pattern[str]:
    """A sentence or message as a pattern: placeholders ({what}, {numbers}) match any words."""
    pieces = re.split(r"(\{[a-z_]+\})", normalise(text))
    body = "".join(".+?" if _PLACEHOLDER.fullmatch(piece) else re.escape(piece) for piece in pieces)
    return re.compile(f"^{body}$", re.DOTALL)


@dataclass
class Faithfulness:
    """How much of what replies said is backed by evidence.yml (`faithfulness`).

    `evidenced`: sentences that are an evidenced sentence of an answer, variant or medical message
    (quotes recorded, not `unsupported:`); `quoted`: verbatim source quotations (the "where does it
    say that?" reply); `fixed`: sentences of the fixed, non-medical messages (evidence.yml's
    `non_medical`); `unsupported`: everything else (target: none)."""

    sentences: int = 0
    evidenced: int = 0
    quoted: int = 0
    fixed: int = 0
    unsupported: List[str] = field(default_factory=list)

    @property
    def claims(self) -> int:
        """Sentences that state something (all but the fixed, non-medical ones)."""
        return self.sentences - self.fixed

    @property
    def supported_share(self) -> float:
        """Share of the stating sentences supported by evidence (1.0 when there are none)."""
        return (self.evidenced + self.quoted) / self.claims if self.claims else 1.0

    def as_dict(self) -> Dict[str, Any]:
        return {
            "sentences": self.sentences,
            "evidenced": self.evidenced,
            "quoted": self.quoted,
            "fixed_non_medical": self.fixed,
            "claims": self.claims,
            "supported_share": round(self.supported_share, 4),
            "unsupported_count": len(self.unsupported),
            "unsupported": sorted(set(self.unsupported)),
        }


@dataclass(frozen=True)
class _Patterns:
    evidenced: Tuple[re.Pattern[str], ...]
    fixed_messages: Tuple[re.Pattern[str], ...]  # whole non-medical messages
    fixed_sentences: Tuple[re.Pattern[str], ...]  # their sentences
    fixed_prefixes: Tuple[str, ...]  # non-medical labels that lead into evidenced text ("...symptoms:")


@lru_cache(maxsize=4)
def _patterns(knowledge_dir: str, evidence_file: str) -> _Patterns:
    evidence = load_evidence(Path(evidence_file))
    evidenced = {
        normalise(record.sentence)
        for section in (evidence.entries, evidence.messages)
        for records in section.values()
        for record in records
        if (record.evidence or record.policy) and not record.unsupported
    }
    non_medical = set(evidence.non_medical)
    fixed = [t.text for t in message_texts(Path(knowledge_dir)) if t.key in non_medical]
    return _Patterns(
        evidenced=tuple(_template(s) for s in sorted(evidenced)),
        fixed_messages=tuple(_template(t) for t in fixed),
        fixed_sentences=tuple(_template(s) for t in fixed for s in split_sentences(t)),
        fixed_prefixes=tuple(
            sorted((normalise(t) for t in fixed if "{" not in t and t.rstrip().endswith(":")), key=len, reverse=True)
        ),
    )


def _is_source_quote(text: str, knowledge_dir: str, sources_dir: str) -> bool:
    passage = normalise(text.strip(_QUOTE_WRAP))
    return len(passage.split()) >= MIN_QUOTE_WORDS and any(
        passage in source_text(sid, knowledge_dir, sources_dir) for sid in source_ids(knowledge_dir)
    )


def faithfulness(
    bodies: Iterable[str],
    knowledge_dir: Path = KNOWLEDGE_DIR,
    sources_dir: Path = SOURCES_DIR,
    evidence_file: Optional[Path] = None,
) -> Faithfulness:
    """Faithfulness of reply bodies (bot.answers.Reply.body: what the bot says, without the
    citation and the closing), sentence by sentence: the share of stating sentences backed by
    evidence (an evidenced sentence of evidence.yml, or a verbatim quotation of a source) and the
    sentences that are neither evidenced nor a fixed, non-medical message.

    Each body line is one composed part: a quotation line (QUOTE_MARK) must be verbatim in a
    source; a line that is a whole non-medical message counts as fixed; otherwise a leading
    non-medical label ("What my sources say about these symptoms:") is taken off and each sentence
    (bot.evidence.split_sentences) must be an evidenced sentence or a non-medical sentence.
    Placeholders ({what}, {numbers}) match the words filled in."""
    patterns = _patterns(str(knowledge_dir), str(evidence_file or knowledge_dir / "evidence.yml"))
    out = Faithfulness()
    for body in bodies:
        for raw_line in (body or "").splitlines():
            line = normalise(raw_line)
            if not line:
                continue
            if raw_line.startswith(_QUOTE_LINE):
                out.sentences += 1
                if _is_source_quote(line[len(_QUOTE_LINE) :], str(knowledge_dir), str(sources_dir)):
                    out.quoted += 1
                else:
                    out.unsupported.append(line)
                continue
            if any(p.match(line) for p in patterns.fixed_messages):
                n = len(split_sentences(line))
                out.sentences += n
                out.fixed += n
                continue
            for prefix in patterns.fixed_prefixes:
                if line.startswith(prefix + " "):
                    out.sentences += 1
                    out.fixed += 1
                    line = line[len(prefix) :].strip()
                    break
            for sentence in split_sentences(line):
                out.sentences += 1
                if any(p.match(sentence) for p in patterns.evidenced):
                    out.evidenced += 1
                elif any(p.match(sentence) for p in patterns.fixed_sentences):
                    out.fixed += 1
                else:
                    out.unsupported.append(sentence)
    return out


# ------------------------------------------------------------------------------ mutations
# Deliberately altered sentences, checked against the evidence of the sentence they replace: every
# one must fail. tests/test_grounding.py runs them on every sentence; the report counts them.
_DIGITS = re.compile(r"\d+")
_SWAP_WORDS = {"two": "three", "six": "seven", "fifty-four": "forty-five"}


def swapped_figures(sentence: str) -> List[str]:
    """One variant of `sentence` per figure in it, that figure changed (58% -> 59%, six -> seven)."""
    out = []
    for match in _DIGITS.finditer(sentence):
        digits = match.group(0)
        changed = str(int(digits) + 1).zfill(len(digits))
        out.append(sentence[: match.start()] + changed + sentence[match.end() :])
    for word, other in _SWAP_WORDS.items():
        pattern = re.compile(r"\b" + word + r"\b", re.IGNORECASE)
        if pattern.search(sentence):
            out.append(pattern.sub(other, sentence, count=1))
    return out


def _with_clause(sentence: str, clause: str) -> str:
    return sentence.rstrip(".!?:") + clause


def _first_unquoted(names: Iterable[Tuple[str, str]], record: SentenceEvidence) -> Optional[Tuple[str, str]]:
    quoted: Set[str] = set()
    for quote in record.evidence:
        found = analyse(quote.quote, quote=True)
        quoted |= {value for _, value in found.subjects} | found.words
    for value, name in names:
        if value not in quoted and name.lower() not in quoted:
            return value, name
    return None


@lru_cache(maxsize=1)
def _vocabulary(knowledge_dir: str = str(KNOWLEDGE_DIR)) -> Dict[str, List[Tuple[str, str]]]:
    by_label: Dict[str, List[Tuple[str, str]]] = {}
    for raw in _read_yaml(Path(knowledge_dir) / "subjects.yml")["subjects"]:
        names = raw.get("names") or []
        if names:
            by_label.setdefault(str(raw["label"]), []).append((str(raw["value"]), str(names[0])))
    return by_label


@dataclass(frozen=True)
class Mutant:
    kind: str
    text: str
    parts: Tuple[str, ...]  # texts whose analyses together are the mutant's (see `merged`)


def merged(parts: Sequence[str]) -> Analysis:
    """The analysis of several texts as one (a mention across two parts is the only difference)."""
    found = [analyse(part) for part in parts]
    return Analysis(
        frozenset().union(*(a.content for a in found)),
        frozenset().union(*(a.words for a in found)),
        frozenset().union(*(a.subjects for a in found)),
        tuple(m for a in found for m in a.mentions),
        frozenset().union(*(a.publishers for a in found)),
    )


def mutants(sentence: str, record: SentenceEvidence) -> List[Mutant]:
    """Altered versions of `sentence`: each must fail against `record`'s evidence."""
    # A changed figure leaves the words as they were: only the figures differ.
    out = [Mutant("swapped number", s, (sentence,)) for s in swapped_figures(sentence)]
    base = sentence.rstrip(".!?:")

    def added(kind: str, clause: str) -> None:
        out.append(Mutant(kind, base + clause, (base, clause)))

    organ = _first_unquoted(_vocabulary()["organ"], record)
    if organ:
        added("new organ", f", and in the {organ[1]}.")
    added("new organ (outside the vocabulary)", ", and in the spleen.")
    treatments = [(v, n) for v, n in _vocabulary()["uncovered"] if v in ("medicines", "procedures")]
    treatments += [("medicines", "octreotide"), ("procedures", "chemotherapy"), ("procedures", "PRRT")]
    treatment = _first_unquoted(treatments, record)
    if treatment:
        added("invented treatment", f"; it is treated with {treatment[1]}.")
    added("invented treatment (outside the vocabulary)", "; herbal supplements cure it.")
    if record.coverage or record.policy:
        # A policy sentence is the bot's own words, not a source's: it is held to its key, its category
        # and to naming no medical subject or figure (the mutants above), not to the overlap.
        # A coverage sentence says what the sources lack, in words they do not have: it is held to
        # its terms and the completeness of its quotes, not to the overlap, so rewrites are not tried.
        return out
    # Rewrites in everyday words, keeping the named subjects (so only the overlap can catch them).
    names = [text for label, _, _, text in analyse(sentence).mentions if label in CHECKED_LABELS and text[:1].isalpha()][:2]
    subject = " and ".join(names) if names else "NETs"
    subject = subject[0].upper() + subject[1:]
    out.append(Mutant("unsupported rewrite", f"{subject} {INVENTED_CLAIM}.", (subject, INVENTED_CLAIM)))
    words = base.split()
    kept = " ".join(words[: max(3, len(words) // 2)]).rstrip(",;:")
    out.append(Mutant("half rewritten", f"{kept}, {INVENTED_CLAUSE}.", (kept, INVENTED_CLAUSE)))
    return out


# Everyday words no source says, for the rewrite mutants.
INVENTED_CLAIM = "usually clears up after a short rest, warm baths and plenty of water"
INVENTED_CLAUSE = "which most family doctors can settle within a week using rest, warm baths and plenty of water"
# Mutation kinds a word-overlap check cannot always catch (reported, not required to fail).
PARTIAL_KINDS = ("half rewritten",)


@dataclass
class MutationResult:
    kind: str
    key: str
    original: str
    mutant: str
    caught_by: List[str]  # the checks that failed it (empty = it passed: a hole in the test)
    overlap: Optional[float] = None


def _caught_by(result: SentenceResult) -> List[str]:
    reasons = []
    if result.missing_figures:
        reasons.append("figure")
    if result.missing_subjects:
        reasons.append("subject")
    if result.overlap is not None and any(p.startswith("shares ") for p in result.problems):
        reasons.append("overlap")
    if not reasons and result.problems:
        reasons.append("other")
    return reasons


def run_mutations(report: Report, kinds: Optional[Sequence[str]] = None) -> List[MutationResult]:
    """Every mutant of every sentence that passes today (unsupported ones already fail)."""
    by_key = {t.key: t for t in report.texts}
    out = []
    for result in report.results:
        if not result.ok or result.record is None:
            continue
        text = by_key[result.key]
        for mutant in mutants(result.sentence, result.record):
            if kinds and mutant.kind not in kinds:
                continue
            record = dataclasses.replace(result.record, sentence=mutant.text)
            checked = check_sentence(result.key, result.index, mutant.text, record, text.sources, said=merged(mutant.parts))
            out.append(
                MutationResult(mutant.kind, result.key, result.sentence, mutant.text, _caught_by(checked), checked.overlap)
            )
    return out


# ------------------------------------------------------------------------------ the report
def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0%}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report, mutations: Optional[List[MutationResult]] = None, min_overlap: float = MIN_OVERLAP) -> str:
    """results/grounding.md: summary, threshold, mutations, unsupported, weakest ten, per text."""
    results = report.results
    by_key = report.by_key()
    records = [(r, r.record) for r in results if r.record is not None]
    unsupported = [(r, rec) for r, rec in records if rec.unsupported]
    coverage = [r for r, rec in records if rec.coverage and not rec.unsupported]
    policy = [(r, rec) for r, rec in records if rec.policy]
    failing = [r for r in results if not r.ok and not (r.record is not None and r.record.unsupported)]
    quotes = [q for _, rec in records for q in rec.evidence]
    passages = {(q.source, normalise(q.quote)) for q in quotes}
    supported = [r for r in results if r.ok]
    answer_keys = {t.key for t in report.texts if t.kind != "message"}
    weakest_overlap = min((r.overlap for r in supported if r.overlap is not None), default=None)
    lines = [
        "# Grounding: every answer sentence and the source passage behind it",
        "",
        "Written by `python -m bot.evidence report` (also `make grounding`); checked by `tests/test_grounding.py`",
        "(in `make unit`). Evidence: `data/knowledge/evidence.yml`; sources: `data/sources/`.",
        "",
        "## Summary",
        "",
        f"- Texts checked: {len(by_key)} ({sum(1 for t in report.texts if t.kind == 'entry')} entries, "
        f"{sum(1 for t in report.texts if t.kind == 'variant')} variants, "
        f"{sum(1 for k in by_key if k not in answer_keys)} medical messages)",
        f"- Sentences: {len(results)}; with evidence quotes: {sum(1 for _, rec in records if rec.evidence)}; "
        f'coverage statements ("My sources don\'t ..."): {len(coverage)}; '
        f"safety policy (the bot's escalation, not a sourced statement): {len(policy)}",
        f"- Evidence quotes: {len(quotes)} ({len(passages)} distinct passages); readings of recorded source defects: "
        f"{sum(1 for q in quotes if q.defect)}",
        f"- Sentences that pass every check: {len(supported)} of {len(results)} ({len(supported) / max(1, len(results)):.1%})",
        f"- Unsupported (the answer text must change): {len(unsupported)}; other failures: {len(failing)}; "
        f"file problems: {len(report.problems)}",
        f"- Content-word overlap threshold: {min_overlap:.0%}; weakest passing sentence: {_pct(weakest_overlap)}",
        "",
    ]
    if mutations is not None:
        real = sorted(r.overlap for r in supported if r.overlap is not None)
        rewrites = [m.overlap for m in mutations if m.kind == "unsupported rewrite" and m.overlap is not None]
        halves = [m for m in mutations if m.kind == "half rewritten"]
        lines += [
            "## Threshold",
            "",
            f"A sentence must share at least {min_overlap:.0%} of its content lemmas (stop words and the bot's framing "
            "words left out; a subject mention counts once, whatever its spelling) with its quotes.",
            "",
            f"- Real sentences that pass the other checks: weakest {_pct(real[0] if real else None)}, "
            f"{sum(1 for o in real if o < 0.6)} below 60%, median {_pct(real[len(real) // 2] if real else None)}.",
            f"- Rewrites that keep a sentence's subjects and invent the rest: strongest {_pct(max(rewrites) if rewrites else None)}.",
            f"- Half a sentence kept plus an invented clause: {sum(1 for m in halves if m.caught_by)} of {len(halves)} fail.",
            "",
            "## Mutation tests",
            "",
            "Each sentence that passes, altered, checked against its own evidence: every mutant must fail.",
            "",
            "| mutation | mutants | failed | caught by figure / subject / overlap | passed (holes) |",
            "|---|---|---|---|---|",
        ]
        for kind in dict.fromkeys(m.kind for m in mutations):
            group = [m for m in mutations if m.kind == kind]
            caught = sum(1 for m in group if m.caught_by)
            by = {c: sum(1 for m in group if c in m.caught_by) for c in ("figure", "subject", "overlap")}
            lines.append(
                f"| {kind} | {len(group)} | {caught} | {by['figure']} / {by['subject']} / {by['overlap']} | {len(group) - caught} |"
            )
        lines += [
            "",
            f'"{", ".join(PARTIAL_KINDS)}" keeps the first half of a sentence and adds an invented clause in everyday '
            "words: the overlap catches it unless the kept half is a long sourced list. That is the limit of a word-overlap "
            "check; added numbers and named things are caught by the figure and subject checks. Coverage statements are "
            "not rewritten: they are held to their terms and quotes, not to the overlap; nor are safety-policy "
            "sentences: they are held to their key and to naming no medical subject or figure.",
            "",
        ]
        lines += [f"- passed ({m.kind}): `{m.key}` — {_cell(m.mutant)}" for m in mutations if not m.caught_by][:10]
        lines.append("")
    lines += [
        "## Safety policy (not a sourced statement)",
        "",
        "The bot's own safety routing: urgent-care advice first for the red flags the sources README names. "
        f"Allowed only on {', '.join(f'`{k}`' for k in sorted(POLICY_KEYS))} and `{'`, `'.join(p + '*' for p in POLICY_KEY_PREFIXES)}` "
        "(contacts.yml); such a sentence names no medical subject and no figure but the emergency numbers.",
        "",
    ]
    if policy:
        lines += [f'- `{r.key}` [{r.index + 1}] "{r.sentence}"  \n  {rec.policy}' for r, rec in policy]
    else:
        lines.append("None.")
    lines.append("")
    lines += ["## Unsupported sentences", ""]
    if unsupported:
        lines += ["No source passage supports these (or a claim in them); the grounding test fails until the text changes.", ""]
        lines += [f'- `{r.key}` [{r.index + 1}] "{r.sentence}"  \n  {rec.unsupported}' for r, rec in unsupported]
    else:
        lines.append("None.")
    lines.append("")
    if failing or report.problems:
        lines += ["## Other failures", ""]
        lines += [f"- {p}" for p in report.problems]
        lines += [f'- `{r.key}` [{r.index + 1}] "{r.sentence}": ' + "; ".join(r.problems) for r in failing]
        lines.append("")
    weakest = sorted((r for r in supported if r.overlap is not None), key=lambda r: (r.overlap or 0.0, r.key, r.index))[:10]
    lines += [
        "## Weakest ten sentences (content-word overlap with their quotes)",
        "",
        "| overlap | text | sentence | words not in the quotes |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {_pct(r.overlap)} | `{r.key}` [{r.index + 1}] | {_cell(r.sentence)} | {', '.join(r.unmatched_words)} |"
        for r in weakest
    ]
    lines += ["", "## Per text", "", "| text | sentences | quotes | weakest overlap | status |", "|---|---|---|---|---|"]
    for key, sentences in by_key.items():
        overlaps = [r.overlap for r in sentences if r.overlap is not None and r.ok]
        bad = [r for r in sentences if not r.ok]
        marks = [f"[{r.index + 1}] policy" for r in sentences if r.ok and r.record is not None and r.record.policy]
        status = (
            ("ok" + (" (" + ", ".join(marks) + ")" if marks else ""))
            if not bad
            else ", ".join(
                f"[{r.index + 1}] {'unsupported' if r.record is not None and r.record.unsupported else 'fails'}" for r in bad
            )
        )
        weakest_here = _pct(min(overlaps) if overlaps else None)
        lines.append(f"| `{key}` | {len(sentences)} | {sum(r.quotes for r in sentences)} | {weakest_here} | {status} |")
    lines += ["", "## Readings of recorded source defects", ""]
    readings = [(r.key, q) for r, rec in records for q in rec.evidence if q.defect]
    seen: Set[Tuple[str, str]] = set()
    for _, quote in readings:
        marker = (quote.defect or "", quote.reading or "")
        if marker in seen:
            continue
        seen.add(marker)
        users = sorted({k for k, q in readings if (q.defect or "", q.reading or "") == marker})
        lines.append(f"- **{quote.defect}** ({quote.source}), used by {', '.join(f'`{u}`' for u in users)}: {quote.reading}")
    notes = [(r, rec.note) for r, rec in records if rec.note]
    if notes:
        lines += ["", "## Reviewer notes (supported, worth a look)", ""]
        lines += [f"- `{r.key}` [{r.index + 1}]: {note}" for r, note in notes]
    if report.warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- {w}" for w in report.warnings]
    return "\n".join(lines) + "\n"


def write_report(path: Path = REPORT_FILE, with_mutations: bool = True) -> Report:
    report = check()
    mutations = run_mutations(report) if with_mutations else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report, mutations), encoding="utf-8")
    return report


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="write the grounding report (per text, weakest ten, mutations)")
    rep.add_argument("--out", type=Path, default=REPORT_FILE)
    sub.add_parser("check", help="print the problems; exit 1 if there are any")
    args = parser.parse_args(argv)
    report = write_report(args.out) if args.command == "report" else check()
    supported = [r for r in report.results if r.ok]
    print(
        f"grounding: {len(supported)}/{len(report.results)} sentences pass; "
        f"{sum(1 for r in report.results if r.record is not None and r.record.unsupported)} unsupported"
    )
    for problem in report.problems:
        print(f"  problem: {problem}")
    for result in report.results:
        if not result.ok:
            print(f"  {result.key} [{result.index + 1}]: {result.problems[0][:160]}")
    if args.command == "report":
        print("weakest ten:")
        for r in sorted((r for r in supported if r.overlap is not None), key=lambda r: (r.overlap, r.key, r.index))[:10]:
            print(f"  {_pct(r.overlap):>4}  {r.key} [{r.index + 1}] {r.sentence[:90]}")
        print(f"wrote {args.out}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

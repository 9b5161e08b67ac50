"""Safety checks that run before any answer: emergencies first, then requests for a diagnosis.

Deterministic on purpose: the same words always give the same decision, whatever intent the NLU
model guessed. An intent can only add to a decision (a confident `report_emergency` with a live
warning sign, a confident `ask_diagnose_me` about a person), never take one away.

Emergencies
    1. The message is cut into sentences and clauses (commas, "but", "and he ...").
    2. Warning signs are found with patterns and with the vocabulary's symptom mentions (which
       also catch typos and UK/US spellings).
    3. A sign counts only when it is *live*: described as happening now, not
       - asked about as a topic ("what is carcinoid crisis?", "can NETs cause chest pain?"),
       - hypothetical or feared ("what should I do if I ever get ...", "worried about having ..."),
       - in the past or long-standing ("last year", "years ago", "sometimes", "most days"),
       - over ("... she's home and fine now"), or
       - a few search words ("carcinoid crisis symptoms").
       Words that say it is happening now ("tonight", "just", "still", "help") override the past
       and long-standing markers of their clause ("... last year, and today it's back" too);
       "right now" also overrides a topic or an "if"; and a person described after a topic
       ("I'm writing about my mum, she collapsed") is not a topic.
    4. Combinations of live signs decide (`_decide`): some are emergencies on their own (`_ALONE`:
       carcinoid crisis, trouble breathing, chest pain, fainting or collapse, not responding ...),
       others only together (flushing with a racing heart, breathing trouble or faintness; very
       low/high blood sugar with confusion or shakiness, or a dangerous reading; diarrhoea with
       signs of dehydration; sudden confusion with sweating or shaking).
    When unsure between a false alarm and a missed emergency, the rules choose the false alarm.

Diagnosis requests
    A person (I, my mum, he ...) or "this/these" symptoms, and a question or belief about having
    a condition ("do I have", "could it be", "is it cancer", "I think I have", "what are the
    chances that I have" ...). General questions ("can a NET cause diarrhoea?") are not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Pattern, Sequence, Set, Tuple

import yaml

from bot.acts import DIAGNOSIS_REQUEST, EMERGENCY, OFF_TOPIC, QUESTION, SHARED_DIAGNOSIS, SMALL_TALK, ActResult
from bot.nlp import Mention

_FLAGS = re.IGNORECASE


def _rx(pattern: str) -> Pattern[str]:
    return re.compile(pattern, _FLAGS)


# Letters without their accents, one for one (positions stay those of the text): people typing
# fast in another language leave accents out ("respira mal", "no respira"), so the warning signs
# are matched on folded text with folded patterns. Letters that do not decompose are mapped here.
_UNDECOMPOSED = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h"})


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    parts = unicodedata.normalize("NFD", char)
    if len(parts) > 1 and all(unicodedata.combining(c) for c in parts[1:]):
        return parts[0]
    return char


def fold(text: str) -> str:
    """`text` with accents removed letter by letter (same length, so positions still match)."""
    return "".join(_fold_char(c) for c in text.translate(_UNDECOMPOSED))


# ------------------------------------------------------------------------------ vocabulary
_PEOPLE = (
    r"mum|mom|mother|mam|mummy|mommy|dad|father|daddy|husband|hubby|wife|partner|boyfriend|girlfriend|"
    r"son|daughter|child|kid|baby|friend|brother|sister|grandma|gran|granny|nan|nana|grandmother|"
    r"grandad|granddad|grandpa|grandfather|aunt|auntie|uncle|cousin|niece|nephew|neighbou?r|patient|"
    r"flatmate|roommate|colleague"
)
# Who a sentence is about: a person, not "a NET", "people" or "you" in general.
_SUBJECT = (
    rf"(?:i|i'm|im|i've|ive|i'd|me|we|we're|he|he's|hes|she|she's|shes|they|they're|"
    rf"(?:my|his|her|our|their)(?: [\w'-]+){{1,2}}?|(?:{_PEOPLE})(?:'s)?)"
)
_PERSON_WORD = _rx(
    rf"\b(?:i|i'm|im|i've|ive|i'd|me|my|mine|myself|we|we're|our|us|he|he's|hes|she|she's|shes|his|her|him|"
    rf"they|they're|their|them|{_PEOPLE})\b"
)
# "my dad is ...", "she can't ...", "I've gone ...": somebody described in the present.
_PERSONAL_LIVE = _rx(
    rf"\b(?:i'm|im|i've|ive|he's|hes|she's|shes|we're|they're|(?:i|he|she|we|they|(?:my|his|her|our|their)"
    rf"(?: [\w'-]+){{1,2}}?|(?:{_PEOPLE})(?:'s)?)\s+(?:is|are|am|'s|'re|'m|has|have|keeps?|can'?t|cannot|"
    rf"won'?t|just|suddenly|started|feels?|looks?|seems?))\b"
)

_SEVERE = _rx(
    r"\b(?:very|really|so|extremely|dangerously|severe|severely|badly|bad|crazy|sky|massive|terrible|"
    r"terribly|awful|awfully|horrendous|worst|serious|seriously|heavily|hard|lots|loads|tons|a lot|so much)\b"
)
_MILD = _rx(r"\b(?:a bit|a little|slightly|a touch|mild|mildly|a tad|little bit)\b")


# ------------------------------------------------------------------------------ warning signs
# The lexicon (signs, readings), the combinations table and the extra contexts are data:
# data/safety/*.yml, each entry with positive and negative examples (tests/test_safety.py).
@dataclass(frozen=True)
class _Context:
    name: str
    scope: str  # clause | sentence | message
    anywhere: Optional[Pattern[str]]
    before: Optional[Pattern[str]]
    after: Optional[Pattern[str]]
    signs: Optional[frozenset]  # None: every sign
    exempt: frozenset
    unless_now: bool
    # Found in the scope: the context does not apply (words for "now" in other languages).
    unless: Optional[Pattern[str]] = None
    # Applies only when the message asks for a diagnosis (`is_diagnosis_request`).
    diagnosis_request: bool = False
    # `calms_classifier: true`: a message whose signs it (or another such context) all puts out of
    # the present also needs `emergency_settled` from the act classifier (fiction, training).
    calms_classifier: bool = False

    def applies_to(self, sign: str) -> bool:
        return (self.signs is None or sign in self.signs) and sign not in self.exempt


@dataclass(frozen=True)
class _Reading:
    pattern: Pattern[str]
    dangerous: Tuple[Tuple[Optional[float], Optional[float]], ...]
    # A unit written after the number -> the factor to the unit of `dangerous` ("0,30 g/L" of
    # blood sugar is 30 mg/dL).
    units: Tuple[Tuple[Pattern[str], float], ...] = ()
    # Its words in other languages ("Blutzucker", "glycémie"): a reading they name counts as a
    # sign in another language (`_Sign.foreign`).
    other_language_words: frozenset = frozenset()

    def in_other_language(self, match: re.Match[str]) -> bool:
        first = re.match(r"[^\W\d_]+", match.group(0))
        return first is not None and first.group(0).lower() in self.other_language_words

    def value(self, match: re.Match[str], text: str) -> float:
        value = float(match.group(1).replace(",", "."))
        for unit, factor in self.units:
            if unit.match(text, match.end()):
                return value * factor
        return value

    def is_dangerous(self, value: float) -> bool:
        return any((lo is None or value >= lo) and (hi is None or value <= hi) for lo, hi in self.dangerous)


@dataclass(frozen=True)
class _Combination:
    reason: str
    groups: Tuple[Tuple[Tuple[str, str], ...], ...]  # ((sign, qualifier "" | "!" | "~"), ...) per group
    two_of: frozenset


@dataclass(frozen=True)
class Lexicon:
    signs: Dict[str, Pattern[str]]
    mentions: Dict[str, str]
    readings: Dict[str, _Reading]
    combinations: Tuple[_Combination, ...]
    contexts: Tuple[_Context, ...]
    raw: Dict[str, Any]
    # Signs the act classifier never overrules (`final: true` in signs.yml).
    final: frozenset = frozenset()
    # The words of the signs in other languages (data/safety/other_languages/), per sign: the
    # English-trained classifier cannot weigh them, so it never overrules them.
    other_languages: Optional[Dict[str, Pattern[str]]] = None
    # Signs that are a background, live while it lasts even when told in the past tense
    # (`background: true`: "I had chemo on Monday and now I've got a temperature of 38.9").
    background: frozenset = frozenset()
    # Contexts marked `calms_classifier` in contexts.yml.
    calming: frozenset = frozenset()
    # Signs that a word of a long-standing state ("all the time", "lately") does not put in the
    # past (`chronic_live: true`: "they'll be better off without me being ill all the time").
    chronic_live: frozenset = frozenset()
    # Requests for a diagnosis in other languages (`diagnosis_request` of the same files): the
    # English-trained classifiers cannot read "¿tengo un tumor?" either.
    other_language_requests: Optional[Pattern[str]] = None


def _join(patterns: Optional[Sequence[str]]) -> Optional[Pattern[str]]:
    """One pattern of many, folded like the text it is matched on (`fold`)."""
    return _rx("|".join(f"(?:{fold(p)})" for p in patterns)) if patterns else None


SAFETY_DIR = Path(__file__).resolve().parent.parent / "data" / "safety"
# One file of warning signs per other language (its README says how they work).
OTHER_LANGUAGES_DIR = "other_languages"


def _safety_dir() -> Path:
    return SAFETY_DIR


@lru_cache(maxsize=4)
def _load_lexicon(directory: str) -> Lexicon:
    folder = Path(directory)
    signs_doc = yaml.safe_load((folder / "signs.yml").read_text(encoding="utf-8")) or {}
    combos_doc = yaml.safe_load((folder / "combinations.yml").read_text(encoding="utf-8")) or {}
    contexts_doc = yaml.safe_load((folder / "contexts.yml").read_text(encoding="utf-8")) or {}
    signs: Dict[str, Pattern[str]] = {}
    mentions: Dict[str, str] = {}
    for name, entry in (signs_doc.get("signs") or {}).items():
        signs[name] = _join(entry["patterns"]) or _rx(r"(?!x)x")
        for value in entry.get("mentions") or []:
            mentions[str(value)] = name
    languages_doc = {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for path in sorted((folder / OTHER_LANGUAGES_DIR).glob("*.yml"))
    }
    foreign: Dict[str, List[str]] = {}
    for code, language in languages_doc.items():
        for name, entry in (language.get("signs") or {}).items():
            if name not in signs:
                raise ValueError(f"{OTHER_LANGUAGES_DIR}/{code}.yml: unknown sign {name!r}")
            foreign.setdefault(name, []).extend(entry["patterns"])
    other_languages = {name: _join(patterns) or _rx(r"(?!x)x") for name, patterns in foreign.items()}
    other_language_requests = _join(
        [p for language in languages_doc.values() for p in (language.get("diagnosis_request") or {}).get("patterns") or []]
    )
    readings = {
        name: _Reading(
            _join([entry["pattern"]]) or _rx(r"(?!x)x"),
            tuple((None if lo is None else float(lo), None if hi is None else float(hi)) for lo, hi in entry["dangerous"]),
            tuple((_rx(rf"\s*(?:{unit})(?!\w)"), float(factor)) for unit, factor in (entry.get("units") or {}).items()),
            frozenset(fold(str(w)).lower() for w in entry.get("other_language_words") or ()),
        )
        for name, entry in (signs_doc.get("readings") or {}).items()
    }
    known = set(signs) | set(readings) | {"severe_diarrhoea"}
    combinations = []
    for row in combos_doc.get("combinations") or []:
        groups = []
        for group in row.get("when") or []:
            items = []
            for item in group:
                item = str(item)
                qualifier = item[-1] if item[-1] in "!~" else ""
                name = item.rstrip("!~")
                if name not in known:
                    raise ValueError(f"combinations.yml: unknown sign {name!r}")
                items.append((name, qualifier))
            groups.append(tuple(items))
        two_of = frozenset(str(x) for x in row.get("two_of") or [])
        if two_of - known:
            raise ValueError(f"combinations.yml: unknown signs {sorted(two_of - known)}")
        combinations.append(_Combination(str(row["reason"]), tuple(groups), two_of))
    contexts = []
    for name, entry in (contexts_doc.get("contexts") or {}).items():
        applies = entry.get("signs", "all")
        contexts.append(
            _Context(
                name,
                str(entry.get("scope", "clause")),
                _join(entry.get("anywhere")),
                _join([f"(?:{p})$" if not p.endswith("$") else p for p in entry.get("before") or []]),
                _join([p if p.startswith("^") else f"^(?:{p})" for p in entry.get("after") or []]),
                None if applies == "all" else frozenset(applies),
                frozenset(entry.get("except") or ()),
                bool(entry.get("unless_now", False)),
                _join(entry.get("unless")),
                bool(entry.get("diagnosis_request", False)),
                bool(entry.get("calms_classifier", False)),
            )
        )

    # (A reading too: "SpO2 88" is one number, too few examples of it for the classifier's doubt.)
    def marked(flag: str, sections: Sequence[str] = ("signs",)) -> frozenset:
        return frozenset(
            name for section in sections for name, entry in (signs_doc.get(section) or {}).items() if entry.get(flag)
        )

    final = marked("final", ("signs", "readings"))
    return Lexicon(
        signs,
        mentions,
        readings,
        tuple(combinations),
        tuple(contexts),
        {"signs": signs_doc, "contexts": contexts_doc, "other_languages": languages_doc},
        final,
        other_languages,
        marked("background"),
        frozenset(c.name for c in contexts if c.calms_classifier),
        marked("chronic_live"),
        other_language_requests,
    )


def lexicon() -> Lexicon:
    """The warning-sign lexicon, combinations and contexts from data/safety (cached)."""
    return _load_lexicon(str(_safety_dir()))


_FAINT_WORDS = _rx(r"faint|pass|collap|collasp")
_CONFUSED_WORDS = _rx(r"confus|disorient")
# Diarrhoea that is severe: how much, how long, how often.
_DIARRHOEA_SEVERE = _rx(
    r"\b(?:severe|constant|constantly|non-?stop|nonstop|won'?t stop|wont stop|can'?t stop|all (?:day|night)|"
    r"every (?:half hour|hour|\d+ minutes|few minutes)|\d+ times|(?:ten|twenty|fifteen|dozen) times|since|"
    r"for (?:\d+|two|three|four|five|several|a few|days)\s+(?:days|nights)|watery|uncontrollabl\w+|torrential|"
    r"really bad|pouring|explosive)\b"
)

# ------------------------------------------------------------------------------ context
# Said to be happening at this moment: also overrides a question's topic ("is it normal to have
# chest pain this bad right now?").
_NOW = _rx(
    r"\b(?:right now|now(?! that)|currently|at the moment|at present|just now|tonight|this (?:bad|severe)|"
    r"happening now|as we speak|as i type)\b"
)
# Said as happening now: overrides past / long-standing markers in the same clause.
_STRONG_LIVE = _rx(
    r"\b(?:right now|now|currently|at the moment|at present|just|suddenly|all of a sudden|out of nowhere|"
    r"tonight|today|this (?:morning|afternoon|evening|time)|still|"
    r"since (?:yesterday|this morning|last night|this afternoon|this evening|earlier|lunch|breakfast|dinner|"
    r"tea|about an hour|an hour|half an hour|\d+ ?(?:am|pm|o'clock)|(?:about |around )?(?:\w+|\d+) (?:hours?|minutes?) ago|then)|"
    r"for (?:the )?(?:last|past) (?:\d+|few|couple of|two|three|four|several)?\s*(?:minutes?|hours?)|"
    r"in the (?:last|past) (?:hour|few hours|\d+ (?:minutes|hours)|half hour)|"
    r"help|urgent|urgently|hurry|quick|asap|emergency|"
    r"what (?:do|should|can|shall) (?:i|we) do(?!\s+(?:if|when|in case|about|to|for))|"
    r"going for (?:over )?an hour|for over an hour)\b|!{2,}"
)
_PAST = _rx(
    r"\b(?:last (?:year|month|week|summer|winter|spring|autumn|fall|christmas|time|weekend)|"
    r"(?:\d+|a|an|one|two|three|four|five|six|few|several|many|couple of) (?:years?|months?|weeks?|days?) ago|"
    r"years ago|months ago|used to|once|previously|in the past|back in|back when|history of|"
    r"as a (?:baby|child|kid|teenager|toddler)|when (?:i|he|she|we|they) (?:was|were) (?:little|young|younger|a baby|a child|a kid)|"
    r"in (?:19|20)\d\d|in (?:january|february|march|april|may|june|july|august|september|october|november|december)|"
    r"last (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|night's|autumn)|on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"the other (?:day|night|week)|earlier (?:this|in the) (?:year|month)|(?:it|that|this|which) was\b|"
    r"before (?:my|his|her|the|their) (?:diagnosis|surgery|operation|treatment)|before diagnosis|"
    r"the (?:night|day|morning|evening|afternoon) (?:of|after) (?:my|his|her|their|the) (?:op|operation|surgery|procedure|biopsy)|"
    r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|few|couple of) (?:weeks?|months?|days?) (?:out|post[- ]?op)|"
    r"(?:has|have) been \w+ before|before$|had (?:one|a few|several|some|them) before|"
    # counted episodes: "I've passed out twice", "she has fainted three times"
    r"(?<!nearly )(?<!almost )(?:passed out|fainted|blacked out|collapsed|had (?:a )?(?:seizures?|fits?))\s+(?:twice|(?:two|three|four|five|several|a few|"
    r"a couple of|many|\d+) times))\b"
)
_MINUTES_AGO = _rx(
    r"\b(?:\d+|a few|few|a couple of|couple of|an?|one|two|three|five|ten|twenty|thirty|forty)\s*(?:minutes?|mins?|hours?|hrs?)\s+ago\b"
)
# A verb in the past tense, for a story that goes on from one sentence to the next.
_PAST_VERB = _rx(
    r"\b(?:was|were|had|went|got|became|dropped|crashed|fell|rushed|turned|started|collapsed|fainted|passed out|"
    r"stopped|needed|called|came|gave|said|told|took|kept)\b"
)
_CHRONIC = _rx(
    r"\b(?:sometimes|often|occasionally|usually|normally|always|every (?:day|morning|evening|night|week|afternoon|time)|"
    r"most (?:days|nights|mornings|evenings)|for (?:weeks|months|years|ages)|"
    r"for (?:\d+|a few|few|several|many|two|three|four|five|six) (?:weeks|months|years)|on and off|"
    r"now and (?:then|again)|from time to time|after (?:meals|eating|every|a glass|drinking|a drink|alcohol|wine)|"
    r"before (?:meals|breakfast|lunch|dinner|food|eating)|lately|these days|over the (?:months|years|weeks)|all the time)\b|"
    r"(?<!can't )(?<!cant )(?<!cannot )(?<!to )(?<!only )(?<!can )(?<!could )(?<!barely )(?<!hardly )\b(?:gets?|keeps? getting|tends? to get)\b"
    r"(?!\s+(?:my|his|her|their|a|enough|any)\s+(?:proper\s+)?(?:breath|air))"
)
_RESOLVED = _rx(
    r"(?<!not )\b(?:(?:is|'s|am|'m|are|'re|seems?|was|were) (?:fine|ok|okay|alright|all right|better|stable|home|"
    r"back home|recovered|out of hospital)|(?:fine|ok|okay|better|alright) (?:now|again|today)|recovered|has passed|"
    r"passed off|settled(?: down)?|sorted(?: it)? out|went away|gone away|(?:has|have|'ve|'s|they|it) stopped|"
    r"back to normal|doing well|all (?:fine|ok|okay|clear|good)|(?:it|that|which|they|this) passed|passed (?:in|after) (?:a|an|about|\d+)|"
    r"(?:came|calmed|went|settled) (?:back )?down|wore off|(?:feel|felt|feels|feeling) (?:normal|fine|ok|okay|better|myself) (?:now|again))\b"
)
# Hedges that do not say it is over: "I'm sure it's fine but ...", "probably nothing, but ...".
_HEDGE = _rx(
    r"\b(?:(?:i'?m|im|i am)\s+)?(?:sure|probably|hopefully|maybe|likely|bet|hope)\s+(?:(?:it'?s|it is|this is|that'?s|it'll be|"
    r"i'?m|he'?s|she'?s)\s+)?(?:fine|ok|okay|alright|all right|nothing)\b|\b(?:it'?s|it is)\s+(?:probably|likely)\s+(?:fine|nothing)\b|"
    # the person's own word for it, after a faint or a fall ("he's very pale but says he's fine")
    r"\b(?:says?|said|insists?|insisted|claims?|keeps? saying)\s+(?:that\s+)?(?:he'?s|she'?s|he is|she is|they'?re|i'?m|it'?s)\s+(?:fine|ok|okay|alright|all right|nothing)\b"
)
# Question or phrase about the sign as a topic, before it in the clause.
_WH_START = _rx(
    r"^\W*(?:(?:so|and|also|but|ok|okay|hi|hello|hey|um|sorry|please|then|quick question|question)\W+)*"
    r"(?:what|what's|whats|why|how|which|who|where|when)\b"
)
# ... unless it asks about a person now ("why is my heart racing", "what's wrong with my dad").
_WH_PERSONAL = _rx(
    rf"^\W*(?:(?:so|and|also|but|ok|okay|hi|hello|hey|um|sorry|please|then)\W+)*"
    rf"(?:why\s+(?:is|are|am|does|do|did|has|have|can'?t|won'?t|isn'?t|is it that)\s+{_SUBJECT}\b|"
    rf"what(?:'s|s| is)\s+(?:wrong|happening|going on)\b|what (?:do|should|can|shall) (?:i|we) do(?!\s+(?:if|when|in case|about|to|for)))"
)
_AUX_GENERIC = _rx(
    rf"^\W*(?:(?:so|and|also|but|ok|okay|hi|hello|hey|um|sorry|please|then|quick question|question)\W+)*"
    rf"(?:can|could|does|do|is|are|will|would|might|may)\s+"
    rf"(?!(?:{_SUBJECT}|this|that|these|those|you (?:think|reckon)|you help|someone|somebody|anyone|anybody)\b)"
)
_TOPIC_WORDS = _rx(
    r"\b(?:symptoms?|signs?|warning signs?|causes?|caused|cause|risk|risks|chance|chances|prevent\w*|avoid\w*|"
    # ("about" after thinking or talking is what a person thinks of doing: "thinking about ending it")
    r"(?<!thinking )(?<!think )(?<!thought )(?<!thoughts )(?<!talking )(?<!talked )(?<!dreaming )about|"
    r"information|info|explain\w*|difference|documentary|article|leaflet|heard|learn\w*|spot|"
    r"recogni[sz]\w*|mean\w*|define|definition|versus|vs|trigger\w*|manage|managing|treat\w*|"
    r"complications?|emergency\?)\b"
)
_TOPICAL_AFTER = _rx(
    r"^\W*(?:\w+\W+){0,3}?(?:a |an |one of the |the )?(?:common |main |usual |typical |possible )?"
    r"(?:symptom|sign|warning sign|side effect|complication|cause|feature)s?\b|"
    r"^\W*(?:mean|means|linked|link|related|a sign|symptoms?|signs?|causes?|treatment|definition|meaning)\b|"
    r"^\W*(?:be|is|are)\s+(?:\w+\s+){0,2}(?:life-threatening|dangerous|serious|an emergency)\b|"
    # a definition: "carcinoid crisis is the sudden onset of ...", "... is when ...", "... refers to ..."
    r"^\W*(?:is|are)\s+(?:when|what|where|defined|called|known as|(?:the|a|an)\s+(?:sudden|immediate|rare|serious|"
    r"complication|group|condition|term|name|type|kind|form|symptom|sign|medical term|word))\b|^\W*refers? to\b"
)
_HYPOTHETICAL = _rx(
    r"\bif\b|\bin case\b|\bwhenever\b|\bever\b|\bsuppos(?:e|ing)\b|\bimagine\b|\bhypothetical\w*|\blet'?s say\b|"
    r"\bin the event\b|\bshould (?:i|he|she|we|they) (?:ever )?(?:get|have|develop|start)\b|"
    rf"\bwill {_SUBJECT} (?:have|get|develop|need|go into)\b|\bgoing to (?:have|get|develop)\b|"
    r"\b(?:worried|worry|worrying|scared|afraid|frightened|nervous|anxious) (?:about|of)\b|\bprepar\w+|\bplan for\b|"
    r"\b(?:could|might|may) (?:i|he|she|we|they) (?:get|have|develop)\b|\bmight (?:get|have|develop)\b|"
    r"\bwhat to do (?:in|if|when|during)\b|\bwhat happens (?:if|when|in|during)\b"
)
# "not sure if she's breathing", "I don't know whether ...": uncertainty about now, not a hypothesis.
_UNSURE_IF = _rx(r"(?:not sure|unsure|n't know|dont know|do not know|no idea|wonder|wondering|can't tell|cant tell|see)\s+$")


def _hypothetical_in(chunk: str) -> bool:
    for match in _HYPOTHETICAL.finditer(chunk):
        if match.group(0).lower() == "if" and _UNSURE_IF.search(chunk[: match.start()]):
            continue
        return True
    return False


# Somebody described, in any tense ("my mum she collapsed", "my dad fainted").
_PERSONAL_ANY = _rx(rf"\b(?:{_SUBJECT})\s+(?:just\s+|has\s+|had\s+|have\s+|is\s+|was\s+)?[a-z]{{3,}}\b")
# Somebody not breathing or unconscious now, even inside "what do I do if ...".
_CRITICAL_NOW = _rx(
    rf"\b(?:{_SUBJECT})\s*(?:is|'s|s|are|'re|am|'m)\s+(?:still\s+)?(?:not breathing|unconscious|unresponsive|"
    rf"not responding|having a (?:seizure|fit)|turning blue|choking)\b"
)
# "... last year, and today it's back": the earlier sign is live again.
_RECUR = _rx(
    r"\b(?:again|another (?:one|attack|episode|crisis|bout)|(?:it'?s|it is|they'?re|they are) back|back again|"
    r"started again|starting again|happening again|same thing)\b"
)
_OWN_START = _rx(rf"^\W*(?:(?:and|but|so|then|now|also)\s+)*(?:{_SUBJECT})\b")
_SENTENCE_BREAK = _rx(r"[.?!]+(?=\s|$)|[.?!]{2,}|[;\n]|:\s|\s[-\u2013\u2014]+\s")
_CLAUSE_BREAK = _rx(
    rf",|\(|\)|\b(?:but|then|so|although|though|while|whereas)\b|"
    rf"\band\s+(?=(?:now|{_SUBJECT})\b)"
)


@dataclass(frozen=True)
class _Clause:
    start: int
    end: int
    sentence: int
    text: str
    strong: bool
    past: bool
    own: bool
    topical: bool  # a topic question/phrase somewhere in it (inherited by the next clause)
    hypothetical: bool
    inherited_topical: bool
    inherited_hypothetical: bool
    inherited_past: bool
    story_past: bool  # in a sentence that goes on with a story told in the past (never for `final` signs)
    chronic: bool = False  # past only by a word of a long-standing state ("all the time"), no past tense


def _clauses(text: str) -> List[_Clause]:
    spans: List[Tuple[int, int, int]] = []
    sentence = 0
    pos = 0
    for brk in list(_SENTENCE_BREAK.finditer(text)) + [None]:
        s_end = brk.start() if brk else len(text)
        c_pos = pos
        for cb in list(_CLAUSE_BREAK.finditer(text, pos, s_end)) + [None]:
            c_end = cb.start() if cb else s_end
            if text[c_pos:c_end].strip():
                spans.append((c_pos, c_end, sentence))
            if cb:
                c_pos = cb.end() if cb.group(0) in (",", "(", ")") or not cb.group(0).startswith("and") else cb.start() + 3
        if brk:
            pos = brk.end()
            sentence += 1
    out: List[_Clause] = []
    prev: Optional[_Clause] = None
    strong_at = [bool(_STRONG_LIVE.search(text[start:end])) for start, end, _ in spans]
    # A story told in the past goes on in the next sentence ("Eight months ago he went into a crisis
    # during surgery. His blood pressure dropped, he went bright red"): a sentence with a verb in
    # the past and no word of now inherits the past from the sentence before.
    now_in = {
        sent
        for (start, end, sent), strong in zip(spans, strong_at, strict=True)
        if strong or _NOW.search(text[start:end]) or _MINUTES_AGO.search(text[start:end])
    }
    for (start, end, sent), strong in zip(spans, strong_at, strict=True):
        chunk = text[start:end]
        present_verb = bool(_PERSONAL_LIVE.search(chunk))
        own = bool(_OWN_START.search(chunk)) or strong
        personal_live = present_verb or strong
        topical = _topical_marker(chunk) is not None
        hypothetical = _hypothetical_in(chunk)
        same = prev is not None and prev.sentence == sent
        inh_topical = bool(same and prev and (prev.topical or prev.inherited_topical) and not (own and personal_live))
        inh_hypo = bool(same and prev and (prev.hypothetical or prev.inherited_hypothetical) and not (own and personal_live))
        past_tense, chronic = bool(_PAST.search(chunk)), bool(_CHRONIC.search(chunk))
        past_here = past_tense or chronic
        # What the clause before says of the past carries on unless this one is said now.
        carries = prev is not None and not strong and not present_verb
        inh_past = bool(carries and same and prev and (prev.past or prev.inherited_past))
        if not carries or prev is None:
            story = False
        elif same:
            story = prev.story_past
        else:
            story = bool(
                (prev.past or prev.inherited_past or prev.story_past) and sent not in now_in and _PAST_VERB.search(chunk)
            )
        clause = _Clause(
            start,
            end,
            sent,
            chunk,
            strong,
            past_here and not strong,
            own,
            topical,
            hypothetical,
            inh_topical,
            inh_hypo,
            inh_past,
            story,
            chronic and not past_tense and not strong,
        )
        out.append(clause)
        prev = clause
    return out


def _topical_marker(prefix: str, clause: Optional[str] = None) -> Optional[Tuple[int, str]]:
    """Position and kind ("question" or "topic word") of the last topic marker in `prefix`."""
    found: Optional[Tuple[int, str]] = None
    whole = prefix if clause is None else clause
    if (_WH_START.search(prefix) and not _WH_PERSONAL.search(whole)) or _AUX_GENERIC.search(prefix):
        found = (0, "question")
    for match in _TOPIC_WORDS.finditer(prefix):
        found = (match.start(), "topic word")
    return found


@dataclass(frozen=True)
class _Sign:
    name: str
    start: int
    end: int
    clause: _Clause
    severe: bool
    mild: bool
    # Found by its words in another language (data/safety/other_languages/).
    foreign: bool = False


def _context_of(text: str, sign: _Sign, clauses: Sequence[_Clause]) -> Optional[str]:
    """The data/safety/contexts.yml context that makes this sign not an emergency now, if any."""
    clause = sign.clause
    for ctx in lexicon().contexts:
        if not ctx.applies_to(sign.name):
            continue
        if ctx.scope == "message":
            scope, within, end = text, list(clauses), len(text)
        elif ctx.scope == "sentence":
            within = [c for c in clauses if c.sentence == clause.sentence]
            scope, end = text[within[0].start : within[-1].end], within[-1].end
        else:
            scope, within, end = clause.text, [clause], clause.end
        # Said to be severe or happening now, anywhere in the context's scope: the context does not apply.
        if ctx.unless_now and ((sign.severe and not sign.mild) or any(c.strong for c in within)):
            continue
        if ctx.unless is not None and ctx.unless.search(scope):
            continue
        if ctx.diagnosis_request:
            if not is_diagnosis_request(text):
                continue
            if ctx.anywhere is None and ctx.before is None and ctx.after is None:
                return ctx.name
        if ctx.anywhere is not None and ctx.anywhere.search(scope):
            return ctx.name
        if ctx.before is not None and ctx.before.search(text[clause.start : sign.start]):
            return ctx.name
        if ctx.after is not None and ctx.after.search(text[sign.end : end]):
            return ctx.name
    return None


def _is_live(text: str, sign: _Sign, clauses: Sequence[_Clause]) -> bool:
    return _why_not_live(text, sign, clauses) is None


def _why_not_live(text: str, sign: _Sign, clauses: Sequence[_Clause]) -> Optional[str]:
    """Why a sign found is not happening now (a data/safety/contexts.yml context, "topic",
    "hypothetical", "past" or "resolved"), or None when it is live."""
    clause = sign.clause
    context = _context_of(text, sign, clauses)
    if context is not None:
        return context
    prefix = text[clause.start : sign.start]
    upto = text[clause.start : sign.end]
    after = text[sign.end : clause.end]
    now = bool(_NOW.search(clause.text))
    # Asked about as a topic, unless a person is then described: after a question ("how can I
    # help him, he is struggling to breathe") in the present; after a topic word ("I'm writing
    # about my mum, she collapsed") in any tense.
    topic = _topical_marker(prefix, clause.text)
    if topic is None and clause.inherited_topical:
        topic = (-1, "question")
    if topic is not None and not now:
        at, kind = topic
        person = _PERSONAL_LIVE if kind == "question" else _PERSONAL_ANY
        if not any(m.start() > at for m in person.finditer(upto)):
            return "topic"
    if _TOPICAL_AFTER.search(after) and not clause.strong:
        return "topic"
    # Hypothetical, feared or planned for; not when it is said to be now ("what do I do if he is
    # unconscious right now") or somebody is described as not breathing / unconscious.
    if (_hypothetical_in(prefix) or clause.inherited_hypothetical) and not now and not _CRITICAL_NOW.search(clause.text):
        return "hypothetical"
    # Past or long-standing (unless said to be happening now, or back again now, or a background
    # such as chemotherapy, which lasts).
    story = clause.story_past and sign.name not in lexicon().final
    chronic_only = clause.chronic and not clause.inherited_past and not story and sign.name in lexicon().chronic_live
    if (clause.past or clause.inherited_past or story) and sign.name not in lexicon().background and not chronic_only:
        back = any(
            o.sentence == clause.sentence and o.start > clause.start and o.strong and _RECUR.search(o.text) for o in clauses
        )
        if not back:
            return "past"
    # Over: "... she's home and fine now" later in the same sentence.
    for other in clauses:
        if other.sentence != clause.sentence or other.end <= sign.start:
            continue
        window = _HEDGE.sub(lambda m: " " * len(m.group(0)), text[max(other.start, sign.end) : other.end])
        if _RESOLVED.search(window):
            return "resolved"
    return None


def _find_signs(text: str, mentions: Sequence[Mention], clauses: Sequence[_Clause]) -> Tuple[List[_Sign], List[str]]:
    """The warning signs found, and the kinds of reading given in the normal range ("sats 97%")."""

    def clause_at(pos: int) -> Optional[_Clause]:
        for clause in clauses:
            if clause.start <= pos < clause.end:
                return clause
        return None

    lex = lexicon()
    raw: List[Tuple[str, int, int]] = []
    for name, pattern in lex.signs.items():
        raw.extend((name, m.start(), m.end()) for m in pattern.finditer(text))
    # A sign the English words already find at the same place is not one found in another
    # language ("febrile convulsion" is English too): the classifier may still weigh it.
    english = list(raw)
    foreign = set()
    for name, pattern in (lex.other_languages or {}).items():
        for m in pattern.finditer(text):
            if any(n == name and s < m.end() and m.start() < e for n, s, e in english):
                continue
            raw.append((name, m.start(), m.end()))
            foreign.add((name, m.start()))
    for mention in mentions:
        if mention.start < 0:
            continue
        sign = lex.mentions.get(mention.value)
        if mention.value == "dizziness":
            sign = "faint" if _FAINT_WORDS.search(mention.text) else "dizzy"
        elif mention.value == "confusion" and _CONFUSED_WORDS.search(mention.text):
            sign = "confused"
        if sign:
            raw.append((sign, mention.start, mention.end))
    readings = set()
    in_range: List[str] = []
    for name, reading in lex.readings.items():
        for match in reading.pattern.finditer(text):
            if not reading.is_dangerous(reading.value(match, text)):
                in_range.append(name)
            else:
                raw.append((name, match.start(), match.end()))
                readings.add((name, match.start()))
                if reading.in_other_language(match):
                    foreign.add((name, match.start()))

    signs: List[_Sign] = []
    for name, start, end in raw:
        # A sign may start on a word that also joins clauses ("so weak": "so" splits them).
        clause = clause_at(start) or clause_at(end - 1)
        if clause is None:
            continue
        chunk = clause.text
        severe = bool(_SEVERE.search(chunk)) or (name, start) in readings
        if name == "diarrhoea" and _DIARRHOEA_SEVERE.search(chunk):
            name = "severe_diarrhoea"
        signs.append(_Sign(name, start, end, clause, severe, bool(_MILD.search(chunk)), (name, start) in foreign))
    return signs, in_range


def _keyword_query(text: str) -> bool:
    """A few search words ("carcinoid crisis symptoms"), not a description of anyone."""
    words = re.findall(r"[\w'&-]+", text)
    return (
        len(words) <= 6
        and not _PERSON_WORD.search(text)
        and not _STRONG_LIVE.search(text)
        and not re.search(r"\b(?:is|are|am|can'?t|cannot|won'?t|feel|feels|having|has|have|had|going)\b", text, _FLAGS)
        and bool(
            _TOPIC_WORDS.search(text)
            or re.search(r"\b(?:insulinoma|gastrinoma|glucagonoma|vipoma|nets?|carcinoid syndrome)\b", text, _FLAGS)
        )
    )


def _counts(sign: _Sign, qualifier: str) -> bool:
    if qualifier == "!":
        return sign.severe and not sign.mild
    if qualifier == "~":
        # (In another language the words for "now" and "badly" are not known: it counts.)
        return (sign.severe and not sign.mild) or sign.clause.strong or sign.foreign
    return True


def _decide(live: Sequence[_Sign], text: str) -> Optional[str]:
    """The reason this combination of live signs is an emergency (None when it is not): the first
    matching row of data/safety/combinations.yml."""
    names: Set[str] = {s.name for s in live}
    for row in lexicon().combinations:
        if row.two_of and len(names & row.two_of) >= 2:
            return row.reason
        if row.groups and all(any(s.name == n and _counts(s, q) for s in live for n, q in group) for group in row.groups):
            return row.reason
    return None


@dataclass(frozen=True)
class SafetyCheck:
    emergency: bool
    signs: Tuple[str, ...] = ()
    reason: str = ""
    # A live sign was found by its words in another language (the classifier cannot weigh it).
    foreign: bool = False
    # Warning signs the rules found but a `calms_classifier` context of data/safety/contexts.yml
    # puts out of the present (fiction, a training scenario), and readings in the normal range.
    settled: Tuple[str, ...] = ()
    # Warning signs the rules found and put out of the present, every one of them, by any context
    # (over now, a question about the topic, negated, hypothetical ...): the rules and the classifier
    # then need to agree less often than the classifier alone says (`emergency_out_of_present`).
    out_of_present: Tuple[str, ...] = ()


def check_emergency(
    text: str,
    mentions: Sequence[Mention] = (),
    intent: Optional[str] = None,
    confidence: float = 0.0,
) -> SafetyCheck:
    """Is this message describing an emergency happening now?"""
    if not text or not text.strip():
        return SafetyCheck(False)
    text = fold(text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'"))
    clauses = _clauses(text)
    signs, in_range = _find_signs(text, mentions, clauses)
    if _keyword_query(text):
        return SafetyCheck(False, tuple(sorted({s.name for s in signs})), "search words")
    why_not = [_why_not_live(text, s, clauses) for s in signs]
    live = [s for s, why in zip(signs, why_not, strict=True) if why is None]
    names = tuple(sorted({s.name for s in live}))
    reason = _decide(live, text)
    if reason:
        return SafetyCheck(True, names, reason, any(s.foreign for s in live))
    # The NLU model's opinion counts when the text also shows a live warning sign.
    if intent == "report_emergency" and confidence >= 0.8 and set(names) - {"flushing", "diarrhoea", "wheeze", "extreme"}:
        return SafetyCheck(True, names, "reported emergency")
    # (Only by a context marked `calms_classifier`: the other contexts and the tense, topic and
    # "fine now" readings of the code misread a live sign often enough that the classifier decides.)
    settled = {s.name for s, why in zip(signs, why_not, strict=True) if why in lexicon().calming}
    settled.update(in_range)
    dormant = () if live else tuple(sorted({s.name for s in signs}))
    return SafetyCheck(False, names, settled=tuple(sorted(settled)), out_of_present=dormant)


# ------------------------------------------------------------------------------ off-topic
@dataclass(frozen=True)
class _OffTopic:
    name: str
    pattern: Pattern[str]
    unless: Optional[Pattern[str]]


@lru_cache(maxsize=4)
def _load_off_topic(directory: str) -> Tuple[_OffTopic, ...]:
    doc = yaml.safe_load((Path(directory) / "off_topic.yml").read_text(encoding="utf-8")) or {}
    return tuple(
        _OffTopic(name, _join(entry["patterns"]) or _rx(r"(?!x)x"), _join(entry.get("unless")))
        for name, entry in (doc.get("classes") or {}).items()
    )


@lru_cache(maxsize=4)
def _load_pleas(directory: str) -> Pattern[str]:
    doc = yaml.safe_load((Path(directory) / "pleas.yml").read_text(encoding="utf-8")) or {}
    return _join(doc.get("patterns")) or _rx(r"(?!x)x")


def asks_for_help_in_english(text: str) -> bool:
    """Whether a message asks, in English, what to do now ("... what do I do", "please help"):
    for messages written in another language, which the warning signs may not read
    (data/safety/pleas.yml)."""
    return bool(_load_pleas(str(_safety_dir())).search(text))


def asks_for_diagnosis_in_other_language(text: str) -> bool:
    """Whether a message in another language asks for a diagnosis ("¿tengo un tumor
    neuroendocrino?", "ist der Tumor zurück?"): it gets the no-diagnosis sentence in that language
    (data/safety/other_languages/ `diagnosis_request`)."""
    pattern = lexicon().other_language_requests
    return bool(text) and pattern is not None and pattern.search(fold(text.replace("\u2019", "'"))) is not None


def off_topic_rule(text: str) -> Optional[str]:
    """The off-topic class of data/safety/off_topic.yml the text belongs to (a pet's health,
    "net" in another sense ...), or None."""
    if not text:
        return None
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    for cls in _load_off_topic(str(_safety_dir())):
        if cls.pattern.search(text) and not (cls.unless is not None and cls.unless.search(text)):
            return cls.name
    return None


# ------------------------------------------------------------------------ the act decision
@lru_cache(maxsize=4)
def _thresholds(path: str, mtime_ns: int) -> Dict[str, float]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {str(k): float(v) for k, v in data.items()}


def act_thresholds() -> Dict[str, float]:
    """data/safety/thresholds.yml: emergency, diagnosis, shared, off_topic."""
    path = _safety_dir() / "thresholds.yml"
    return _thresholds(str(path), path.stat().st_mtime_ns)


@dataclass(frozen=True)
class ActDecision:
    """What the message does (one of bot.acts.ACTS), why, and the scores it was decided on."""

    act: str
    emergency: SafetyCheck
    by: str = ""  # "rules", "classifier" or "rules+classifier" for an emergency or a diagnosis request
    scores: Optional[ActResult] = None
    # Mostly words never seen in training, and nothing like a NET question: not understood.
    unclear: bool = False
    # A diagnosis request about a diagnosis already made ("I was diagnosed yesterday, do you think
    # mine has spread?"): the reply must not say it cannot tell whether they have a NET.
    about_known: bool = False


# Where a message of several questions splits into them: line breaks, list items ("2)", "3."), and
# "also" / "btw" / "separately" turning to something else. (Not sentence ends: "my meter said HI.
# As in hello, the start-up screen" explains itself in the next sentence.)
_PARTS = re.compile(r"\n+|\s(?=\d{1,2}[.)]\s)|\s+(?:also|and also|oh and|btw|separately)\s+", re.IGNORECASE)


def _alarming_part(text: str, mentions: Sequence[Mention], floor: float) -> bool:
    """A part of a message of two or more parts (a list of questions, "also, separately ...") in which
    the rules find an emergency and the act classifier, reading that part alone, does too (at
    `floor`): the rest of the message does not make it calm."""
    from bot.acts import classify

    bounds, start = [], 0
    for cut in _PARTS.finditer(text):
        bounds.append((start, cut.start()))
        start = cut.end()
    bounds.append((start, len(text)))
    if len(bounds) < 2:
        return False
    for begin, end in bounds:
        part = text[begin:end]
        inside = [m for m in mentions if begin <= m.start and m.end <= end]
        shifted = [Mention(m.label, m.value, m.text, m.start - begin, m.end - begin) for m in inside]
        if part.strip() and check_emergency(part, shifted).emergency and classify(part).emergency >= floor:
            return True
    return False


def decide_act(
    text: str,
    mentions: Sequence[Mention] = (),
    intent: Optional[str] = None,
    confidence: float = 0.0,
    scores: Optional[ActResult] = None,
    subjects: Sequence[Mention] = (),
    in_context: bool = False,
    follow_up: bool = False,
    after_answer: bool = False,
) -> ActDecision:
    """The act of a message, before any topic logic.

    1. Emergency: the classifier's probability at or above its threshold, OR the rules
       (`check_emergency`) when the classifier gives at least `rules_floor` (below it the message
       reads as a look-alike: a figure of speech, an episode that is over, fiction).
    2. Diagnosis request: the classifier sure enough, or the rules (`is_diagnosis_request`) unless
       the classifier is sure the person shares a diagnosis as context ("my dad has a pancreatic
       NET, is it cancer?" asks about the known diagnosis).
    3. Off-topic: a rule of data/safety/off_topic.yml (a pet's health, "net" in another sense),
       or the classifier's calibrated off-topic probability: at or above `off_topic` when the
       message names nothing specific to NETs (`subjects`: its knowledge-base mentions), at or
       above `off_topic_named` whatever it names, at or above `off_topic_other` when it names
       another illness and nothing about NETs; below `off_topic` but at or above `unclear`, outside
       a conversation about a NET subject (`in_context`), the honest "not sure I understood".
    4. Otherwise shared diagnosis (answered with a kind word first), question or small talk.
    `follow_up`: a short elliptical turn right after an answer ("and the lung ones?").
    `after_answer`: a short turn right after an entry's answer ("which foods exactly", "and the
    prostate?", "is it cancer?"): it continues the answer, so off-topic only by a rule or at
    `off_topic_follow_up`, and a diagnosis request by the rules or at `diagnosis_follow_up`.
    Without scores (a button payload) the rules alone decide."""
    t = act_thresholds()
    rules = check_emergency(text, mentions, intent, confidence)
    # Whether the words alone (no intent) ask for a diagnosis: asked once, read below several times.
    in_words = is_diagnosis_request(text)
    plain = text.replace("\u2019", "'")
    model = scores is not None and scores.emergency >= t["emergency"]
    # "And the lung ones?" right after an answer (`follow_up`) continues that question: a short
    # message the classifier knows little about sits near its prior, so unless the rules find an
    # emergency in it, it needs `emergency_follow_up`.
    if model and follow_up and not rules.emergency and scores is not None and scores.emergency < t["emergency_follow_up"]:
        model = False
    # The rules' word lists cannot tell a figure of speech, an episode that is over or a TV plot
    # from the real thing; the classifier, trained on those look-alikes, can. A rule-found
    # emergency stands unless the classifier all but rules it out, in the whole message and in each
    # of its parts where the rules find it (a list of questions whose fifth item is "I've just
    # started getting chest pain" reads calm as a whole).
    if (
        rules.emergency
        and scores is not None
        and scores.emergency < t["rules_floor"]
        and not set(rules.signs) & lexicon().final
        and not rules.foreign
        and not _alarming_part(text, mentions, t["emergency"])
    ):
        rules = SafetyCheck(False, rules.signs, "rules overruled: the classifier reads a look-alike")
    # The classifier alone, on a message the rules read as a request for a diagnosis ("keeps
    # nearly fainting before meals, is it a tumour?") or as one of data/safety/off_topic.yml's
    # classes, or all but certainly off-topic to the classifier itself, with no warning sign in it
    # ("help, my laptop won't turn on"): symptoms described as a pattern, or words that sound
    # urgent, need `emergency_diagnosis` / `emergency_off_topic`. So does a message whose warning
    # signs a `calms_classifier` context settles (a film, a first-aid course) or whose readings are
    # all normal ("sats 97%"), with no live sign: `emergency_settled`.
    if model and not rules.emergency and scores is not None:
        if scores.emergency < t["emergency_diagnosis"] and (in_words or scores.score(DIAGNOSIS_REQUEST) >= t["diagnosis"]):
            model = False
        elif (
            scores.emergency < t["emergency_off_topic"]
            and not rules.signs
            and (off_topic_rule(text) or scores.score(OFF_TOPIC) >= t["off_topic_named"])
        ):
            model = False
        elif rules.settled and not rules.signs and scores.emergency < t["emergency_settled"]:
            model = False
        # Every warning sign the rules found is out of the present (over now, negated, asked about,
        # planned for; `out_of_present` is empty when any sign is live): the classifier alone needs
        # `emergency_out_of_present`.
        elif rules.out_of_present and scores.emergency < t["emergency_out_of_present"]:
            model = False
        # Mostly words the models never saw ("blah blah insulinoma wibble", a language the detector
        # missed) and no warning sign: the classifier alone needs `emergency_settled`, unless the
        # message asks in English for help ("salam, baba-m ... nafas nemikeshe, please help": the
        # plea is all the bot can read, data/safety/pleas.yml).
        elif (
            scores.known < t["known_words"]
            and not rules.signs
            and scores.emergency < t["emergency_settled"]
            and not asks_for_help_in_english(text)
        ):
            model = False
    if rules.emergency or model:
        by = "rules+classifier" if rules.emergency and model else ("rules" if rules.emergency else "classifier")
        check = rules if rules.emergency else SafetyCheck(True, rules.signs, "act classifier")
        return ActDecision(EMERGENCY, check, by, scores)
    if off_topic_rule(text):
        return ActDecision(OFF_TOPIC, rules, "rules", scores)
    # (The intent changes the answer only when the words alone do not ask: `intent_asks_diagnosis`.)
    asked = in_words or (intent == "ask_diagnose_me" and is_diagnosis_request(text, intent, confidence))
    if scores is None:
        return ActDecision(DIAGNOSIS_REQUEST if asked else QUESTION, rules, "rules" if asked else "", None)
    p_diagnosis = scores.score(DIAGNOSIS_REQUEST)
    # The NLU's intent alone (no rule in the words) is a request only when the act classifier, which
    # was trained on requests and on questions with a story around them, gives it `diagnosis_intent`.
    if asked and not in_words and p_diagnosis < t["diagnosis_intent"]:
        asked = False
    p_shared = scores.score(SHARED_DIAGNOSIS)
    # A diagnosis stated as known ("I was diagnosed with ...", "the consultant said ...", "my dad
    # has a pancreatic NET.") and the classifier reading the message as context: the question is
    # about the known diagnosis, not a request for one.
    told = bool(_TOLD_DIAGNOSIS.search(plain))
    known = told or bool(states_diagnosis(text))
    # A verdict on the known diagnosis itself (has it spread, what grade, what a scan shows), or
    # the same question about the person asking ("does that mean I've got one too?"): still
    # never answered for them, whatever the classifier reads.
    if (
        known
        and asked
        and (
            _VERDICT_ON_KNOWN.search(plain)
            or _VERDICT_ON_FINDING.search(text)
            or _VERDICT_ON_REPORT.search(plain)
            or _VERDICT_ON_MINE.search(plain)
        )
    ):
        return ActDecision(DIAGNOSIS_REQUEST, rules, "rules", scores, about_known=True)
    if known and asked and _ALSO_ME.search(plain):
        return ActDecision(DIAGNOSIS_REQUEST, rules, "rules", scores)
    # ... or our verdict on someone else's ("dr google says carcinoid. what do u say?").
    if asked and _SECOND_OPINION.search(plain):
        return ActDecision(DIAGNOSIS_REQUEST, rules, "rules", scores)
    # ... or whether what was found is one ("I just need to know if the thing they found is a
    # carcinoid", "how likely is it that that's what it is?"): never answered as a known diagnosis.
    if known and asked and _WHAT_WAS_FOUND.search(plain):
        return ActDecision(DIAGNOSIS_REQUEST, rules, "rules", scores)
    # ... or no rule finds a request in its words (the intent aside) and the classifier alone is
    # not sure: "why do I flush
    # after wine? I have carcinoid" must not hear "I can't tell whether you have a NET".
    context = known and (
        (p_shared >= t["shared"] and p_shared > p_diagnosis) or (not in_words and p_diagnosis < t["diagnosis_known"])
    )
    # Right after an answer, a short question ("is it cancer?", "is that one of them?") asks about
    # what the answer said; the rules still catch "so do I have it?", the classifier alone needs
    # `diagnosis_follow_up`.
    diagnosis_bar = t["diagnosis_follow_up"] if after_answer and not in_words else t["diagnosis"]
    # "Do I need a biopsy to confirm a NET?" asks about the steps of care; the classifier alone
    # (no rule in the words) does not make it a request.
    care_step = not in_words and bool(_CARE_STEP.search(plain))
    if p_diagnosis >= diagnosis_bar and not context and not care_step:
        return ActDecision(DIAGNOSIS_REQUEST, rules, "rules+classifier" if asked else "classifier", scores)
    # Told by the care team ("the consultant said I have carcinoid syndrome. What symptoms ...?"):
    # a rule-found request is about the known diagnosis unless the classifier says otherwise.
    if asked and not context and not told:
        return ActDecision(DIAGNOSIS_REQUEST, rules, "rules", scores)
    p_off = scores.score(OFF_TOPIC)
    labels = {m.label: m.value for m in subjects}
    specific = any(
        m.label in ("condition", "hormone", "uncovered") or (m.label == "net_type" and m.value != "net") for m in subjects
    )
    about_nets = any(m.label in ("net_type", "condition", "hormone") for m in subjects)
    # Mostly words never seen in training ("blorp fizzle wug"): not understood, rather than off-topic.
    if scores.known < t["known_words"]:
        unclear = p_off >= t["unclear"] and not specific
        return ActDecision(QUESTION, rules, "", scores, unclear=unclear)
    off_topic = (
        (p_off >= t["off_topic"] and not specific)
        or p_off >= t["off_topic_named"]
        or ("other_condition" in labels and not about_nets and p_off >= t["off_topic_other"])
    )
    # A few words that continue the last answer, read on their own, look like anything.
    if off_topic and (not after_answer or p_off >= t["off_topic_follow_up"]):
        return ActDecision(OFF_TOPIC, rules, "classifier", scores)
    # Between the two: maybe off-topic, maybe a vague question. The honest "not sure I
    # understood" asserts nothing, where a guessed medical entry might answer a question about
    # something else entirely.
    # (Not when the conversation is already about a NET subject: "what's the prognosis?" follows it.)
    # (Nor when it names a region: "I'm under the NHS" answers where the person is.)
    if p_off >= t["unclear"] and not specific and not in_context and "region" not in labels:
        return ActDecision(QUESTION, rules, "", scores, unclear=True)
    # The kind word first ("I'm sorry to hear about the diagnosis") presupposes one: with none stated
    # in words we recognise, the classifier alone needs `shared_unstated` ("how often should I have
    # a CT scan?" reads like a patient's question, and states nothing).
    if p_shared >= (t["shared"] if known else t["shared_unstated"]):
        return ActDecision(SHARED_DIAGNOSIS, rules, "", scores)
    if scores.act == SMALL_TALK:
        return ActDecision(SMALL_TALK, rules, "", scores)
    return ActDecision(QUESTION, rules, "", scores)


# ----------------------------------------------------------------------- diagnosis requests
# Whether a test or procedure is needed, or what happens at one: a step of care, not a verdict.
_CARE_STEP = _rx(
    r"\b(?:do|does|would|will|should|must)\s+(?:i|we|you|they|he|she|my [\w'-]+|people|patients)\s+(?:\w+\s+)?(?:need|have to|get|be given|be sent for)\s+"
    r"(?:a|an|the|any|another|more)?\s*(?:[\w'-]+\s+){0,2}?(?:biopsy|biopsies|scans?|tests?|blood tests?|ct|mri|pet|endoscopy|colonoscopy|"
    r"ultrasound|operation|surgery|referral)\b"
)
_CONDITION = (
    r"(?:(?:lung|pancreatic|pancreas|gi|gut|bowel|small|intestinal|stomach|appendix|appendiceal|rectal|bronchial|"
    r"bronchopulmonary|gep|type of|kind of|sort of|form of|some|rare|a|an|the|neuroendocrine|carcinoid|actual|real|"
    r"one of those|one of them|one of these|those|these|that|insulin|hormone|vip|glucagon|gastrin|serotonin|"
    r"[\w]+-(?:making|producing|secreting|releasing))\s+){0,3}"
    r"(?:nets?|neuroendocrine(?:\s+(?:tumou?rs?|cancers?|neoplasms?|carcinomas?))?|gep-nets?|pnets?|"
    r"merkel(?: cell)?(?: (?:cancer|carcinoma|tumou?r))?|ph?a?eochromocytomas?|paragangliomas?|somatostatinomas?|"
    r"medullary thyroid (?:cancer|carcinoma)|zollinger[- ]ellison(?: syndrome)?|"
    r"cancers?|cancerous|tumou?rs?|carcinoids?|syndrome|insulinomas?|gastrinomas?|glucagonomas?|vipomas?|"
    r"necs?|ibs|crohn'?s|menopause|diabet\w+|malignant|something serious|serious)\b"
)
# The condition is what is asked about, not the subject of a longer question.
_CONDITION_END = (
    r"(?!\s+(?:usually|always|often|generally|normally|typically|ever|commonly|common|rare|harmless|dangerous|deadly|"
    r"curable|treatable|hereditary|genetic|inherited|are|is|was|were|be|can|could|do|does|did|have|has|had|cause\w*|"
    r"spread\w*|grow\w*|run|runs|tend\w*|need\w*|mean\w*|make\w*|get|gets|treated|cured|found|diagnosed|show\w*|"
    r"start\w*|develop\w*|release\w*|produce\w*|affect\w*|come|comes|go|goes|turn\w*|become\w*|with|that|which|who|"
    r"will|would|might|may|return\w*|recur\w*|mostly|most|more|less|only|seen|located|linked|related|"
    r"connected|associated)\b)"
)
_LINK = (
    r"(?:(?:actually|really|just|definitely|possibly|probably|likely|maybe|from|caused by|due to|because of|part of|"
    r"linked to|related to|down to|a sign of|a symptom of|signs of|symptoms of|an early sign of|a warning sign of)\s+)*"
)
_WHO = rf"(?:i|he|she|we|they|(?:my|his|her|our|their)(?: (?!of\b)[\w'-]+){{1,4}}?|(?:{_PEOPLE})(?:'s [\w'-]+)?)"
# "are these symptoms carcinoid syndrome?": symptoms pointed at, not named.
_THESE_SYMPTOMS = (
    r"(?:this|that|these|those)\s+(?:symptoms?|signs?|flush\w*|rash\w*|spots?|attacks?|episodes?|pains?|problems?|feelings?)"
)
# ("how are they linked to NETs?" asks how, not whether.)
_IS_IT = _rx(
    rf"(?<!\bhow )(?<!\bwhy )(?<!\bwhat )(?<!\bwhere )(?<!\bwhen )\b(?:is|are|was|were)\s+(?:it|this|that|these|those|{_WHO}|{_THESE_SYMPTOMS})\s+{_LINK}(?:a |an |the )?{_CONDITION}{_CONDITION_END}"
)
# "can we have a simple explanation of what a NET is?": to have as to be given something.
_HAVE_RECEIVE = (
    r"\s+(?:a|an|some|more|any|the)\s+(?:[\w'-]+\s+){0,2}?(?:explanation|information|info|leaflet|appointment|look|chat|word|"
    r"idea|question|list|summary|overview|guide|breakdown|answer|copy|scan|test|referral|second opinion)s?\b"
)
_DIAGNOSE_ME = _rx(r"\bdiagnos(?:e|is)\s+(?:me|my|him|her|them|us|this|what)\b|\bcan you diagnose\b|\bgive me a diagnosis\b")
# "why did it take 5 years to diagnose my wife's NET" tells what happened; it asks nothing of us.
_TOOK_TO_DIAGNOSE = _rx(r"\b(?:take|takes|took|taken|taking)\b[^.?!]{0,60}?(?<!\byou )(?<!\bu )\bto diagnos(?:e|is)\b")
# "I'm not asking you to diagnose me, I just want to know who to see": said to ask something else.
_NOT_ASKING_TO_DIAGNOSE = _rx(
    r"\b(?:not|n't|never|no need to|without)\s+(?:[\w']+\s+){0,4}?(?:to\s+)?(?:diagnos(?:e|is|ing)|a diagnosis)\b|"
    r"\b(?:know|understand|realise|realize)\s+(?:that\s+)?(?:you|u)\s+(?:can'?t|cannot|can not|won'?t)\s+diagnos"
)
_BARE_DO_I = _rx(
    rf"\b{_CONDITION}[^?]{{0,80}}?[.!,;]\s*(?:so\s+|well\s+|and\s+)?(?:do|does|did|could|might|am|is|have|has)\s+(?:i|he|she|we|they|my [\w'-]+)"
    r"(?:\s+(?:really|actually|then))?(?:\s+(?:have|got)\s+(?:it|one|that|them))?\s*\?+"
)
_DIAGNOSIS_PATTERNS: Tuple[Pattern[str], ...] = tuple(
    p if isinstance(p, re.Pattern) else _rx(p)
    for p in (
        # do I have / does my mum have / could she have / has he got / will I get
        rf"(?<!\bhow )(?<!\bwhy )\b(?:do|does|did|could|might|may|would|can|will)\s+{_WHO}\s+(?:[\w']+\s+){{0,3}}?(?:have(?! to\b)(?!{_HAVE_RECEIVE})|has(?! to\b)|got|had(?! to\b)|suffer\w*)\b[^.?!]{{0,40}}?\b{_CONDITION}",
        rf"\b(?:will|could|might|may|would)\s+{_WHO}\s+(?:[\w']+\s+){{0,2}}?(?:get|develop)\s+{_CONDITION}{_CONDITION_END}",
        rf"\b(?:do|would|did) you (?:think|reckon|say|believe|suppose)\b[^.?!]{{0,60}}?\b{_CONDITION}",
        rf"(?<!\bhow )(?<!\bwhy )(?<!\bwhen )\b(?:have|has)\s+{_WHO}\s+(?:got|had|been)\b[^.?!]{{0,30}}?\b{_CONDITION}",
        # could it / this / my diarrhoea / the flushing I get be a NET?
        rf"\b(?:could|might|may|would|can)\s+(?:it|this|that|these|those|they|{_WHO}|the [\w']+(?: [\w']+){{0,3}}?)\s+(?:\w+\s+){{0,2}}?(?:be|been|mean|indicate|suggest|point to)\s+{_LINK}(?:a |an |the )?{_CONDITION}{_CONDITION_END}",
        # is it cancer / is this a sign of a NET / is my wheezing caused by carcinoid
        _IS_IT,
        # I think I have / I'm worried I might have / I reckon it's a NET
        rf"(?<!\bif )(?<!\bwhen )(?<!\bshould )(?<!\bonce )\b(?:i|i'm|im|he|she|we|(?:my|his|her) [\w'-]+)\s+(?:\w+\s+)?(?:think|thinks|reckon|reckons|fear|fears|suspect|suspects|worried|worry|worries|believe|believes|wonder|wonders|wondering|convinced|sure)\s+(?:that\s+|if\s+|whether\s+)?(?:i|he|she|we|they|it|this|my [\w'-]+|his [\w'-]+|her [\w'-]+)\s*(?:'s|'ve|'m|s|is|has|have|had|am|might|may|could|got|must)\b[^.?!]{{0,30}}?\b{_CONDITION}",
        rf"\b(?:it'?s|its|this is|that'?s)\s+(?:a |an )?{_CONDITION}[^.?!]{{0,20}}\b(?:who'?s right|right\?|isn'?t it|am i right)",
        # explicit requests
        _DIAGNOSE_ME,
        r"\b(?:check|look at|assess|go through|read)\s+(?:my|his|her|our|these)\s+symptoms\b",
        rf"\bwhat (?:do|does|did) {_WHO} (?:have|got)\b|\bwhat(?:'s| is| has) {_WHO} got\b|"
        r"\bwhat(?:'s|s| is) (?:wrong|going on|happening|the matter) with (?:me|him|her|us|them|my)\b",
        rf"\b(?:could|might|may|would|can)\s+{_WHO}\s+be\b(?!\s+(?:ok|okay|fine|alright|all right|able|treated|cured|offered|given|"
        rf"prescribed|seen|referred|told|operated|mistaken|misdiagnosed|confused|tested|screened|checked|scanned|helped|eligible))[^.?!]{{0,40}}?\b{_CONDITION}{_CONDITION_END}",
        # "so I must have a NET" (an inference; "ok so my mum has a NET??" repeats what they were told)
        rf"\b(?:so|then|therefore|which means)\s+{_WHO}\s+(?:must|probably|definitely|likely)\s+(?:have|has|got|'ve got)\b[^.?!]{{0,30}}?\b{_CONDITION}",
        rf"\b(?:so|then|therefore|which means)\s+(?:i|he|she|we|they)\s+(?:have|has|got|'ve got)\b[^.?!]{{0,30}}?\b{_CONDITION}",
        rf"\b(?:have|has|got)\s+(?:a |an )?{_CONDITION}[^.?!]{{0,12}}\b(?:right|correct|yes|don'?t i|doesn'?t (?:he|she)|isn'?t it)\s*\?",
        rf"\btell me (?:if|whether) {_WHO}\b",
        rf"\b(?:chance|chances|odds|likelihood|probability|risk|possibility)\s+(?:is\s+)?(?:that\s+|of\s+)?{_WHO}\s+(?:ha(?:ve|s)|having|got|getting|is|am|being)\b",
        rf"\bam i (?:at risk|likely|having|going to get|getting)\b|\b(?:is|are)\s+{_WHO}\s+at risk\b",
        r"\b(?:do|does)\s+(?:this|that|it|these|those|my [\w'-]+|his [\w'-]+|her [\w'-]+)\s+(?:\w+\s+)?(?:sound|look|seem)\s+like\b",
        r"\b(?:do|does)\s+(?:my|his|her|their|these|the)\s+(?:[\w'-]+\s+)?symptoms?\s+(?:match|fit|suggest|point to|sound like|mean|add up)\b",
        rf"\b(?:does|do|would|could)\s+(?:having|getting)\b[^.?!]{{0,40}}\bmean\s+{_WHO}\b",
        r"\bshould (?:i|we) (?:be )?(?:worried|concerned|scared|afraid)\b|\bdo (?:i|we) need to worry\b",
        rf"\bhow (?:do|would|can|could|will) (?:i|we|you) (?:know|tell|find out|be sure) (?:if|whether) {_WHO}\b",
        rf"\b(?:is|'s) it (?:possible|likely|probable) (?:that )?{_WHO}\b",
        rf"\b(?:is|are)\s+{_WHO}\s+(?:likely|possibly|probably)\s+(?:to )?(?:have|has|got|be(?!\s+(?:offered|given|treated|"
        r"cured|ok|okay|fine|alright|all right|able|seen|referred|told|prescribed|operated|better|well)\b))\b",
        rf"\b(?:sounds?|looks?) like (?:i|he|she|{_WHO}) (?:ha(?:ve|s)|might|could)\b",
        # how likely is it that that's what it is? / what are the chances it's a NET?
        r"\bhow (?:likely|probable|possible)\b[^.?!]{0,30}\b(?:that'?s|it'?s|this is|it is)\s+what\s+(?:it|this|that|i|he|she|they)\b",
        # is that what I've got? / could that be what she has?
        rf"\b(?:is|could|might|would)\s+(?:that|this|it)\s+(?:be\s+)?what\s+{_WHO}\s*(?:'ve|'s|have|has|'ve got|has got|have got|got|had)\b",
        # could a NET be why I'm thirsty? / might a carcinoid be what's causing my flushing?
        rf"\b(?:could|might|may|would|can)\s+(?:a |an |the |some |one of these |one of those )?{_CONDITION}\s+(?:\w+\s+)?be\s+"
        rf"(?:why|the reason|what'?s (?:causing|behind|going on|wrong)|behind|causing|the cause of)\b[^.?!]{{0,40}}?\b(?:i|i'm|im|me|my|he|she|his|her|we|they)\b",
        # "is there a tumour in my lung?"
        r"\b(?:is|are|could|might)\s+there\s+(?:be\s+)?(?:a|an|any|some)\s+(?:[\w'-]+\s+){0,2}?(?:tumou?rs?|growths?|cancers?|nets?|"
        r"carcinoids?|lumps?|insulinomas?)\s+(?:in|on)\s+(?:my|his|her|their|our)\b",
        # symptoms told, then a bare name: "Recurrent pneumonia, 40F non-smoker. Bronchial carcinoid?"
        rf"[.!?,]\s+{_CONDITION}\s*\?+\s*$",
        # I (just) need to know if the thing they found is a carcinoid
        rf"\b(?:need|want|wanna|have|got) to know\s+(?:if|whether)\b[^.?!]{{0,80}}?\b(?:is|are|was|were|'s)\s+(?:a |an |the )?{_CONDITION}",
        rf"\btell me (?:if|whether)\s+(?:the|this|that|it|these)\b[^.?!]{{0,80}}?\b(?:is|are|was|were|'s)\s+(?:a |an |the )?{_CONDITION}",
        # "Is insulinoma?" / "It is VIPoma?" (typed by someone describing a person's symptoms)
        rf"(?:^|[.!?]\s+)(?:is it|it is|is)\s+(?!(?:that|this|these|those|it|a type|a kind|a form)\b)(?:a |an |the )?{_CONDITION}\s*\?",
        # "GP thinks menopause, I think something else ... which one of us is right?"
        rf"\b(?:thinks?|says?|said|reckons?)\b[^.?!]{{0,40}}\b{_CONDITION}[^?]{{0,160}}\b(?:which (?:one )?of us is right|who(?:'s| is) right)\b",
        # has my cancer spread? / has her tumour come back?
        r"\b(?:has|have|is|did)\s+(?:my|his|her|their|our)\s+(?:[\w'-]+\s+){0,2}?(?:nets?|cancers?|tumou?rs?|carcinoids?)\s+"
        r"(?:already\s+|now\s+)?(?:spread|come back|came back|returned|grown|metastasi[sz]ed)\b",
        # is my flushing a sign my NET has spread?
        r"\b(?:sign|signs|means?|mean)\s+(?:that\s+)?(?:my|his|her|their|our)\s+(?:[\w'-]+\s+){0,2}?(?:nets?|cancers?|tumou?rs?|carcinoids?)\s+"
        r"(?:has|have|is|'s)\s+(?:already\s+)?(?:spread|grown|come back|returned|metastasi[sz]ed)\b",
        # do I have it too? (after someone else's diagnosis, an app's guess)
        rf"(?<!\bhow )(?<!\bwhy )\b(?:do|does|could|might|would|can)\s+{_WHO}\s+(?:also\s+)?(?:have|has|got)\s+(?:it|this|that|the same(?: thing)?)(?:\s+(?:too|as well|also))?\s*(?:\?|$)",
        # am I one of the 20% who get it? / is she among those who develop it?
        rf"\b(?:am|is|are)\s+(?:i|he|she|we|they|{_WHO})\s+(?:one of|among|part of)\s+(?:the|those)\b[^.?!]{{0,30}}?\b(?:who|that)\s+(?:get|gets|have|has|develop|develops)\b",
        # is there any way my dizzy spells are from a tumour?
        rf"\b(?:is there any way|any chance|is it possible)\b[^.?!]{{0,50}}?\b(?:are|is|could be|might be|come|comes)\s+{_LINK}(?:from|caused by|due to|down to)\s+(?:a |an |the )?{_CONDITION}",
        # did they miss a NET? / could my IBS diagnosis have missed a carcinoid?
        rf"\b(?:did|could|might|have|has)\s+(?:they|the doctors?|my gp|(?:my|his|her)\s+(?:[\w'-]+\s+){{0,2}}?diagnosis|(?:my|his|her)\s+(?:doctors?|gp|scans?))\s+(?:have\s+)?miss(?:ed)?\s+(?:a |an |the )?{_CONDITION}",
        # X, is that what this lump is?
        r"\b(?:is|could) (?:that|this|it) (?:be )?what (?:my|this|his|her|the) (?:[\w'-]+\s+){0,5}?(?:is|are)\b",
        # does that mean I've got a NET too? / do you think mine has already spread?
        rf"\b(?:does|do|would|could|will)\s+(?:that|this|it)\s+mean\s+{_WHO}\s*(?:'ve|'s|have|has|'ve got|got|might|could|will|am|is|'m)\b[^.?!]{{0,30}}?\b{_CONDITION}",
        r"\b(?:do|would) you (?:think|reckon|say)\s+(?:mine|his|hers|theirs|(?:my|his|her|their) [\w'-]+)\s+(?:has|have|is|'s)\s+(?:already\s+)?"
        r"(?:spread|grown|come back|returned|metastasi[sz]ed|cancer|cancerous|malignant|benign|aggressive|bad)\b",
        r"\b(?:has|have|is)\s+(?:mine|his|hers|theirs)\s+(?:already\s+)?(?:spread|come back|returned|grown|metastasi[sz]ed)\b",
        # my Ki-67 is 4%: what grade does that make me? what stage am I?
        r"\bwhat (?:grade|stage|type) (?:does (?:that|this|it) make (?:me|him|her|them|mine|it)|am i|is (?:he|she)|is (?:mine|hers|his)|"
        r"is (?:my|his|her|their) (?:[\w'-]+\s+){0,2}?(?:nets?|cancers?|tumou?rs?|carcinoids?))\b",
        # NET or just alcohol flush? / could this be a carcinoid and not just piles?
        rf"\b{_CONDITION}\s*,?\s+or\s+(?:is it\s+|it's\s+)?(?:just|only|simply|merely)\b(?!\s+(?:some|a few|certain|sometimes|in|when|if|for)\b)",
        rf"\b{_CONDITION}\s*,?\s+(?:and\s+)?not\s+(?:just|only|simply|merely)\b",
        # this bleeding could be a carcinoid / my years of IBS were a carcinoid all along
        rf"\b(?:this|that|my|his|her|their)\s+(?:[\w'-]+\s+){{0,3}}?(?:could|might|may)\s+(?:actually\s+|really\s+)?(?:be|mean)\s+{_LINK}(?:a |an |the )?{_CONDITION}{_CONDITION_END}",
        rf"\b(?:were|was|is|are|been)\s+(?:a |an |the )?{_CONDITION}\s+all along\b",
        # score my risk / rate my chances of having a pancreatic NET; do I fit the profile for a lung NET?
        r"\b(?:score|rate|estimate|calculate|work out|give me|tell me)\s+(?:my|his|her|our|their)\s+(?:risk|chances?|odds|likelihood|probability)\b",
        rf"\b(?:do|does|would)\s+{_WHO}\s+(?:fit|match|meet)\s+(?:the\s+)?(?:profile|picture|description|criteria|bill)\b",
        # does my octreotide scan show a NET? / do my results mean cancer?
        r"\b(?:does|do|did|would|will|could)\s+(?:my|his|her|their|this|these|the)\s+(?:[\w'-]+\s+){0,2}?(?:scans?|results?|reports?|biopsy|bloods?|"
        rf"blood tests?|tests?|x-?rays?|mri|ct|pet|ultrasound|letters?|histology|pathology|notes|summary|endoscopy|colonoscopy)\s+(?:\w+\s+)?(?:show|shows|mean|means|suggest|confirm|say|says|prove|indicate)\b[^.?!]{{0,30}}?\b{_CONDITION}",
        # is it going to be a stomach NET? / is this likely to be cancer?
        rf"\b(?:is|are)\s+(?:it|this|that|they|these|those)\s+(?:going to|gonna|likely to|bound to)\s+(?:turn out to\s+)?be\s+{_LINK}(?:a |an |the )?{_CONDITION}{_CONDITION_END}",
        # what do you reckon, is that what it is?
        r"\b(?:is|could|might)\s+(?:that|this|it)\s+(?:be\s+)?what\s+(?:it|this|that|i|he|she)\s+(?:is|was|have|has|'ve got|has got)\b(?!\s+called)",
        # "My sister is convinced I have carcinoid. Do I?": a condition named, then a bare "do I?"
        _BARE_DO_I,
        # has our daughter got it too?
        rf"\b(?:has|have)\s+{_WHO}\s+(?:also\s+)?got\s+(?:it|this|that|the same(?: thing)?)(?:\s+(?:too|as well|also))?\s*(?:\?|$)",
    )
)
# A verdict on one's own case: "does that mean I'm cured?", "what does that mean for her
# specifically?", "is mine cancer?", "would you call my tumour aggressive?", "what grade do you
# reckon that is?", "what stage is a 1.5cm appendix NET ...?", "interpret pls: CgA 480", "please
# confirm whether ...", "are these night sweats my NET coming back?" (asked of a case whoever is
# named, so read before the person check of `is_diagnosis_request`).
_VERDICT_ON_CASE = _rx(
    "|".join(
        f"(?:{p})"
        for p in (
            r"\b(?:does|do|would|could)\s+(?:that|this|it)\s+mean\s+(?:i'?m|i am|im|he'?s|she'?s|he is|she is|we'?re|(?:my|his|her) [\w'-]+ (?:is|are|has))\s+(?:\w+\s+)?(?:cured|clear|all clear|cancer[- ]free|in remission|free of (?:it|cancer|the tumou?r)|gone)\b",
            r"\bmean\s+for\s+(?:me|him|her|them|us|my [\w'-]+|his [\w'-]+|her [\w'-]+)\s+(?:specifically|personally|in particular)\b|\bmean\s+in\s+(?:my|his|her|their)\s+case\b",
            r"\bis\s+(?:mine|his|hers|theirs)\s+(?:a\s+|an\s+)?(?:cancer|cancerous|malignant|benign|serious|aggressive|bad|the bad kind|spreading)\b",
            r"\b(?:would|do|did|could)\s+you\s+(?:call|class|classify|rate|consider|describe)\s+(?:my|his|her|their)\s+(?:[\w'-]+\s+){0,2}?(?:nets?|cancers?|tumou?rs?|carcinoids?|case|results?)\b",
            r"\bwhat\s+(?:grade|stage|type)\s+(?:do|would)\s+you\s+(?:reckon|think|say|call|guess)\b",
            r"\bwhat\s+(?:grade|stage)\s+(?:is|would be)\s+(?:a|an)\s+(?:\d+(?:[.,]\d+)?\s*(?:cm|mm)|[\w'-]+\s+\d)",
            r"\b(?:can|could|would|will)\s+(?:you\s+)?(?:please\s+)?interpret\b|\binterpret\s+(?:pls|plz|please|this|these|that|my|his|her|it|them)\b|^\W*interpret\b",
            r"\bconfirm\s+(?:for me\s+)?(?:whether|if)\s+(?:my|his|her|i|he|she|it|the|this)\b",
            r"\b(?:is|are|could|might)\s+(?:this|that|these|those|it)\b[^.?!]{0,40}?\b(?:my|his|her|their|the)\s+(?:[\w'-]+\s+){0,2}?(?:nets?|cancers?|tumou?rs?|carcinoids?)\s+(?:coming back|returning|spreading|growing|back)\b",
            # "is it back? be honest", "has it come back?"
            r"\b(?:is|has)\s+(?:it|the (?:tumou?r|cancer|net|carcinoid))\s+(?:come\s+back|came\s+back|back|returned|grown\s+back)\b(?!\s+to\b)",
        )
    )
)
# "my dad was diagnosed with a lung carcinoid, is it cancer?": asks about the diagnosed NET.
_KNOWN_NET = _rx(
    r"\b(?:diagnosed with|has|have|had|living with|got)\s+(?:a |an )?(?:[\w-]+\s+){0,2}?(?:nets?|carcinoid|neuroendocrine|insulinoma|gastrinoma|glucagonoma|vipoma|pnet|nec|"
    r"medullary thyroid (?:cancer|carcinoma)|ph?a?eochromocytoma|merkel cell (?:cancer|carcinoma))\b"
)
# A diagnosis quoted from a letter or report ("Letter: 'bronchial carcinoid'. Is that a lung NET?",
# "the notes say 'functional NET', is this the same as ..."): "is that a ...?" asks what the
# words mean, the diagnosis is the care team's. (A finding quoted, "'a 2 cm lesion'", is not one.)
_QUOTED = _rx(r"(?:^|(?<=[\s:(]))[\"\u201c\u2018']([^\"\u201c\u201d\u2018\u2019']{3,80}?)[\"\u201d\u2019'](?![a-z])")
_DIAGNOSIS_NAME = _rx(
    r"\b(?:nets?|neuroendocrine (?:tumou?rs?|neoplasms?|carcinomas?)|carcinoids?|insulinomas?|gastrinomas?|glucagonomas?|vipomas?|pnets?|necs?)\b"
)
_REPORT_HEDGE = _rx(
    r"\?|\b(?:suspicious|suspected|suspect|possible|possibly|probable|probably|likely|query|differential|consistent|suggestive|"
    r"suggests?|cannot|can't|rule out|exclude|excluded|may|might|could|or|versus|vs)\b"
)


def _quotes_a_diagnosis(text: str) -> bool:
    """A diagnosis quoted from a letter, unhedged: "'bronchial carcinoid'" (not "'? carcinoid'")."""
    return any(_DIAGNOSIS_NAME.search(q) and not _REPORT_HEDGE.search(q) for q in _QUOTED.findall(text))


# ... and "my aunt had medullary thyroid cancer, is that a type of NET?" asks how it is classed.
_NATURE_QUESTION = _rx(
    r"\b(?:is|are) (?:it|this|that|they) (?:a )?(?:cancer|cancerous|malignant|benign|serious|dangerous)\b|"
    r"\b(?:is|are|counts? as) (?:it|this|that|they) (?:a |an )?(?:type|kind|form|sort) of (?:a |an )?(?:nets?|neuroendocrine|cancer)\b"
)
# A diagnosis stated as known: "I was diagnosed with ...", "the consultant said I have ...",
# "My dad has a NET in his pancreas." (said, not asked: at the start of a sentence), "my tumour".
_DIAGNOSED_THING = (
    r"(?:gep-nets?|nets?|neuroendocrine|carcinoids?|carcinoid syndrome|insulinomas?|gastrinomas?|glucagonomas?|vipomas?|"
    r"somatostatinomas?|pnets?|necs?|medullary thyroid|ph?a?eochromocytomas?|paragangliomas?|merkel|men ?1|men ?2|"
    r"tumou?rs?|cancers?|syndrome|grade \d|g[123])"
)
# Told by the care team or found on a test: strong enough to outweigh a rule-found request.
_TOLD_DIAGNOSIS = _rx(
    r"\b(?:was|were|been|got|being|is|'s|are|am|'m)\s+(?:\w+\s+)?diagnosed\b(?!\s+(?:yet|wrongly|properly|correctly)\b)|(?:^|[.!?]\s+)diagnosed (?:with|in|last|a |an )|"
    rf"\b(?:since|after|before|from|with) (?:(?:my|his|her|their|our|the) (?:(?:{_PEOPLE})'s )?|(?:{_PEOPLE})'s )diagnosis\b|"
    # letter shorthand: "Dx: pNET", "Diagnosis: NET of the appendix"
    rf"(?:^|[.!?;]\s+)(?:dx|diagnosis)\s*:\s*(?:[\w-]+\s+){{0,4}}?{_DIAGNOSED_THING}|"
    rf"\b(?:told|confirmed|found|showed|shows|said|says|wrote|writes|mentioned|called it|diagnosed it as)\b"
    # (a report's hedges are not a diagnosis: "differential includes", "possible", "suspected", "?NET")
    rf"(?:(?!\b(?:but|could|might|maybe|perhaps|possibly|probably|if|whether|not|isn'?t|no|or|differential|includes?|possible|"
    rf"suspected|suspicious|query|likely|cannot exclude|rule out)\b)[^.?!,;]){{0,50}}?\b{_DIAGNOSED_THING}"
)
_STATES_DIAGNOSIS = _rx(
    _TOLD_DIAGNOSIS.pattern + "|"
    # forum shorthand: "Stage 3 lung NET here.", "Carcinoid syndrome here, is it true ...?"
    rf"(?:^|[.!?;]\s+)(?:(?!(?:what|which|is|are|do|does|did|can|could|have|has|i|any|a|an|the)\b)[\w-]+\s+){{0,4}}?{_DIAGNOSED_THING}\s+here\s*[.,!;:\u2014-]|"
    # "Wife diagnosed with a grade 1 NET", "Just diagnosed with neuroendocrine cancer" (not "if diagnosed with")
    r"(?:^|[.!?;,]\s+)(?!(?:if|when|once|whether|unless)\b)(?:[\w'-]+\s+){1,2}?diagnosed (?:with|in|last|a |an )|"
    # "had a NET taken out of my stomach", "my dad had his carcinoid removed"
    rf"\b(?:had|have had|'ve had|has had)\s+(?:a|an|my|his|her|the|their)\s+(?:[\w-]+\s+){{0,3}}?{_DIAGNOSED_THING}\s+"
    r"(?:[\w-]+\s+)?(?:taken out|removed|cut out|operated on|treated)\b|"
    rf"(?:^|[.!?;]\s+|\b(?:so|and|but)\s+|^(?:hi|hello|hey|ok|okay|well|yes|right)\b\W+)(?:i|i've|ive|i'm|im|we|he|she|they|(?:my|our) [\w'-]+(?: [\w'-]+)?|(?:{_PEOPLE})(?:'s [\w'-]+)?)\s*,?\s*"
    rf"(?:\(?\d+\)?\s*,?\s*)?(?:has|have|had|'s got|'ve got|has got|have got|got|is living with|lives with|living with|was told|has been told|have been told)\s+"
    rf"(?:(?:a|an|the|this|that|some|two|small|large|rare)\s+)?(?:[\w-]+\s+){{0,3}}?{_DIAGNOSED_THING}\b|"
    # "... i have carcinoid", "with this syndrome": said as known, not wondered about
    rf"(?<!\bthink )(?<!\bif )(?<!\bthat )(?<!\bwhether )(?<!\bworried )(?<!\bafraid )(?<!\bdo )(?<!\bmight )(?<!\bcould )"
    rf"\bi (?:have|'ve got|have got|got)\s+(?:a |an )?(?:[\w-]+\s+){{0,2}}?(?:nets?|carcinoid(?: syndrome)?|insulinoma|gastrinoma|glucagonoma|vipoma|pnet)\b(?!\?)|"
    rf"\b(?:with|from) (?:this|my|his|her|their|our|the) (?:syndrome|nets?|carcinoid(?: syndrome)?|insulinoma|pnet)\b|"
    rf"\b(?:my|his|her|their|our|(?:{_PEOPLE})'s)\s+(?:(?!(?:has|have|had|is|was|are|a|an|the|be|been|got|might|could|may|"
    rf"actually|really|just|not|symptoms?)\b)[\w-]+\s+){{0,2}}?(?:nets?|carcinoids?|insulinoma|gastrinoma|glucagonoma|vipoma|pnet|tumou?r)\b(?!\?)"
)


# Asked about one's own diagnosed NET: whether it has spread, its grade or stage, what a scan shows.
_VERDICT_ON_KNOWN = _rx(
    r"\b(?:has|have|is)\s+(?:mine|his|hers|theirs|(?:my|his|her|their|our)\s+(?:[\w'-]+\s+){0,2}?(?:nets?|cancers?|tumou?rs?|carcinoids?))\s+"
    r"(?:already\s+)?(?:spread|come back|returned|grown|metastasi[sz]ed)\b|"
    r"\b(?:you (?:think|reckon|say)|whether|if)\s+(?:mine|his|hers|theirs|(?:my|his|her|their)\s+(?:[\w'-]+\s+){0,2}?(?:nets?|cancers?|tumou?rs?|carcinoids?))\s+"
    r"(?:has|have|is|'s)\s+(?:already\s+)?(?:spread|come back|returned|grown|metastasi[sz]ed)\b|"
    r"\bwhat (?:grade|stage) (?:does (?:that|this|it) make|am i|is (?:mine|hers|his))\b|"
    r"\b(?:does|do|did)\s+(?:my|his|her|their)\s+(?:[\w'-]+\s+){0,2}?(?:scans?|results?|reports?|biopsy|bloods?|tests?)\s+(?:show|mean|say)\b|"
    r"\b(?:is|are|could|might)\s+(?:that|this|it|these|those)\s+(?:be\s+)?(?:my|his|her|their|our)\s+(?:[\w'-]+\s+){0,2}?(?:nets?|cancers?|tumou?rs?|carcinoids?)\s+"
    r"(?:spreading|growing|coming back|back|returning|getting bigger)\b|"
    # "does that mean her pancreatic tumour is making insulin again?", "can you confirm progression?"
    r"\b(?:my|his|her|their|our)\s+(?:[\w'-]+\s+){0,2}?(?:tumou?r|net|cancer|carcinoid|insulinoma|gastrinoma)\s+is\s+"
    r"(?:making|producing|releasing|growing|spreading|active|working)\b[^.?!]{0,30}?\bagain\b|"
    r"\b(?:confirm|tell (?:me|him|her|them))\s+(?:the\s+|a\s+)?(?:progression|recurrence|relapse|spread|metastas[ie]s)\b"
)
# A verdict asked on a finding, a reading or a word of a letter for the person asking: "does
# that / a 5-HIAA of 12 / 'likely' mean I've got one?", "have I got cancer or not?", "is the 9 mm
# nodule in the lung a carcinoid?", "how sure are you that my rash means ...", "what's the
# likelihood it turns out benign?". ("Is a lump in the appendix usually a NET?" asks in general.)
_VERDICT_ON_FINDING = _rx(
    r"\b(?:does|do|would|could|can)\s+(?:[^.?!]{1,40}?\s)?mean\s+(?:that\s+)?(?:i|i've|ive|i'm|im|he|she|he's|she's|we|they|my|his|her)\b"
    r"(?:\s+[\w']+){0,3}?\s+(?:have|has|got)\b(?!\s+to\b)|"
    r"\b(?:have|has)\s+(?:i|he|she|we|they|my [\w'-]+)\s+got\b[^.?!]{0,30}?\bor not\b|"
    r"\b(?:is|are|could|might)\s+(?:(?:the|this|that|my|his|her|their|these|those)\s+|a\s+(?=\d))"
    r"(?!(?:a |an |the )?(?:different|same|separate|similar|other|another)\b)(?:[\w'-]+\s+){0,4}?(?:nodules?|lumps?|"
    r"bumps?|lesions?|mass|masses|spots?|cysts?|growths?|shadows?|polyps?|swellings?|thing)\b"
    r"(?![^.?!]{0,50}?\b(?:usually|always|often|generally|normally|typically|ever|commonly)\b)[^.?!]{0,50}?\b(?:be\s+)?(?:a|an)\s+"
    r"(?:[\w'-]+\s+){0,3}?(?:nets?|carcinoids?|tumou?rs?|cancers?|carcinomas?|insulinomas?|gastrinomas?|neuroendocrine)\b|"
    r"\bhow sure are you\b|\b(?:likelihood|chances?|odds|probability)\b[^.?!]{0,30}?\bturns? out\s+(?:to be\s+)?(?:benign|malignant|cancer|a net|fine|nothing)\b"
)
# Whether what a test found is a NET, asked after what the test found.
_WHAT_WAS_FOUND = _rx(
    rf"\b(?:need|want|wanna|have|got) to know\s+(?:if|whether)\b[^.?!]{{0,80}}?\b(?:is|are|was|were|'s)\s+(?:a |an |the )?{_CONDITION}|"
    r"\bhow (?:likely|probable|possible)\b[^.?!]{0,30}\b(?:that'?s|it'?s|this is|it is)\s+what\s+(?:it|this|that)\b"
)
# ... or the same question about the asker, or anyone else named, after someone else's diagnosis:
# "does that mean I've got one too?", "has our son got it too?"
_ALSO_ME = _rx(
    rf"\b(?:i|i've|i'm|me|i've got|i have|(?:has|have|does|do|did|could|might|will|is|are)\s+{_WHO})\b[^.?!]{{0,50}}?\b(?:too|as well|also)\s*\?"
)


def states_diagnosis(text: str) -> Optional[str]:
    """The words that state a known diagnosis, if any ("I was diagnosed", "the consultant said I have")."""
    found = _STATES_DIAGNOSIS.search(text.replace("\u2019", "'"))
    return found.group(0) if found else None


# A report, scan or letter named: what it found is about someone ("CT report says '? carcinoid'. is it one?").
_REPORT_WORD = _rx(r"\b(?:report|scan|letter|results?|biopsy|histology|pathology|ct|mri|endoscopy|radiolog\w*)\b")
_DEICTIC = _rx(r"\b(?:this|these|those)\b|\b(?:could|might|would|is|does|do) that\b|\bthat'?s\b")


# "... carcinoid syndrome y/n", "just tell me yes or no": a verdict asked for, about a condition.
_VERDICT = _rx(r"\b(?:y/n|yes or no|yes/no|yes or not|true or false)(?=\W|$)")
# "... is a tumour or not": a verdict about someone.
_OR_NOT = _rx(r"\bor not\b")
# "how likely is it that I have ...", "what's the probability my chest pain is a lung NET?"
_LIKELIHOOD = _rx(
    rf"\b(?:how likely|how probable|probability|likelihood|likelyhood|liklihood|chances?|odds|percentage|out of (?:10|ten|100))\b[^.?!]{{0,60}}?"
    rf"\b(?:i|he|she|we|they|my|his|her|our|their|this|these|(?:{_PEOPLE}))\b[^.?!]{{0,60}}?\b{_CONDITION}{_CONDITION_END}"
)


# Asked about "it" with no person named: symptoms added up ("flushing + diarrhoea = carcinoid?"),
# the odds that it is one ("wat r the chances its a NET and not just stress").
_ABOUT_IT = _rx(
    rf"(?:\+|\band\b)[^.?!=]{{0,80}}?(?:=|\bequals?\b|\badds? up to\b)\s*(?:a |an )?{_CONDITION}\s*\??\s*$|"
    rf"\b(?:chances?|odds|likelihood|probability|how likely|how probable)\b(?:\s+(?:are|is|r|that|of|it))*?\s+(?:that\s+)?"
    rf"(?:it'?s|its|it is|this is|that'?s|it was|it could be|it'll be)\s+(?:a |an |the |actually |really |just )*{_CONDITION}"
)


# "Gallium scan showed 'avid uptake'. Does that mean it has spread?": a verdict on a finding of a
# scan or report (with none named, "does stage 4 mean it has spread?" asks what stage 4 means;
# "what does it mean that it has spread?" asks what spreading means).
_SPREAD_ON_FINDING = _rx(
    r"(?<!\bwhat )\b(?:does|do|would|could)\s+(?:that|this|it)\s+mean\s+(?:that\s+)?(?:it|it's|its|the (?:cancer|tumou?r|net))\s+(?:has\s+|'s\s+|is\s+)?"
    r"(?:already\s+)?(?:spread|grown|come back|returned|metasta\w*)\b"
)
# What a report, a letter, a test or the doctors' words mean for the person they are about:
# "histology say 'NET G1'. This mean it metastasized or not?", "Has it gone into her lymph
# nodes?", "is hers the spreading kind?", "which is it more likely to be?", "does that mean its
# medullary thyroid cancer", "Consistent means it definitely is that?". Asked only where a
# finding is named or quoted (`_FINDING_NAMED`); "does stage 4 mean it has spread?" asks in general.
_VERDICT_ON_REPORT = _rx(
    r"(?:(?<!\bwhat )\b(?:does|do|did|would|could)\s+(?:that|this|it|these|the (?:report|letter|results?|scan|biopsy|findings?))\s+"
    r"(?:\w+\s+)?|(?:^|[.!?,;:-]\s*)(?:(?:so|and|this|that|it)\s+)?)means?\s+(?:that\s+)?"
    r"(?:it|it's|its|it is|she|he|she's|he's|i|i'm|im|i've|ive|they|hers|his|mine|the (?:tumou?r|cancer|net|growth|lump))\b"
    r"[^.?!]{0,40}?\b(?:is one|spread\w*|gone|metasta\w*|come back|came back|returned|stage \w+|definitely|for sure|"
    r"certain|nets?|neuroendocrine|carcinoids?|carcinoid syndrome|insulinomas?|gastrinomas?|glucagonomas?|vipomas?|pnets?|"
    r"necs?|medullary thyroid|ph?a?eochromocytomas?|merkel)\b|"
    r"\bmeans?\s+(?:that\s+)?(?:it|it's|its|it is)\s+(?:definitely|for sure|certainly)\b|"
    r"\b(?:has|have|is|'s)\s+(?:it|she|he|hers|his|the (?:tumou?r|cancer|net))\s+(?:already\s+|now\s+)?"
    r"(?:spread|gone (?:to|into)|metasta\w*|come back|returned)\b|"
    r"\b(?:is\s+(?:hers|his|mine|theirs)|(?:so\s+)?(?:that'?s|thats|it'?s|its))\s+(?:the|a|an)\s+(?:spreading|aggressive|dangerous|bad|fast[- ]growing|cancerous|"
    r"malignant|serious)\s+(?:kind|type|sort|one)\b|"
    r"\bwhich\b[^.?!]{0,30}?\bmore likely\b|"
    r"\bdoes\s+(?:'[^']{1,40}'|\"[^\"]{1,40}\")\s+on\s+(?:(?:my|his|her|their|our)\s+)?(?:[\w'-]+\s+){0,2}?(?:report|letter|results?|scan)"
    r"\s+mean\s+(?:that\s+)?(?:it|it's|its|she|he|she's|he's|i|i'm)\b[^.?!]{0,30}?\b(?:actually|really)\b|"
    r"\b(?:malignant or benign|benign or malignant|cancer or not)\b[^.?!]{0,20}?\bfor (?:him|her|me|them|us|my \w+)\b|"
    r"\b(?:take|read)\s+(?:that|this|it)\s+as\b[^.?!]{0,40}?\b(?:it'?s|it is|has|have)\b"
)
# A verdict asked on the person's own result or tumour: "which grade am I", "what grade is that, 2
# or 3?", "is mine a NEC", "is mine one of the aggressive ones?", "typical or atypical, which one is
# mine?", "which organ is it?", "am I in the clear?", "medullary thyroid cancer or not?", "photo
# attached", "whether the tumour removed ought to be classified as malignant". Counted only with a
# finding named, or the person's own words or a figure of theirs (`_MINE`): "which type is the
# most common?" asks in general.
_VERDICT_ON_MINE = _rx(
    r"\b(?:which|what)\s+(?:grade|type|kind|stage|one|organ|sort)\s+(?:(?:is|am|are)\s+(?:mine|i|hers|his|theirs|that|it|this|she|he)\b|"
    r"(?:do|did)\s+(?:i|we)\s+have\b|(?:does|did)\s+(?:he|she|my \w+)\s+have\b|(?:is|was)\s+(?:it|that|this)\b)|"
    r"\b(?:which|what)\s+(?:grade|type|kind|stage)\s+(?:i am|i'm|im|mine is|it is|hers is|his is)\b|"
    r"\b(?:is|am)\s+(?:mine|hers|his|i)\s+(?:a|an|one of the)\s+(?:[\w'-]+\s+){0,2}?(?:nets?|necs?|carcinoids?|cancers?|aggressive|bad|serious|"
    r"typical|atypical|functioning|high[- ]grade|low[- ]grade|spreading)\b|"
    r"\b(?:grade|g)\s*[123]\s+or\s+(?:grade\s+|g\s*)?[123]\b|,\s*[123]\s+or\s+[123]\s*\?|"
    r"\bam i in the clear\b|\bwhich (?:one )?is (?:it|mine)\b|\bwhich is mine\b|"
    r"\b(?:photo|picture|pic|image|screenshot)\s+(?:attached|below|here|above)\b|\b(?:sent|sending|send|attached|uploaded)\s+(?:you|u|ya)?\s*(?:a|the|my)\s+(?:pic|photo|picture|image|screenshot|scan)\b|"
    r"\bcan you (?:work out|figure out)\s+(?:where|which|what)\b|"
    r"\bwhether\s+(?:the|my|his|her|their)\b[^.?!]{0,80}?\b(?:ought to be|should be|is to be|counts? as|can be)\s+(?:classified|called|considered|regarded)\s+"
    r"(?:as\s+)?(?:malignant|benign|cancer|a net|a cancer)\b|"
    r"\bis\s+(?:my|his|her|their|our)\s+(?:[\w'-]+\s+){0,2}?(?:tumou?r|net|lump|growth|nodule|lesion)\s+(?:benign or malignant|malignant or benign|"
    r"cancerous|cancer or not)\b|"
    r"\bdoes\s+[^.?!]{1,50}?\bmean\s+(?:that\s+)?(?:mine|hers|his|it'?s|its|it is)\s+(?:is\s+)?(?:\w+\s+)?(?:high[- ]grade|low[- ]grade|cancer|malignant|"
    r"benign|spread|everywhere|aggressive)\b|"
    r"\b(?:medullary thyroid cancer|cancer|a net|net|carcinoid|insulinoma|gastrinoma|nec)\s+or\s+not\s*\?|"
    r"\b(?:derm|dermatologist|gp|doctor|consultant)\s+(?:said|says|thinks)\b[^.?!]{0,40}?\bbut\s+(?:i'?m|im|i am)\s+not convinced\b"
)
_MINE = _rx(r"\b(?:mine|am i|i am|do i have|my|me|i)\b|\d")
_FINDING_NAMED = _rx(
    _REPORT_WORD.pattern + r"|\b(?:path|mrcp|pet|colonoscopy|notes|bloods?|chromogranin(?: a)?|calcitonin|5-?hiaa|ki-?67|"
    r"markers?|urine|wrote|writes|say|says|said)\b|'[^']{3,120}'|\"[^\"]{3,120}\""
)
# "dr google says carcinoid. what do u say?": a second opinion asked on someone's verdict.
_SECOND_OPINION = _rx(
    rf"\b(?:says?|said|thinks?|reckons?|suggests?)\s+(?:it'?s\s+|it is\s+|maybe\s+|possibly\s+)?(?:a |an )?{_CONDITION}\s*[.!,;:]+\s*"
    r"(?:but\s+|so\s+|and\s+)?what do (?:you|u) (?:say|think|reckon)\b"
)


# A verdict asked of NETs in general, not of a person's tumour: "is a NET cancer or not??",
# "neuroendocrine tumour is cancer, yes or no?", "are carcinoid tumours malignant?".
_GENERIC_NET_VERDICT = _rx(
    r"\b(?:is|are)\s+(?:a|an|all|every|any)?\s*(?:nets?|neuroendocrine tumou?rs?|neuro-endocrine tumou?rs?|carcinoids?|carcinoid tumou?rs?)\s+"
    r"(?:always\s+|actually\s+|really\s+)?(?:a\s+)?(?:cancers?|cancerous|malignant|benign)\b|"
    r"(?:^|[,.!?]\s*)(?:a\s+|an\s+)?(?:nets?|neuroendocrine tumou?rs?|neuro-endocrine tumou?rs?|carcinoids?|carcinoid tumou?rs?)\s+(?:is|are)\s+"
    r"(?:always\s+|actually\s+|really\s+)?(?:a\s+)?(?:cancers?|cancerous|malignant|benign)\b"
)
# "My aunt had a pheochromocytoma. Is that one of these neuroendocrine tumours too?": whether a
# named type counts as a NET (other_net_types), not whether the person has one.
_TYPE_COUNTS = _rx(
    r"\b(?:is|are|was)\s+(?:that|it|this|those|these|they)\s+(?:also\s+|too\s+)?(?:one of (?:these|those|the)|a (?:type|kind|form|sort) of|"
    r"counted as|classed as|classified as|considered)\b"
)
_NAMED_TYPE = _rx(
    r"\b(?:ph?a?eochromocytomas?|paragangliomas?|medullary|merkel|insulinomas?|gastrinomas?|glucagonomas?|vipomas?|somatostatinomas?|"
    r"pituitary|adrenal|thymic|islet cell)\b"
)
# "Are these tumours of the gut becoming more common?": "these tumours" is the topic, not a finding.
_OWN_TUMOUR = _rx(r"\b(?:my|mine|his|hers|her|their|our)\b")
_THESE_TUMOURS = _rx(r"\b(?:is|are)\s+(?:these|those)\s+(?:tumou?rs|nets|cancers|carcinoids)\b")


_DIAGNOSED_WITH = _rx(r"(?<!\bif )(?<!\bwhen )(?<!\bonce )\bdiagnosed (?:with|as)\b")
# Symptoms told (no question), then a bare name asked: "dizzy shaky confused sometimes and peeing
# loads. NET?" (with a person named, `_DIAGNOSIS_PATTERNS` has the same).
_TOLD_THEN_NAMED = _rx(rf"^[^?]{{12,}}?[.!,;:]\s*(?:a |an )?{_CONDITION}\s*\?+\s*$")


def is_diagnosis_request(
    text: str, intent: Optional[str] = None, confidence: float = 0.0, mentions: Sequence[Mention] = ()
) -> bool:
    """Does the person ask whether they (or someone) have a condition?"""
    if not text or not text.strip():
        return False
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    generic = bool(_GENERIC_NET_VERDICT.search(text))
    if _VERDICT.search(text) and re.search(_CONDITION, text, _FLAGS) and not generic:
        return True
    if _LIKELIHOOD.search(text) or _ABOUT_IT.search(text) or _VERDICT_ON_FINDING.search(text) or _SECOND_OPINION.search(text):
        return True
    if _SPREAD_ON_FINDING.search(text) and _REPORT_WORD.search(text):
        return True
    if _VERDICT_ON_REPORT.search(text) and _FINDING_NAMED.search(text):
        return True
    if _VERDICT_ON_KNOWN.search(text) or (
        _VERDICT_ON_MINE.search(text) and (_FINDING_NAMED.search(text) or _MINE.search(text)) and not generic
    ):
        return True
    if _TOLD_THEN_NAMED.search(text) or _VERDICT_ON_CASE.search(text):
        return True
    about_someone = bool(_PERSON_WORD.search(text)) or bool(_DEICTIC.search(text)) or bool(_REPORT_WORD.search(text))
    if not about_someone:
        return False
    hits = [p for p in _DIAGNOSIS_PATTERNS if p.search(text)]
    if (
        not hits
        and _OR_NOT.search(text)
        and not generic
        and re.search(rf"\b(?:is|are|am|'s)\b[^.?!]{{0,30}}?{_CONDITION}\s+or not\b", text, _FLAGS)
    ):
        hits = [_OR_NOT]
    if hits:
        if _KNOWN_NET.search(text) and _NATURE_QUESTION.search(text) and len(hits) == 1 and hits[0] is _IS_IT:
            return False
        if hits == [_IS_IT] and _quotes_a_diagnosis(text):
            return False
        # "diagnosed with an appendix NET ... my mates ask if I have cancer. do I?": whether the
        # diagnosis told counts as one, not a request for a diagnosis.
        if hits == [_BARE_DO_I] and (_TOLD_DIAGNOSIS.search(text) or _DIAGNOSED_WITH.search(text)):
            return False
        if hits == [_IS_IT] and (
            (_TYPE_COUNTS.search(text) and _NAMED_TYPE.search(text))
            or (_THESE_TUMOURS.search(text) and not _OWN_TUMOUR.search(text))
        ):
            return False
        if hits == [_DIAGNOSE_ME] and (_TOOK_TO_DIAGNOSE.search(text) or _NOT_ASKING_TO_DIAGNOSE.search(text)):
            return False
        return True
    return intent_asks_diagnosis(text, intent, confidence)


def intent_asks_diagnosis(text: str, intent: Optional[str], confidence: float) -> bool:
    """The NLU's `ask_diagnose_me` intent about a person, with no rule finding a request in the words."""
    return intent == "ask_diagnose_me" and confidence >= 0.6 and bool(_PERSON_WORD.search(text))


def symptoms_named(mentions: Iterable[Mention]) -> List[str]:
    return list(dict.fromkeys(m.value for m in mentions if m.label == "symptom"))

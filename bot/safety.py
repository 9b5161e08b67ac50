"""Safety checks that run before any answer: emergencies first, then requests for a diagnosis.

Deterministic on purpose. An intent from the NLU model can add to a decision (a confident
`report_emergency` with a warning sign), but a red flag buried in a long rambling message is
caught by these patterns alone, whatever the intent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Set, Tuple

from bot.nlp import Mention

# ------------------------------------------------------------------------------ red flags
# Warning signs, from the text and from the vocabulary's symptom mentions.
_SIGN_PATTERNS = {
    "crisis": r"carcinoid\s+(crisis|crises|attack|storm)|\bin (a )?crisis\b",
    "breathing": (
        r"can'?t breathe|cannot breathe|can not breathe|unable to breathe|not breathing|"
        r"(trouble|difficulty|struggling|struggle|hard|problems?) (to )?breath(e|ing)|"
        r"short(ness)? of breath|breathless|gasping|out of breath|choking|wheez\w+ badly|"
        r"(lips|face) (are |is |turning |going )?blue"
    ),
    "chest_pain": r"chest (pain|pains|hurts|hurting|is hurting|tightness|feels tight)|pain in (my|his|her|the) chest|tight chest|crushing",
    "heart": r"(heart|pulse) (is )?(racing|pounding|beating (really |very |so )?(fast|hard|irregular\w*))|palpitations|irregular heart\s?beat|racing heart|pounding heart",
    "sugar_low": r"(low|dropp\w+|crash\w*) (blood )?sugar|blood sugar (is |was |keeps )?(very |really |dangerously |extremely |so )?(low|dropp\w+)|hypo(glyc[a]?emi\w+)?\b|hypo\b",
    "sugar_high": r"high (blood )?sugar|blood sugar (is |keeps )?(very |really |dangerously |extremely |so )?high|hyperglyc[a]?emi\w+",
    "faint": r"faint(ed|ing)?\b|passed out|passing out|collaps\w+|unconscious|unresponsive|won'?t wake|fit\b|seizure",
    "confused": r"confus\w+|disorient\w+|not making sense|drowsy|shak(y|ing|iness)|trembl\w+|sweating (a lot|heavily|buckets)",
    "flushing": r"flush\w*|red face|face (is |has gone |went |turned )?(bright )?red",
    "dehydration": r"dehydrat\w+|can'?t keep (any )?(fluids|water|anything) down|not peeing|no urine|haven'?t (peed|urinated)",
    "severe_diarrhoea": r"(severe|constant|non-?stop|nonstop|won'?t stop|uncontrollable|watery|bad) diarrh\w+|diarrh\w+ (all day|won'?t stop|non-?stop|every (hour|few minutes))",
    "extreme": r"call(ed|ing)? (an |the )?ambulance|call(ed|ing)? 911|call(ed|ing)? 999|\b(911|999|112)\b|emergency room|\bA&E\b|dying|going to die",
}
_SIGNS = {name: re.compile(rx, re.IGNORECASE) for name, rx in _SIGN_PATTERNS.items()}
_SYMPTOM_SIGN = {
    "breathlessness": "breathing",
    "chest_pain": "chest_pain",
    "palpitations": "heart",
    "flushing": "flushing",
    "dehydration": "dehydration",
    "carcinoid_crisis": "crisis",
}

_PERSON = re.compile(
    r"\b(i|i'm|im|i've|ive|i'd|me|my|we|we're|our|us|he|he's|she|she's|his|her|him|they|they're|their|"
    r"mum|mom|mother|dad|father|husband|wife|partner|son|daughter|child|kid|baby|friend|brother|"
    r"sister|grandma|grandmother|grandad|granddad|grandpa|grandfather|aunt|uncle|patient|neighbou?r)\b",
    re.IGNORECASE,
)
_PRESENT = re.compile(
    r"\b(right now|now|currently|at the moment|this (morning|evening|afternoon)|tonight|today|"
    r"just (now|started)|started|starting|suddenly|won'?t stop|keeps?|getting worse|worse|"
    r"am having|is having|are having|i'?m having|having (a|an|really|very|bad|severe|trouble|difficulty)|"
    r"going into|can'?t|cannot|unable|struggling|help me|help!|please help|what do i do|what should i do now|urgent|"
    r"is (very|really|so|dangerously|extremely)|feel(s|ing)?|look(s|ing)? (grey|gray|blue|pale))\b",
    re.IGNORECASE,
)
_HYPOTHETICAL = re.compile(r"\b(if|when|whenever|in case|what happens if|would|could)\s", re.IGNORECASE)
_PAST = re.compile(
    r"\b(last (year|month|week|time|summer|winter|spring)|years? ago|months? ago|weeks? ago|in the past|"
    r"previously|history of|once had|used to|back in|had one before|after (his|her|my) (crisis|attack))\b",
    re.IGNORECASE,
)
# A sign named as a topic ("what is carcinoid crisis?", "can NETs cause chest pain?").
_TOPICAL_BEFORE = re.compile(
    r"(what is|what's|whats|what are|what does|what do|what causes|what happens|define|definition of|"
    r"explain|tell me about|meaning of|mean by|know about|learn about|read about|signs? of|symptoms? of|"
    r"prevent(ing)?|avoid(ing)?|risk of|chance of|cause|causes|lead to|leads to|result in|is there|"
    r"difference between|how (common|likely|often|serious|dangerous) is|how do (i|you|doctors) (know|treat|recognise|recognize)|"
    r"how is|how are|can (a |an )?(net|nets|tumou?rs?|insulinomas?|carcinoid syndrome|it)|could a|does a|do nets|"
    r"(is|are) (a |an )?)\s*(\w+\s+){0,4}$",
    re.IGNORECASE,
)
_TOPICAL_AFTER = re.compile(
    r"^\W*(\w+\W+){0,3}(a |one of the )?(symptom|sign|warning sign|side effect|complication)s?\b|^\W*(mean|means)\b",
    re.IGNORECASE,
)
_SEVERE = re.compile(r"\b(very|really|dangerously|extremely|so|super|severe|severely|badly|bad)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SafetyCheck:
    emergency: bool
    signs: Tuple[str, ...] = ()
    reason: str = ""


def _live_signs(text: str, mentions: Sequence[Mention]) -> Set[str]:
    """Warning signs described as happening (not asked about as a topic)."""
    signs: Set[str] = set()
    for name, pattern in _SIGNS.items():
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - 80) : match.start()]
            after = text[match.end() : match.end() + 40]
            clause_before = re.split(r"[.?!;\n]|\bbut\b|\band\b(?= (he|she|i|my|now))", before)[-1]
            if _TOPICAL_BEFORE.search(clause_before) and not _PERSON.search(clause_before):
                continue
            if _TOPICAL_AFTER.search(after):
                continue
            signs.add(name)
            break
    for mention in mentions:
        sign = _SYMPTOM_SIGN.get(mention.value)
        if sign and sign not in signs:
            before = text[max(0, mention.start - 80) : mention.start]
            clause_before = re.split(r"[.?!;\n]", before)[-1]
            after = text[mention.end : mention.end + 40]
            if not (_TOPICAL_BEFORE.search(clause_before) and not _PERSON.search(clause_before)) and not _TOPICAL_AFTER.search(after):
                signs.add(sign)
    return signs


def _happening_now(text: str) -> bool:
    """A person is described, and it is not only past or hypothetical."""
    if not _PERSON.search(text):
        return False
    present = bool(_PRESENT.search(text))
    if _PAST.search(text) and not present:
        return False
    if _HYPOTHETICAL.search(text) and not present:
        return False
    return True


def check_emergency(
    text: str,
    mentions: Sequence[Mention] = (),
    intent: Optional[str] = None,
    confidence: float = 0.0,
) -> SafetyCheck:
    """Is this message describing an emergency happening now?"""
    if not text:
        return SafetyCheck(False)
    signs = _live_signs(text, mentions)
    now = _happening_now(text)
    severe = bool(_SEVERE.search(text))
    rules: List[Tuple[bool, str]] = [
        ("extreme" in signs and (now or "crisis" in signs or "breathing" in signs), "explicit emergency"),
        ("crisis" in signs and now, "carcinoid crisis"),
        ("breathing" in signs and now, "trouble breathing"),
        ("chest_pain" in signs and now, "chest pain"),
        ("faint" in signs and now, "fainting or collapse"),
        (bool({"sugar_low", "sugar_high"} & signs) and now and (severe or bool({"confused", "faint"} & signs)), "very high or low blood sugar"),
        ("flushing" in signs and bool({"heart", "breathing"} & signs) and now, "flushing with breathing or heart symptoms"),
        ("heart" in signs and bool({"chest_pain", "breathing", "faint", "confused"} & signs) and now, "racing heart with other warning signs"),
        ("dehydration" in signs and now and (severe or "severe_diarrhoea" in signs or "faint" in signs or "confused" in signs), "severe dehydration"),
        ("severe_diarrhoea" in signs and now and bool({"dehydration", "faint", "confused"} & signs), "severe diarrhoea with dehydration"),
    ]
    for fired, reason in rules:
        if fired:
            return SafetyCheck(True, tuple(sorted(signs)), reason)
    # The NLU model's opinion counts when the text also shows a live warning sign.
    if intent == "report_emergency" and confidence >= 0.8 and signs - {"flushing"} and now:
        return SafetyCheck(True, tuple(sorted(signs)), "reported emergency")
    return SafetyCheck(False, tuple(sorted(signs)))


# ----------------------------------------------------------------------- diagnosis requests
_DIAGNOSIS = re.compile(
    r"\b(do|does|could|might|may|would) (i|he|she|we|they|you think (i|he|she|my \w+))\b[^.?!]{0,40}\b(have|has|got|be)\b|"
    r"\b(could|might|may|would|can) (this|these|that|it|they|those|my \w+|his \w+|her \w+) (be|mean|indicate|suggest)\b|"
    r"\bam i (having|getting|suffering|likely|at risk)|\bam i\b[^.?!]{0,30}\b(net|cancer|tumou?r|carcinoid|syndrome)|"
    r"\b(is|are) (it|this|these|that|my|his|her|mum'?s|mom'?s|dad'?s)\b[^.?!]{0,40}\b(net|nets|cancer|cancerous|tumou?r|carcinoid|syndrome|insulinoma|gastrinoma|sign|signs|symptom|symptoms|serious|normal|ibs)\b|"
    r"\b(have|has) (i|he|she|my \w+) got\b|\bdiagnos(e|is) (me|my|him|her)\b|\bcan you diagnose\b|"
    r"\bshould (i|we) (be )?(worried|concerned|scared)|\bdo i need to worry|"
    r"\b(i|he|she|my \w+) (think|thinks|fear|fears|worry|worried|suspect|suspects)\b[^.?!]{0,30}\b(have|has|got)\b|"
    r"\bwhat('s| is) wrong with (me|him|her|my)\b|\bdoes (this|that) sound like\b|\bsounds? like (a |an )?(net|carcinoid|cancer)",
    re.IGNORECASE,
)
_PERSONAL_HEALTH = re.compile(r"\b(i|i'm|i've|me|my|he|she|his|her|mum|mom|dad|husband|wife|son|daughter|partner|friend)\b", re.IGNORECASE)


def is_diagnosis_request(text: str, intent: Optional[str] = None, confidence: float = 0.0) -> bool:
    """Does the person ask whether they (or someone) have a condition?"""
    if not text:
        return False
    if _DIAGNOSIS.search(text) and _PERSONAL_HEALTH.search(text):
        return True
    return intent == "ask_diagnose_me" and confidence >= 0.6 and bool(_PERSONAL_HEALTH.search(text))


def symptoms_named(mentions: Iterable[Mention]) -> List[str]:
    return list(dict.fromkeys(m.value for m in mentions if m.label == "symptom"))

"""Decide and compose the bot's reply to one user turn.

Order of checks, safest first:
  1. empty or unreadable input -> a friendly request to type a question
  2. the act, before any topic (bot/acts.py's classifier with the rules of bot/safety.py,
     `safety.decide_act`): an emergency described as happening now -> urgent-care advice first
  3. "do I / does my mum have ...?" -> never a diagnosis; off-topic -> the out-of-scope reply;
     a diagnosis shared as context -> one kind sentence, then the answer to the question
  "where does it say that?" (intent ask_source) -> the quoted passages behind the last answer
  4. small talk, region, out of scope
  5. things the sources do not cover (medicines, doses, survival figures ...) -> said plainly
  6. a knowledge-base answer for (question kind x subject), or the honest fallback
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from bot import acts, answers, compound, entry_classifier, follow_ups, languages, referral, safety
from bot.answers import Reply
from bot.config import settings
from bot.knowledge import QUESTION_KINDS, ROUTING_LABELS, STICKY_LABELS, KnowledgeBase, Resolution, get_knowledge_base
from bot.nlp import Mention, analyse, normalise_value, words_outside
from bot.retrieval import get_retriever

SMALL_TALK = {
    "greet": "greet",
    "goodbye": "goodbye",
    "thanks": "thanks",
    "bot_challenge": "bot_challenge",
    "ask_capabilities": "capabilities",
}
# Labels that name what a question is about (not symptoms, places or regions).
TOPIC_LABELS = ("net_type", "condition", "hormone", "concept")
# A message of at most settings().bare_topic_words words that names one topic and nothing else
# asks what the topic is.
_ASKING_WORDS = frozenset(
    "what what's whats is are a an the about tell me more info information on re and so explain define definition "
    "meaning of mean means pls please hi hello ok okay um hmm eh".split()
)
# A short follow-up (settings().follow_up_words) points back at the subject in context ("what are
# its symptoms?"), with its kind taken at settings().follow_up_min_confidence.
# What a guess of "diagnose me" or "emergency" asks once safety has found it is neither.
GENERAL_READING = {"ask_diagnose_me": "ask_symptoms", "report_emergency": "ask_definition"}
_POINTER = re.compile(r"\b(it|its|it's|they|them|their|this|that|these|those)\b", re.IGNORECASE)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass
class Turn:
    """What the action server knows about the latest user message."""

    text: str = ""
    intent: Optional[str] = None
    confidence: float = 0.0
    entities: Sequence[Mapping[str, Any]] = ()
    context_subject: Optional[str] = None
    region: Optional[str] = None
    region_asked: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # The NLU's ranked guesses [(intent, confidence)], best first (before any fallback).
    ranking: Sequence[tuple] = ()
    # What the message does, from the NLU's act classifier (parse key `act`, see bot/acts.py);
    # None: bot/ classifies the text itself.
    act: Optional[Mapping[str, Any]] = None
    # The evidence keys of the last answer (slot `last_entry`), for "where does it say that?".
    last_entry: Optional[str] = None
    # Whether the bot has not yet replied in this conversation: the first reply carries the full
    # disclaimer and referral, later ones a compact line each (`closing_for`).
    first_reply: bool = True

    @classmethod
    def from_parse(cls, message: Mapping[str, Any], **state: Any) -> Turn:
        """A turn from Rasa's parse of a message (text, intent, entities, intent_ranking) and
        what the conversation already knows (`state`: context_subject, region, metadata ...)."""
        intent = message.get("intent") or {}
        return cls(
            text=message.get("text") or "",
            intent=intent.get("name"),
            confidence=float(intent.get("confidence") or 0.0),
            entities=message.get("entities") or [],
            ranking=[
                (str(item.get("name")), float(item.get("confidence") or 0.0))
                for item in message.get("intent_ranking") or []
                if isinstance(item, Mapping)
            ],
            act=message.get("act") if isinstance(message.get("act"), Mapping) else None,
            **state,
        )


def clean_text(raw: Any, limit: int) -> tuple[str, bool]:
    """Printable, normalised text of at most `limit` characters; and whether it was cut."""
    if not isinstance(raw, str):
        return "", False
    text = unicodedata.normalize("NFC", raw)
    text = _CONTROL.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > limit:
        return text[:limit], True
    return text, False


def _subjects_from(turn: Turn, mentions: Sequence[Mention], kb: KnowledgeBase) -> List[Mention]:
    """Subjects from the NLU entities (incl. button payloads) and from our own vocabulary."""
    found: List[Mention] = []
    for entity in turn.entities or ():
        if not isinstance(entity, Mapping):
            continue
        value = normalise_value(entity.get("value"), kb)
        if value:
            subject = kb.subjects[value]
            found.append(Mention(subject.label, value, str(entity.get("value")), -1, -1))
    known = {m.value for m in found}
    found.extend(m for m in mentions if m.value not in known and m.value in kb.subjects)
    return found


def respond(turn: Turn, kb: Optional[KnowledgeBase] = None) -> Reply:
    kb = kb or get_knowledge_base()
    config = settings()
    text, truncated = clean_text(turn.text, config.max_message_chars)
    is_payload = text.startswith("/")
    lemmas_, mentions = analyse(text) if text and not is_payload else ([], [])
    subjects = _subjects_from(turn, mentions, kb)
    named_region = referral.region_from_values(m.value for m in subjects if m.label == "region")
    region = (
        named_region
        or referral.normalise_region(turn.region)
        or referral.region_from_metadata(turn.metadata)
        or referral.normalise_region(config.default_region)
    )
    slots: Dict[str, Optional[str]] = {}
    if region and region != turn.region:
        slots["region"] = region

    reply = _decide(turn, text, truncated, mentions, subjects, region, named_region, kb, slots)
    reply.closing = closing_for(kb, reply.kind, region, turn.first_reply)
    if reply.entry and answers.LAST_ENTRY_SLOT not in reply.slots:
        # Any reply an entry answered: "where does it say that?" shows that entry's passages.
        slots[answers.LAST_ENTRY_SLOT] = reply.entry
    reply.slots.update(slots)
    return reply


# Replies that keep the full closing whenever they are sent: the urgent-care advice, the
# no-diagnosis reply, the apology for a failure, and the reply to another language (it carries the
# emergency numbers).
FULL_CLOSING_KINDS = frozenset({"emergency", "diagnosis", "error", "other_language"})


def closing_for(kb: KnowledgeBase, kind: str, region: Optional[str], first_reply: bool) -> str:
    """The closing of a reply: in full on the first reply of a conversation and on the replies
    where safety matters most, compact (one short line each) on the others."""
    return answers.closing(kb, region, compact=not first_reply and kind not in FULL_CLOSING_KINDS)


def _decide(
    turn: Turn,
    text: str,
    truncated: bool,
    mentions: Sequence[Mention],
    subjects: Sequence[Mention],
    region: Optional[str],
    named_region: Optional[str],
    kb: KnowledgeBase,
    slots: Dict[str, Optional[str]],
) -> Reply:
    intent = turn.intent or None
    confidence = float(turn.confidence or 0.0)
    lead = [kb.messages["too_long"]] if truncated else []

    if not text and not turn.entities:
        return answers.message_reply(kb, "empty", region, "empty", buttons=answers.starter_buttons(kb))

    # Written in another language (bot/languages.py): say, in that language, that the bot answers
    # in English only, with the emergency numbers; a clear English question is answered as usual.
    # An emergency described in another language ("ma mère ne se réveille pas") still gets the
    # urgent-care reply first, by the warning signs alone (data/safety/other_languages/: a file of
    # words per language; the English-trained classifiers are not asked) or because it asks in English what
    # to do now (data/safety/pleas.yml); then the other-language note with the emergency numbers.
    # A request for a diagnosis in another language gets, in that language, that the bot cannot
    # tell (data/safety/other_languages/ `diagnosis_request`), then the same note.
    detection = languages.detect_other(text, mentions)
    if detection is not None:
        if safety.check_emergency(text, mentions).emergency or safety.asks_for_help_in_english(text):
            reply = _emergency_reply(kb, region, None)
            reply.body = f"{reply.body}\n{languages.reply_for(kb, detection, region).body}"
            return reply
        return languages.reply_for(kb, detection, region, diagnosis=safety.asks_for_diagnosis_in_other_language(text))

    # The act first, before any topic: the act classifier (bot/acts.py) with the rules.
    # In a conversation about a NET subject or right after an answer ("how long?" follows it).
    after_answer = follow_ups.last_entry(kb, turn.last_entry) is not None
    in_context = _context(turn, kb) is not None or after_answer
    # Only after an entry's answer: right after the urgent-care reply the usual threshold holds.
    follow_up = after_answer and follow_ups.is_elliptical(text)
    short_after_answer = after_answer and len(text.split()) <= settings().follow_up_words
    decision = safety.decide_act(
        text,
        mentions,
        intent,
        confidence,
        _act_scores(turn, text),
        subjects,
        in_context,
        follow_up=follow_up,
        after_answer=short_after_answer,
    )
    # "Which foods exactly?", "how long have I got", "thank you. whom may I telephone?" right after
    # an answer: the NLU often reads such a fragment as feedback, small talk or out of scope. A turn
    # that asks something, right after an answer, gets the knowledge-base answer when one is found
    # (or the plain "my sources don't cover" when it asks about a subject they do not cover).
    continues = (
        after_answer
        and (intent in answers.FEEDBACK_INTENTS or intent in _CONTINUED_INTENTS)
        and _asks_something(text)
        and (any(m.label == "uncovered" for m in subjects) or _asked(turn, text, mentions, subjects, kb)[1] is not None)
    )

    # 2. Emergencies, whatever else the message says.
    if decision.act == acts.EMERGENCY:
        return _emergency_reply(kb, region, _asked(turn, text, mentions, subjects, kb)[1] if _clear_question(turn) else None)

    # 3. Never diagnose; but a general question asked alongside ("I think I have a NET, who do I
    # see first?") still gets its general answer after the no-diagnosis sentence.
    if decision.act == acts.DIAGNOSIS_REQUEST:
        asked = _asked(turn, text, mentions, subjects, kb)
        return _diagnosis_reply(kb, text, subjects, region, asked, about_known=decision.about_known)

    # "Where does it say that?": the quoted passages behind the last answer.
    # ("What's that one called?" asks for a name, not the source.)
    if intent == "ask_source" and confidence >= config_min(kb) and _asks_for_source(text):
        keys = (turn.last_entry or "").split()
        return answers.source_reply(kb, [k for k in keys if _evidence_key(kb, k)], region)

    # "How up to date is this?": when the last answer (or, with none, every answer) was last
    # checked, by whom, when it is due again and the sources' own dates (bot/content.py).
    if intent == "ask_review_date" and confidence >= config_min(kb):
        from bot.content import review_reply  # loaded only when asked: reviews.yml is not needed to answer

        return review_reply(kb, (turn.last_entry or "").split(), region)

    # "Helpful" / "Not helpful" on the last answer: thanks (and, when it did not help, the starter
    # suggestions), never a second medical answer.
    if intent in answers.FEEDBACK_INTENTS and (text.startswith("/") or (_is_brief_feedback(text, subjects) and not continues)):
        return _feedback_reply(kb, turn, answers.FEEDBACK_INTENTS[intent], region)

    # Words the bot does not know, about nothing it knows: the honest "not sure", no guess.
    if decision.unclear:
        parts = list(lead) + [kb.messages["fallback"], kb.messages["fallback_examples"]]
        return answers.finish(kb, parts, kind="fallback", region=region, buttons=answers.starter_buttons(kb))
    # Not about NETs at all (a pet, a film, an unrelated injury): never a medical entry.
    if decision.act == acts.OFF_TOPIC:
        return answers.message_reply(kb, "out_of_scope", region, "out_of_scope", buttons=answers.starter_buttons(kb))
    # A diagnosis shared as context ("my dad was diagnosed with a pancreatic NET last year, what
    # symptoms ...?"): the answer to the question asked, about what the question names, with one
    # kind sentence first.
    if decision.act == acts.SHARED_DIAGNOSIS or (decision.act == acts.QUESTION and safety.states_diagnosis(text)):
        lead = lead + [kb.messages["shared_diagnosis"]]
        subjects = _asked_subjects(turn, text, mentions, subjects, kb)

    # 4. Small talk, region, out of scope.
    if intent in SMALL_TALK and confidence >= config_min(kb) and not _has_topic(subjects) and not continues:
        key = SMALL_TALK[intent]
        buttons = answers.starter_buttons(kb) if key in ("greet", "capabilities") else []
        return answers.message_reply(kb, key, region, "smalltalk", buttons=buttons)
    if intent == "inform_region" or (
        named_region and not _has_topic(subjects) and intent not in QUESTION_KINDS and intent != "out_of_scope"
    ):
        if region:
            slots["region"] = region
            return answers.finish(
                kb,
                [kb.messages["region_thanks"].format(region=referral.region_title(kb, region))],
                kind="region",
                region=region,
            )
    other = [m for m in subjects if m.label == "other_condition"]
    if (intent == "out_of_scope" and confidence >= config_min(kb) and not _has_topic(subjects) and not continues) or (
        other and not _has_topic(subjects)
    ):
        return answers.message_reply(kb, "out_of_scope", region, "out_of_scope", buttons=answers.starter_buttons(kb))

    # 5 and 6. Knowledge-base answers.
    question, resolution = _asked(turn, text, mentions, subjects, kb)
    uncovered = [m for m in subjects if m.label == "uncovered"]
    if uncovered:
        related = _related_for_uncovered(kb, question, resolution, uncovered)
        return _uncovered_reply(kb, uncovered, related, region, lead, slots)
    if resolution is None:
        return _fallback_reply(kb, text, region, lead)
    sticky = [m.value for m in subjects if m.label in STICKY_LABELS]
    if sticky:
        slots["subject"] = resolution.asked_subject if resolution.asked_subject in sticky else sticky[0]
    # Two questions in one message: each part's own answer (bot/compound.py).
    both = None if follow_ups.picks(text) else compound.answers(kb, text, subjects, _context(turn, kb), resolution, confidence)
    if both is not None:
        resolution = both[0]
    reply = answers.answer_reply(kb, resolution, region, lead, also=both[1] if both else None)
    if question == "find_specialist" and not region and not turn.region_asked:
        # The region choices, and still "Show the source" for the answer above them.
        reply.buttons = answers.region_buttons() + [answers.source_button(kb)]
        reply.body = f"{reply.body}\n{kb.messages['region_ask']}"
        slots["region_asked"] = "true"
    return reply


# "Where does it say that?" names where, a source, a saying or a proof; "when was that?" does not.
_SOURCE_WORDS = re.compile(
    r"\b(?:where|wheres|source|sources|say|says|said|saying|written|write|wrote|evidence|proof|prove|quote|cite|"
    r"citation|reference|references|link|read|found|find|according|check|trust|back (?:that|this|it) up|know|knows|"
    r"passage|page|original|text|show)\b|^/",
    re.IGNORECASE,
)


# What the NLU reads into a short question right after an answer more often than it is meant.
_CONTINUED_INTENTS = frozenset({"greet", "goodbye", "thanks", "out_of_scope"})
# A turn that asks something: a question mark, or a question word opening one of its clauses.
_ASKS = re.compile(
    r"\?|(?:^|[.,;!]\s*|\b(?:and|but|so|then|ok|okay)\s+)(?:what|whats|what's|wat|which|how|hw|why|y|when|where|who|whom|"
    r"can|could|cn|is|are|am|does|do|did|will|would|should|shud|may|might|tell me)\b",
    re.IGNORECASE,
)


def _asks_something(text: str) -> bool:
    return bool(_ASKS.search(text))


def _is_brief_feedback(text: str, subjects: Sequence[Mention]) -> bool:
    """A typed "not helpful" (or a button title sent back as text, Telegram's long payloads) is
    feedback; a longer message that happens to say so ("the octreotide wasn't helpful, what
    else ...?") is a question."""
    return len(text.split()) <= settings().feedback_max_words and not _has_topic(subjects)


def _feedback_reply(kb: KnowledgeBase, turn: Turn, choice: str, region: Optional[str]) -> Reply:
    """Thanks for the feedback; the choice and the entry it rates are recorded in the
    conversation by the `feedback` slot's SlotSet event ("<choice> <entry key>")."""
    rated = next(
        (str(e.get("value")) for e in turn.entities if e.get("entity") == answers.FEEDBACK_ENTITY and e.get("value")),
        None,
    )
    rated = rated or next(iter((turn.last_entry or "").split()), None)
    if choice == "helpful":
        reply = answers.message_reply(kb, "feedback_thanks", region, "feedback")
    else:
        reply = answers.message_reply(kb, "feedback_sorry", region, "feedback", buttons=answers.starter_buttons(kb))
    reply.slots[answers.FEEDBACK_SLOT] = f"{choice} {rated or 'unknown'}"
    return reply


def _asks_for_source(text: str) -> bool:
    """ "Where does it say that?", not "what's that one called?" or "when was that?"."""
    return bool(_SOURCE_WORDS.search(text)) and not follow_ups.picks(text)


def _context(turn: Turn, kb: KnowledgeBase) -> Optional[str]:
    """The conversation's subject (slot `subject`), when the knowledge base knows it."""
    return turn.context_subject if turn.context_subject in kb.subjects else None


def _asked(
    turn: Turn, text: str, mentions: Sequence[Mention], subjects: Sequence[Mention], kb: KnowledgeBase
) -> Tuple[Optional[str], Optional[Resolution]]:
    """The question kind asked and the entry (or variant) that answers it, if any."""
    intent = turn.intent or None
    confidence = float(turn.confidence or 0.0)
    question = intent if intent in QUESTION_KINDS and confidence >= config_min(kb) else None
    routing = [m.value for m in subjects if m.label in ROUTING_LABELS]
    topics = [m for m in subjects if m.label in TOPIC_LABELS]
    context = _context(turn, kb)
    # (No intent at all, a turn built without the NLU, has no guess to doubt.)
    kind_sure = intent is None or (question is not None and confidence >= settings().follow_up_kind_confidence)
    followed = follow_ups.follow_up(kb, text, subjects, turn.last_entry, routing, bool(topics), question, kind_sure)
    if followed is not None:
        return followed
    if question is None and len(topics) == 1 and _is_bare_topic(text, mentions):
        # "carcinoid syndrome?" or "insulinoma": a bare topic asks what it is.
        question = "ask_definition"
    if question is None:
        question = _follow_up_kind(turn, text, routing)
    mass = _entry_mass(kb, turn, routing, context)
    if question is None:
        question = _likeliest_kind(mass)
    route = kb.resolve(question, routing, context) if question else None
    if any(m.label == "uncovered" for m in subjects):
        # The uncovered reply follows; what it offers instead is the route's answer to the kind asked.
        return question, route
    after_answer = follow_ups.last_entry(kb, turn.last_entry) is not None
    return _weighed(kb, text, routing, context, question, route, mass, after_answer)


def _weighed(
    kb: KnowledgeBase,
    text: str,
    routing: Sequence[str],
    context: Optional[str],
    question: Optional[str],
    route: Optional[Resolution],
    mass: Dict[str, Tuple[float, str]],
    after_answer: bool = False,
) -> Tuple[Optional[str], Optional[Resolution]]:
    """The route's answer weighed against the entry model's (bot/entry_classifier.py).

        Each entry scores `entry_route_weight` x the NLU confidence of the kinds whose route leads
        to it (1 for the route's own pick when a rule, not the NLU, chose its kind: a bare topic, a
        follow-up) plus the rest x the entry model's probability. On the blind banks the model was
        right far more often than the route where they disagreed (results/entry-model.md). With no
        route answer, the model's pick must reach `entry_model_min` (`entry_model_min_follow_up` in a
        short turn right after an answer), in a message of mostly words it knows
    (`entry_model_known_words`); otherwise the honest fallback."""
    # Two questions in one message: each part is answered on its own (bot/compound.py).
    if not text or text.startswith("/") or compound.asks_two(text):
        return question, route
    # A question that names no subject of its own is about the conversation's ("how is it
    # treated?" after VIP): the model reads it with that subject's name after it, as if it had
    # been named ("what brings it on?" after carcinoid syndrome asks what triggers the syndrome).
    read = text if context is None or routing else f"{text} ({kb.subjects[context].title})"
    config = settings()
    weight = config.entry_route_weight
    scores = {key: weight * share for key, (share, _) in mass.items()}
    if route is not None and route.key not in mass:
        scores[route.key] = weight
    # The words alone and the words with the subject count half each: with the subject's name
    # only, the entry that defines the subject would outweigh the question asked about it.
    readings = [text] if read == text else [text, read]
    for reading in readings:
        for guess in entry_classifier.ranking(reading):
            scores[guess.key] = scores.get(guess.key, 0.0) + (1.0 - weight) * guess.probability / len(readings)
    if not scores:
        return question, route
    best = max(scores, key=lambda key: scores[key])
    if route is not None and best == route.key:
        return question, route
    follows = after_answer and len(text.split()) <= config.follow_up_pick_words
    bar = config.entry_model_min_follow_up if follows else config.entry_model_min
    if route is None and (scores[best] < bar or entry_classifier.known_share(read) < config.entry_model_known_words):
        return question, None
    if best in mass:  # a kind leads there: its route keeps what was asked about
        kind = mass[best][1]
        return kind, kb.resolve(kind, routing, context)
    chosen = kb.resolution_for(best)
    return (follow_ups.primary_kind(chosen.entry) if chosen else question), chosen


def _is_bare_topic(text: str, mentions: Sequence[Mention]) -> bool:
    """Short, and nothing but the topic and words that ask what it is ("what about VIPomas?");
    "are NETs fatal" asks something else about the topic."""
    if len(text.split()) > settings().bare_topic_words:
        return False
    return all(word in _ASKING_WORDS for word in words_outside(text, mentions))


def _follow_up_kind(turn: Turn, text: str, routing: Sequence[str]) -> Optional[str]:
    """The question kind of a short follow-up about the subject in context, when the NLU's best
    guess is a question kind it was only moderately sure of ("what are its symptoms?")."""
    config = settings()
    if routing or not turn.context_subject or len(text.split()) > config.follow_up_words or not _POINTER.search(text):
        return None
    for name, confidence in turn.ranking:
        if name == "nlu_fallback":
            continue
        if name in QUESTION_KINDS and float(confidence) >= config.follow_up_min_confidence:
            return str(name)
        return None
    return None


def _entry_mass(kb: KnowledgeBase, turn: Turn, routing: Sequence[str], context: Optional[str]) -> Dict[str, Tuple[float, str]]:
    """Each entry the NLU's question kinds lead to (about the named subject), with the summed
    confidence of those kinds and the most confident of them.

    Several question kinds about the named subject often lead to the same entry ("is tryptophan
    bad?", "what is tryptophan?" and "foods with tryptophan" all reach the self-care entry)."""
    mass: Dict[str, Tuple[float, str]] = {}
    for guess, confidence in turn.ranking:
        # Safety has already ruled out a diagnosis request and an emergency happening now, so
        # what is left of those guesses is a general question about symptoms or the condition.
        name = GENERAL_READING.get(str(guess), str(guess))
        if name not in QUESTION_KINDS:
            continue
        found = kb.resolve(name, routing, context)
        if found is None:
            continue
        share, kind = mass.get(found.key, (0.0, name))
        mass[found.key] = (share + float(confidence), kind)
    return mass


def _likeliest_kind(mass: Dict[str, Tuple[float, str]]) -> Optional[str]:
    """When no single question kind is sure enough: the most confident kind leading to the entry
    with the most NLU confidence, when that reaches `min_entry_confidence` (bot/config.py), else
    None (then the entry model alone, or the honest fallback)."""
    if not mass:
        return None
    best = max(mass, key=lambda key: mass[key][0])
    return mass[best][1] if mass[best][0] >= settings().min_entry_confidence else None


def config_min(kb: KnowledgeBase) -> float:
    return settings().min_intent_confidence


def _has_topic(subjects: Sequence[Mention]) -> bool:
    return any(m.label in TOPIC_LABELS for m in subjects)


_DEMONSTRATIVE = re.compile(r"\b(?:that|this)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


def _asked_subjects(
    turn: Turn, text: str, mentions: Sequence[Mention], subjects: Sequence[Mention], kb: KnowledgeBase
) -> Sequence[Mention]:
    """After a shared diagnosis, the subjects of the question itself (its last question sentence)
    when it names a topic: "I was diagnosed with a NET in my small intestine. What actually is a
    neuroendocrine tumour?" asks what a NET is. Otherwise the subjects of the whole message."""
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text) if m.end() < len(text.rstrip())]
    if len(starts) < 2:
        return subjects
    questions = [start for start in starts if "?" in text[start : _next_end(text, start)]]
    start = questions[-1] if questions else starts[-1]
    if start == 0:
        return subjects
    asked = _subjects_from(
        replace(
            turn, entities=[e for e in turn.entities or () if isinstance(e, Mapping) and int(e.get("start", -1) or -1) >= start]
        ),
        [m for m in mentions if m.start >= start],
        kb,
    )
    if _has_topic(asked):
        return asked
    if _DEMONSTRATIVE.search(text[start:]):
        # ("... is metastatic now. What does that mean?" asks about what the story said.)
        return subjects
    # The question names no topic ("My father's NET is stage 4. What's the outlook?"): it asks
    # about the diagnosis itself, not about what the story says of it (its stage, grade, spread).
    return [m for m in subjects if m.label not in ("concept", "symptom") or m in asked]


def _next_end(text: str, start: int) -> int:
    found = _SENTENCE_END.search(text, start)
    return found.end() if found else len(text)


def _act_scores(turn: Turn, text: str) -> Optional[acts.ActResult]:
    """The act classifier's scores: from the parse when the NLU pipeline put them there, else
    from the text (tests, an older model). None for a button payload ("/ask_symptoms{...}")."""
    if not text or text.startswith("/"):
        return None
    from_parse = acts.ActResult.from_dict(turn.act)
    return from_parse if from_parse is not None else acts.classify(text)


def _clear_question(turn: Turn) -> bool:
    """The NLU is sure the message asks a knowledge-base question (not "report an emergency")."""
    return turn.intent in QUESTION_KINDS and float(turn.confidence or 0.0) >= settings().emergency_answer_min_confidence


def _emergency_reply(kb: KnowledgeBase, region: Optional[str], resolution: Optional[Resolution]) -> Reply:
    """Urgent-care advice first. When the message also asks a clear question ("I'm breathless
    and have carcinoid syndrome, could it be my heart?"), the general answer follows, said to be
    for when it is not happening now: a look-alike taken for an emergency still gets its answer
    (`resolution`: the entry answering that question, if any)."""
    parts = [referral.emergency_text(kb, region), str(kb.contacts["emergency"]["note"])]
    sources = ["ipsen-2019", "netday-article"]
    keys = ["emergency.intro", "emergency.note"]
    if resolution is not None:
        parts.append(f"{kb.messages['emergency_asked']} {resolution.answer}")
        sources.extend(resolution.sources)
        keys.append(resolution.key)
    reply = answers.finish(kb, parts, kind="emergency", region=region, sources=sources)
    reply.slots[answers.LAST_ENTRY_SLOT] = " ".join(keys)
    return reply


# What a verdict on a known diagnosis asks about (bot/safety.py `about_known`): its grade or stage,
# or whether it has spread (subjects.yml values).
_KNOWN_DIAGNOSIS_TOPICS = (
    ("grading", re.compile(r"\b(?:grade|graded|stage|staged)\b", re.IGNORECASE)),
    ("metastasis", re.compile(r"\b(?:spread\w*|metasta\w*|come back|came back|returned|grown)\b", re.IGNORECASE)),
)


def _diagnosis_reply(
    kb: KnowledgeBase,
    text: str,
    subjects: Sequence[Mention],
    region: Optional[str],
    asked: Tuple[Optional[str], Optional[Resolution]] = (None, None),
    about_known: bool = False,
) -> Reply:
    """The no-diagnosis sentence, then general information: the answer to a general question
    asked alongside the request (`asked`: kind and resolution), else what the sources say about
    the symptoms named. `about_known`: the person's NET is already diagnosed and they ask how it
    is going (spread, grade): said so, never "I can't tell whether you have a NET"."""
    parts = [kb.messages["diagnose_known" if about_known else "diagnose_me"]]
    sources = ["ipsen-2019", "cruk-2025"]
    named = [m.value for m in subjects if m.label in ("symptom", "condition", "net_type")]
    resolution: Optional[Resolution] = None
    if named:
        resolution = kb.resolve("ask_symptoms", named)
    if resolution is None:
        resolution = kb.resolve("ask_symptoms", ["net"])
    question, answer = asked
    # "Is it cancer?" after symptoms asks for the verdict itself: the symptoms answer, not that one.
    heading = "diagnose_me_symptoms"
    if (
        answer is not None
        and question not in ("ask_symptoms", "ask_is_cancer")
        and (resolution is None or answer.key != resolution.key)
    ):
        resolution, heading = answer, "diagnose_me_asked"
    elif about_known:
        # "Has mine spread?" names no symptoms: what the sources say about what was asked.
        topic = next((subject for subject, words in _KNOWN_DIAGNOSIS_TOPICS if words.search(text)), None)
        general = kb.resolve("ask_definition", [topic]) if topic else None
        if general is not None:
            resolution, heading = general, "diagnose_me_asked"
    if resolution is not None:
        parts.append(f"{kb.messages[heading]} {resolution.answer}")
        sources.extend(resolution.sources)
    reply = answers.finish(
        kb,
        parts,
        kind="diagnosis",
        region=region,
        sources=sources,
        buttons=[answers.button_for(kb, "diagnosis_first_steps"), answers.source_button(kb)],
    )
    # (The sentence about a known diagnosis states no medical fact: it has no evidence to show.)
    lead = [] if about_known else ["diagnose_me"]
    reply.slots[answers.LAST_ENTRY_SLOT] = " ".join(lead + ([resolution.key] if resolution else []))
    return reply


def _evidence_key(kb: KnowledgeBase, key: str) -> bool:
    """Whether `key` (from the slot, so from outside) names a text the bot answers with."""
    entry, _, variant = key.partition(":")
    if entry in kb.entries:
        return not variant or variant in kb.entries[entry].variants
    return key in ("diagnose_me", "emergency.intro", "emergency.note")


def _related_for_uncovered(
    kb: KnowledgeBase, question: Optional[str], resolution: Optional[Resolution], uncovered: Sequence[Mention] = ()
) -> Optional[Resolution]:
    """What to offer as "related" when the sources don't cover the question (safety: never an
    unrelated entry). An uncovered subject with a `parent` in subjects.yml names what is related
    (Ki-67 values -> grade and stage). An entry reached only through a catch-all route for a named
    subject (e.g. "carcinoid" -> the history of the name) is not related to a question about
    medicines; then the general entry for the question kind (treatment, outlook ...) is offered,
    or nothing."""
    parents = [kb.subjects[m.value].parent for m in uncovered if kb.subjects[m.value].parent]
    if parents:
        return kb.resolve(question or "ask_definition", [p for p in parents if p])
    if question is None:
        return None
    if resolution is not None and any(
        question in route.kinds and route.subject == resolution.answered_subject for route in resolution.entry.routes
    ):
        return resolution
    return kb.resolve(question, [])


def _uncovered_reply(
    kb: KnowledgeBase,
    uncovered: Sequence[Mention],
    resolution: Optional[Resolution],
    region: Optional[str],
    lead: Sequence[str],
    slots: Dict[str, Optional[str]],
) -> Reply:
    what = " or ".join(dict.fromkeys(kb.subjects[m.value].title for m in uncovered))
    parts = list(lead) + [kb.messages["uncovered"].format(what=what)]
    sources: List[str] = []
    buttons: List[answers.Button] = []
    entry = None
    if resolution is not None:
        parts.append(f"{kb.messages['uncovered_related']} {resolution.answer}")
        sources.extend(resolution.sources)
        buttons = answers.answer_buttons(kb, resolution)
        entry = resolution.key
    return answers.finish(kb, parts, kind="uncovered", region=region, sources=sources, buttons=buttons, entry=entry)


def _fallback_reply(kb: KnowledgeBase, text: str, region: Optional[str], lead: Sequence[str]) -> Reply:
    """Not sure what was asked: answer only when retrieval is confident, else suggest."""
    config = settings()
    hits = get_retriever().search(text) if text and not text.startswith("/") else []
    if hits and hits[0].score >= config.retrieval_direct_threshold:
        top = hits[0]
        entry = kb.entries[top.entry]
        variant = entry.variants.get(top.variant) if top.variant else None
        resolution = Resolution(entry, variant, top.variant, top.variant, True)
        reply = answers.answer_reply(kb, resolution, region, lead)
        reply.kind = "retrieval"
        return reply
    suggestions = [h for h in hits if h.score >= config.retrieval_suggest_threshold]
    parts = list(lead) + [kb.messages["fallback"]]
    if suggestions:
        parts.append(kb.messages["fallback_suggest"])
        buttons = [answers.button_for(kb, h.entry, h.variant) for h in suggestions]
    else:
        parts.append(kb.messages["fallback_examples"])
        buttons = answers.starter_buttons(kb)
    return answers.finish(kb, parts, kind="fallback", region=region, buttons=buttons)


def error_reply(region: Optional[str] = None, kb: Optional[KnowledgeBase] = None) -> Reply:
    """What the user gets when something failed inside the bot (the channels' apology too)."""
    kb = kb or get_knowledge_base()
    return answers.fixed_reply(kb, "error", region, "error", compact=False)


def restart_reply(region: Optional[str] = None, kb: Optional[KnowledgeBase] = None) -> Reply:
    """What the user gets after typing /restart (the conversation is forgotten)."""
    kb = kb or get_knowledge_base()
    return answers.message_reply(kb, "restart", region, "restart", buttons=answers.starter_buttons(kb))


def command_reply(command: str, region: Optional[str] = None, kb: Optional[KnowledgeBase] = None) -> Reply:
    """What the user gets after typing a Rasa command that has no answer of its own
    (/back, /session_start): what it did, with the starter suggestions."""
    kb = kb or get_knowledge_base()
    return answers.message_reply(kb, f"command_{command}", region, "command", buttons=answers.starter_buttons(kb))

"""Compose replies: body, "Source:" line, disclaimer and specialist referral, plus follow-ups.

Every reply the bot sends is built by `finish`, so every reply ends with the disclaimer and a
referral; medical replies also name their sources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Protocol, Sequence, Tuple

from bot.knowledge import KnowledgeBase, Resolution
from bot.referral import referral_text
from bot.shaping import QUOTE_MARK, REPLY_KEY, plain_quotes

if TYPE_CHECKING:
    from bot.evidence import Evidence

MAX_BUTTONS = 6
MAX_RELATED = 3
# The button after an answer that asks where it comes from (intent ask_source, data/nlu/ask_source.yml).
SOURCE_PAYLOAD = "/ask_source"
# The slot that remembers the evidence keys of the last answer (domain.yml), for that question.
LAST_ENTRY_SLOT = "last_entry"
# Feedback on an answer: the intents its buttons send (with the entry rated as entity
# FEEDBACK_ENTITY), and the slot whose SlotSet event records the choice in the conversation.
FEEDBACK_INTENTS = {"feedback_helpful": "helpful", "feedback_not_helpful": "not_helpful"}
FEEDBACK_ENTITY = "rated_entry"
FEEDBACK_SLOT = "feedback"


@dataclass(frozen=True)
class Button:
    title: str
    payload: str

    def as_dict(self) -> Dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass
class Reply:
    """One bot message, in parts: the channels shape it from these fields, never by parsing text.

    `body` is what the bot says (lines joined by newlines; a line starting with
    bot.shaping.QUOTE_MARK is a verbatim source quotation), `citation` names the sources,
    `closing` is the disclaimer then the specialist referral; `text` is all three, in order, as
    plain text (quotation lines without their marker, in quotation marks).
    """

    body: str
    kind: str
    citation: str = ""
    closing: str = ""
    buttons: List[Button] = field(default_factory=list)
    entry: Optional[str] = None  # entry key ("id" or "id:variant") when an entry answered
    sources: Tuple[str, ...] = ()
    slots: Dict[str, Optional[str]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(x for x in (plain_quotes(self.body), self.citation, self.closing) if x)

    def parts(self) -> Dict[str, object]:
        return {
            "body": self.body,
            "citation": self.citation,
            "closing": self.closing,
            "kind": self.kind,
            "entry": self.entry,
            "sources": list(self.sources),
        }

    def as_message(self) -> Dict[str, object]:
        """The bot message: `text` for clients that show text only, `buttons`, and the parts
        under REPLY_KEY (Rasa passes unknown keys of a bot message on to the output channel)."""
        message: Dict[str, object] = {"text": self.text, REPLY_KEY: self.parts()}
        if self.buttons:
            message["buttons"] = [b.as_dict() for b in self.buttons]
        return message


class Texts(Protocol):
    """What composing a closing needs: the contacts and the fixed messages (a KnowledgeBase, or
    bot.messages.FixedTexts in the Rasa process, which has no need of the entries)."""

    @property
    def contacts(self) -> Dict[str, Any]: ...

    @property
    def messages(self) -> Dict[str, str]: ...


def citation(kb: KnowledgeBase, source_ids: Iterable[str]) -> str:
    ids = list(dict.fromkeys(source_ids))
    if not ids:
        return ""
    names = [kb.sources[sid].publisher for sid in ids]
    label = kb.messages["source_label"] if len(names) == 1 else kb.messages["sources_label"]
    return f"{label}: {'; '.join(names)}."


def closing(texts: Texts, region: Optional[str], compact: bool = False) -> str:
    """Disclaimer, then the specialist referral: the end of every message. In full on the first
    reply of a conversation; `compact` (one short line each) after it, so that the closing no
    longer buries the answer (bot.dialogue.respond decides)."""
    disclaimer = str(texts.contacts["disclaimer_short" if compact else "disclaimer"]).strip()
    referral = referral_text(texts, region, compact)
    return f"{disclaimer}\n{texts.messages['referral_label']}: {referral}"


def finish(
    kb: KnowledgeBase,
    parts: Sequence[str],
    *,
    kind: str,
    region: Optional[str],
    sources: Sequence[str] = (),
    buttons: Sequence[Button] = (),
    entry: Optional[str] = None,
) -> Reply:
    """A reply from its parts, with the full closing (bot.dialogue.respond makes it compact after
    the first reply of a conversation)."""
    body = "\n".join(p.strip() for p in parts if p and p.strip())
    return Reply(
        body=body,
        kind=kind,
        citation=citation(kb, sources),
        closing=closing(kb, region),
        buttons=list(buttons)[:MAX_BUTTONS],
        entry=entry,
        sources=tuple(dict.fromkeys(sources)),
    )


def fixed_reply(texts: Texts, key: str, region: Optional[str], kind: str, compact: bool = True, **fmt: str) -> Reply:
    """A fixed, non-medical message from messages.yml, sent by a channel on its own (it does not
    know the conversation): the compact closing unless `compact` is False."""
    body = texts.messages[key].format(**fmt).strip()
    return Reply(body=body, kind=kind, closing=closing(texts, region, compact=compact))


def button_for(kb: KnowledgeBase, entry_id: str, variant: Optional[str] = None, title: Optional[str] = None) -> Button:
    kind, subject = kb.entry_target(entry_id, variant)
    entities = {subject.label: subject.value} if subject else {}
    payload = f"/{kind}{json.dumps(entities, separators=(',', ':'))}" if entities else f"/{kind}"
    label = title or (kb.subjects[variant].title.capitalize() if variant else kb.entries[entry_id].title)
    return Button(title=label, payload=payload)


def related_buttons(kb: KnowledgeBase, resolution: Resolution) -> List[Button]:
    return [button_for(kb, rel) for rel in resolution.entry.related[:MAX_RELATED]]


def source_button(kb: KnowledgeBase) -> Button:
    """ "Show the source": asks where the answer just given comes from."""
    return Button(title=kb.messages["source_button"], payload=SOURCE_PAYLOAD)


def feedback_buttons(kb: KnowledgeBase, entry_key: str) -> List[Button]:
    """ "Helpful" / "Not helpful" for the answer `entry_key` (a numbered choice on SMS)."""
    entity = json.dumps({FEEDBACK_ENTITY: entry_key}, separators=(",", ":"))
    return [Button(title=kb.messages[f"{intent}_button"], payload=f"/{intent}{entity}") for intent in FEEDBACK_INTENTS]


def answer_buttons(kb: KnowledgeBase, resolution: Resolution) -> List[Button]:
    """After an entry's answer: the related topics, "Show the source", then the feedback pair."""
    return related_buttons(kb, resolution) + [source_button(kb)] + feedback_buttons(kb, resolution.key)


def answer_reply(
    kb: KnowledgeBase,
    resolution: Resolution,
    region: Optional[str],
    lead: Sequence[str] = (),
    also: Optional[Resolution] = None,
) -> Reply:
    """A knowledge-base answer; says so when it is more general than what was asked. `also`: the
    answer to the second question of a two-question message, after the first, under one closing."""
    parts = list(lead)
    if not resolution.specific and resolution.asked_subject:
        parts.append(
            kb.messages["not_specific"].format(
                subject=kb.title(resolution.asked_subject), general=kb.title(resolution.answered_subject)
            )
        )
    parts.append(resolution.answer)
    sources = list(resolution.sources)
    if also is not None:
        parts += [kb.messages["also_asked"], also.answer]
        sources += also.sources
    reply = finish(
        kb,
        parts,
        kind="answer",
        region=region,
        sources=sources,
        buttons=answer_buttons(kb, resolution),
        entry=resolution.key,
    )
    if also is not None:
        reply.slots[LAST_ENTRY_SLOT] = f"{resolution.key} {also.key}"
    return reply


def message_reply(
    kb: KnowledgeBase, key: str, region: Optional[str], kind: str, buttons: Sequence[Button] = (), **fmt: str
) -> Reply:
    """A fixed message from messages.yml (greeting, goodbye, out of scope ...)."""
    return finish(kb, [kb.messages[key].format(**fmt)], kind=kind, region=region, buttons=buttons)


def starter_buttons(kb: KnowledgeBase) -> List[Button]:
    return [button_for(kb, "what_is_net"), button_for(kb, "common_symptoms"), button_for(kb, "find_specialist")]


def region_buttons() -> List[Button]:
    return [
        Button("United States", '/inform_region{"region":"us"}'),
        Button("Canada", '/inform_region{"region":"canada"}'),
        Button("United Kingdom", '/inform_region{"region":"uk"}'),
        Button("Somewhere else", '/inform_region{"region":"elsewhere"}'),
    ]


def source_reply(kb: KnowledgeBase, keys: Sequence[str], region: Optional[str], evidence: Optional[Evidence] = None) -> Reply:
    """ "Where does it say that?": the quoted passages behind the texts `keys` (evidence.yml's keys:
    `entry`, `entry:variant` or a medical message such as `diagnose_me`), each source's passages
    under its publisher, page title and web address, then the usual citation and closing.

    Each quotation is a body line starting with QUOTE_MARK (a blockquote in the widget, a plain
    line in quotation marks elsewhere). With no previous answer (or no quotes recorded for it):
    the fixed `source_none` message."""
    if evidence is None:
        from bot.evidence import cached_evidence

        evidence = cached_evidence()
    quotes: Dict[str, List[str]] = {}  # source id -> its distinct passages, in the order used
    for key in keys:
        for record in evidence.records(key) or ():
            if record.unsupported:
                continue
            for quote in record.evidence:
                passages = quotes.setdefault(quote.source, [])
                text = " ".join(quote.quote.split())
                if text not in passages:
                    passages.append(text)
    # A passage inside a longer quoted passage of the same source is shown once, in the longer one.
    quotes = {
        sid: [p for p in passages if not any(p != other and p in other for other in passages)]
        for sid, passages in quotes.items()
        if sid in kb.sources
    }
    if not quotes:
        return message_reply(kb, "source_none", region, "source")
    parts = [kb.messages["source_intro"]]
    for sid, passages in quotes.items():
        source = kb.sources[sid]
        address = source.url or kb.messages["source_no_address"]
        parts.append(kb.messages["source_from"].format(publisher=source.publisher, title=source.title, address=address))
        parts.extend(f"{QUOTE_MARK}\u201c{passage}\u201d" for passage in passages)
    return finish(kb, parts, kind="source", region=region, sources=list(quotes))

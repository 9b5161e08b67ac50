"""'Where does it say that?' (issue 13): after an answer, the quoted source passages behind it.

The reply is composed in bot/ (bot.answers.source_reply, reached through bot.dialogue.respond
with intent ask_source and the `last_entry` slot): each source's passages under its publisher,
page title and web address, every quotation a body line marked for the channels
(bot.shaping.QUOTE_MARK: a Markdown blockquote in the widget, a plain quoted line elsewhere),
then the usual citation and closing.
"""

from __future__ import annotations

import pytest

from bot import answers
from bot import evidence as ev
from bot.dialogue import Turn, respond
from bot.referral import referral_text
from bot.shaping import QUOTE_MARK, choose, shape, web_messages

MESSAGING = ["telegram", "slack", "facebook", "twilio"]


def ask_source(last_entry, region=None, text="where does it say that?", intent="ask_source"):
    return respond(Turn(text, intent, 0.95, last_entry=last_entry, region=region))


def quote_lines(reply: answers.Reply):
    return [line[len(QUOTE_MARK) :] for line in reply.body.split("\n") if line.startswith(QUOTE_MARK)]


def quotes_of(key: str):
    """The passages a source reply shows for `key`: every recorded quote, except one that is part
    of a longer quote from the same source (that one is shown once, inside the longer)."""
    by_source: dict = {}
    for record in ev.cached_evidence().records(key) or ():
        for q in record.evidence:
            by_source.setdefault(q.source, set()).add(" ".join(q.quote.split()))
    return {q for quotes in by_source.values() for q in quotes if not any(q != other and q in other for other in quotes)}


@pytest.fixture(scope="module")
def first(kb):
    return respond(Turn("what is a neuroendocrine tumour?", "ask_definition", 0.95))


def test_every_entry_answer_offers_show_the_source_and_remembers_its_entry(kb, first):
    assert first.kind == "answer" and first.entry == "what_is_net"
    # After the related topics: "Show the source", then the feedback pair.
    assert first.buttons[-3] == answers.Button("Show the source", "/ask_source")
    assert [b.title for b in first.buttons[-2:]] == ["Helpful", "Not helpful"]
    assert first.slots[answers.LAST_ENTRY_SLOT] == "what_is_net"


@pytest.mark.parametrize("text", ["where does it say that?", "/ask_source"])
def test_the_source_reply_quotes_every_passage_of_the_answer_with_publisher_title_and_address(kb, first, text):
    reply = ask_source(first.slots["last_entry"], text=text)
    assert reply.kind == "source" and reply.entry is None
    assert reply.body.split("\n")[0] == kb.messages["source_intro"]
    shown = {q.strip("\u201c\u201d") for q in quote_lines(reply)}
    assert shown == quotes_of("what_is_net")
    for sid in ("netrf-about", "ccs-2024"):
        source = kb.sources[sid]
        header = kb.messages["source_from"].format(publisher=source.publisher, title=source.title, address=source.url)
        assert header in reply.body.split("\n")
    assert set(reply.sources) == {"netrf-about", "ccs-2024"}
    assert reply.text.endswith(referral_text(kb, None))
    assert "not a doctor" in reply.closing
    assert reply.citation == answers.citation(kb, reply.sources)


def test_a_source_without_an_address_says_it_is_not_recorded(kb):
    reply = ask_source("carcinoid_syndrome")
    assert kb.sources["ipsen-2019"].url is None
    assert f"From {kb.sources['ipsen-2019'].publisher}, " in reply.body
    assert f"({kb.messages['source_no_address']}):" in reply.body


def test_each_quote_is_verbatim_in_its_source(kb):
    for key in ("what_is_net", "carcinoid_syndrome", "common_symptoms"):
        found = ev.faithfulness([ask_source(key).body])
        assert found.quoted == len(quote_lines(ask_source(key))) and not found.unsupported


def test_a_variant_answer_shows_the_variant_passages(kb):
    entry = next(e for e in kb.entries.values() if e.variants)
    variant = next(iter(entry.variants))
    key = f"{entry.id}:{variant}"
    shown = {q.strip("\u201c\u201d") for q in quote_lines(ask_source(key))}
    assert shown == quotes_of(key)


def test_no_previous_answer_gets_the_fixed_message(kb):
    for last in (None, "", "not_an_entry", "what_is_net:no_such_variant"):
        reply = ask_source(last)
        assert reply.kind == "source"
        assert reply.body == kb.messages["source_none"]
        assert reply.text.endswith(referral_text(kb, None))


def test_the_diagnosis_uncovered_and_emergency_replies_can_be_asked_too(kb):
    diagnosis = respond(Turn("do I have a NET? I keep flushing", "ask_diagnose_me", 0.9))
    assert diagnosis.buttons[-1].payload == "/ask_source"
    keys = (diagnosis.slots["last_entry"] or "").split()
    assert keys[0] == "diagnose_me"
    shown = {q.strip("\u201c\u201d") for q in quote_lines(ask_source(diagnosis.slots["last_entry"]))}
    assert quotes_of("diagnose_me") <= shown and quotes_of(keys[1]) <= shown
    uncovered = respond(Turn("what dose of lanreotide do people take", "ask_treatment", 0.9))
    assert uncovered.kind == "uncovered" and uncovered.slots["last_entry"] == uncovered.entry
    emergency = respond(Turn("my dad is having a carcinoid crisis right now and can't breathe", "report_emergency", 0.9))
    assert emergency.kind == "emergency"
    assert quote_lines(ask_source(emergency.slots["last_entry"]))


def test_a_source_question_does_not_forget_the_answer(first):
    reply = ask_source(first.slots["last_entry"])
    assert answers.LAST_ENTRY_SLOT not in reply.slots


def test_the_widget_shows_quotes_as_blockquotes_apart_from_the_bots_words(first):
    reply = ask_source(first.slots["last_entry"])
    (bubble,) = web_messages(reply.as_message())
    lines = bubble.text.split("\n")
    quoted = [line for line in lines if line.startswith("> ")]
    assert len(quoted) == len(quote_lines(reply))
    # A blank line before and after each run of quotes: nothing of the bot's runs into a quote.
    for i, line in enumerate(lines):
        if line.startswith("> ") and not lines[i - 1].startswith("> "):
            assert lines[i - 1] == ""
        if line.startswith("> ") and i + 1 < len(lines) and not lines[i + 1].startswith("> "):
            assert lines[i + 1] == ""
    assert not any(line.startswith("> ") for line in bubble.text.split("Sources:")[1].split("\n"))


@pytest.mark.parametrize("channel", MESSAGING)
def test_the_other_channels_show_plain_quoted_lines(first, channel):
    reply = ask_source(first.slots["last_entry"])
    text = "\n".join(m.text for m in shape(channel, reply.as_message()))
    assert not any(line.startswith((">", "&gt;")) for line in text.split("\n"))
    opening = '"' if channel == "twilio" else "\u201c"  # SMS: plain ASCII punctuation
    assert sum(1 for line in text.split("\n") if line.startswith(opening)) == len(quote_lines(reply))


def test_on_sms_show_the_source_is_a_numbered_option(first):
    (message,) = shape("twilio", first.as_message())[-1:]
    number = [b.payload for b in first.buttons].index("/ask_source") + 1
    assert f"{number}. Show the source" in message.text
    offered = [b.as_dict() for b in first.buttons]
    assert choose("twilio", str(number), offered) == "/ask_source"


def test_the_plain_text_has_no_quote_markers(first):
    reply = ask_source(first.slots["last_entry"])
    assert QUOTE_MARK in reply.body
    assert not any(line.startswith(QUOTE_MARK) for line in reply.text.split("\n"))
    assert reply.as_message()["text"] == reply.text


def test_every_training_phrasing_gets_the_source_reply(first):
    """The NLU examples of ask_source, as the NLU would label them: none is taken for an
    emergency or a diagnosis request (the act decision comes first), each gets the quotes."""
    import yaml

    from bot.config import PROJECT_ROOT

    data = yaml.safe_load((PROJECT_ROOT / "data" / "nlu" / "meta" / "ask_source.yml").read_text(encoding="utf-8"))
    examples = [line[2:] for line in data["nlu"][0]["examples"].splitlines() if line.startswith("- ")]
    assert len(examples) >= 40
    kinds = {text: ask_source(first.slots["last_entry"], text=text).kind for text in examples}
    assert {text: kind for text, kind in kinds.items() if kind != "source"} == {}

"""Every reply the bot can send ends with the disclaimer and a specialist referral,
and every reply carrying medical information names its sources."""

from __future__ import annotations

import json
import re

import pytest

from bot import answers
from bot.dialogue import FULL_CLOSING_KINDS, Turn, error_reply, respond, restart_reply
from bot.knowledge import QUESTION_KINDS, Resolution
from bot.referral import REGIONS, referral_text

REGIONS_AND_UNKNOWN = list(REGIONS) + [None]
PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$")


def assert_ends_safely(kb, reply, region, compact=False):
    """The disclaimer, then the specialist referral for the region, end the reply: in full, or
    `compact` (one short line each, on the replies after the first of a conversation)."""
    text = reply.text
    referral = referral_text(kb, region, compact)
    assert text.endswith(referral), text[-300:]
    tail = text[-(len(referral) + 400) :]
    assert "not a doctor" in tail, tail
    assert "NET specialist" in tail
    if compact:
        assert reply.closing.count("\n") == 1, reply.closing  # two lines: disclaimer, referral


def assert_cited(kb, reply):
    assert reply.sources, reply.kind
    line = answers.citation(kb, reply.sources)
    assert line in reply.text
    for sid in reply.sources:
        assert kb.sources[sid].publisher in line


def every_answer(kb):
    for entry in kb.entries.values():
        yield Resolution(entry, None, None, None, True)
        for variant in entry.variants.values():
            yield Resolution(entry, variant, variant.key, variant.key, True)


@pytest.mark.parametrize("region", REGIONS_AND_UNKNOWN)
def test_every_knowledge_base_answer_is_cited_and_ends_with_disclaimer_and_referral(kb, region):
    count = 0
    for resolution in every_answer(kb):
        reply = answers.answer_reply(kb, resolution, region)
        assert reply.text.startswith(resolution.answer)
        assert_cited(kb, reply)
        assert_ends_safely(kb, reply, region)
        count += 1
    assert count >= len(kb.entries)


@pytest.mark.parametrize("region", REGIONS_AND_UNKNOWN)
@pytest.mark.parametrize(
    "turn",
    [
        Turn("hello", "greet", 0.99),
        Turn("bye", "goodbye", 0.99),
        Turn("thanks!", "thanks", 0.99),
        Turn("are you a bot?", "bot_challenge", 0.99),
        Turn("what can you do", "ask_capabilities", 0.99),
        Turn("what's the weather like", "out_of_scope", 0.99),
        Turn("what are the symptoms of diabetes", "ask_symptoms", 0.9),
        Turn("", None, 0.0),
        Turn("   ", "greet", 0.9),
        Turn("qwpoeiru zxmcnv", "nlu_fallback", 0.2),
        Turn("what is it", "ask_definition", 0.9),
        Turn("What dose of octreotide is safe?", "ask_treatment", 0.9),
        Turn("what is the 5 year survival rate", "ask_outlook", 0.9),
        Turn("do I have a NET? I keep flushing", "ask_diagnose_me", 0.9),
        Turn("my dad is having a carcinoid crisis right now and can't breathe", "report_emergency", 0.9),
        Turn("how do I find a NET specialist", "find_specialist", 0.9),
        Turn("how up to date is this?", "ask_review_date", 0.9),
        Turn("I'm in Toronto", "inform_region", 0.9),
        Turn("x" * 12000, "nlu_fallback", 0.1),
        Turn("<script>alert(1)</script>", "nlu_fallback", 0.1),
        Turn("🙂🙂 ¿qué es un tumor neuroendocrino? 神经内分泌肿瘤", "nlu_fallback", 0.1),
        # Another language: the fixed reply in it (bot/languages.py), then the same closing.
        Turn("Au secours, mon mari respire très mal et il est tout rouge, que dois-je faire ?", "report_emergency", 0.9),
        Turn("ساعدوني، والدي فقد الوعي ولا يستيقظ!", "nlu_fallback", 0.1),
        Turn("สวัสดีครับ ผมมีคำถามเกี่ยวกับเนื้องอก", "nlu_fallback", 0.1),
    ],
    ids=lambda t: (t.intent or "none") + ":" + t.text[:20],
)
@pytest.mark.parametrize("first_reply", [True, False], ids=["first", "later"])
def test_every_reply_path_ends_with_disclaimer_and_referral(kb, turn, region, first_reply):
    reply = respond(Turn(**{**turn.__dict__, "region": region, "first_reply": first_reply}), kb)
    effective = reply.slots.get("region", region)
    assert_ends_safely(kb, reply, effective, compact=not first_reply and reply.kind not in FULL_CLOSING_KINDS)
    if reply.kind in ("answer", "diagnosis", "emergency", "retrieval") or (reply.kind == "uncovered" and reply.entry):
        assert_cited(kb, reply)


@pytest.mark.parametrize("region", REGIONS_AND_UNKNOWN)
def test_error_reply_ends_with_disclaimer_and_referral(kb, region):
    assert_ends_safely(kb, error_reply(region, kb), region)


@pytest.mark.parametrize("region", REGIONS_AND_UNKNOWN)
def test_restart_reply_ends_with_disclaimer_and_referral(kb, region):
    assert_ends_safely(kb, restart_reply(region, kb), region)


def test_every_follow_up_button_leads_to_its_entry(kb):
    for entry in kb.entries.values():
        for button in answers.related_buttons(kb, Resolution(entry, None, None, None, True)):
            match = PAYLOAD.match(button.payload)
            assert match, button.payload
            kind, entities = match.group(1), json.loads(match.group(2) or "{}")
            assert kind in QUESTION_KINDS
            resolved = kb.resolve(kind, list(entities.values()))
            assert resolved is not None and resolved.entry.title == button.title


def test_emergency_advice_comes_first_with_the_right_number(kb):
    reply = respond(Turn("my husband is having a carcinoid crisis right now", "report_emergency", 0.9, region="uk"), kb)
    assert reply.kind == "emergency"
    assert reply.text.startswith("This may be a medical emergency")
    assert "999" in reply.text.split("\n")[0]
    us = respond(Turn("my husband is having a carcinoid crisis right now", "report_emergency", 0.9, region="us"), kb)
    assert "911" in us.text.split("\n")[0]


def test_answers_more_general_than_the_question_say_so(kb):
    reply = respond(Turn("what causes lung NETs?", "ask_causes", 0.9), kb)
    assert reply.entry == "causes"
    assert reply.text.startswith("My sources don't have information on this specific to lung NETs")


def test_uncovered_topics_are_named_and_never_answered_with_invented_facts(kb):
    reply = respond(Turn("what dose of lanreotide do people take", "ask_treatment", 0.9), kb)
    assert reply.kind == "uncovered"
    assert reply.text.startswith("My sources don't cover specific medicines and their doses")
    assert "mg" not in reply.text


def test_follow_up_question_stays_on_the_subject(kb):
    first = respond(Turn("what is carcinoid syndrome?", "ask_definition", 0.95), kb)
    assert first.entry == "carcinoid_syndrome" and first.slots["subject"] == "carcinoid_syndrome"
    second = respond(Turn("what are its symptoms?", "ask_symptoms", 0.95, context_subject="carcinoid_syndrome"), kb)
    assert second.entry == "carcinoid_syndrome_symptoms"
    third = respond(Turn("how can I avoid it?", "ask_self_care", 0.95, context_subject="carcinoid_syndrome"), kb)
    assert third.entry == "carcinoid_self_care"


def test_region_changes_the_referral(kb):
    reply = respond(Turn("we live in England, how do we find a specialist", "find_specialist", 0.9), kb)
    assert reply.slots["region"] == "uk"
    assert reply.text.endswith(referral_text(kb, "uk"))
    assert "0808 800 40 40" in reply.text


def test_greeting_says_it_is_not_a_doctor(kb):
    reply = respond(Turn("hi", "greet", 0.99), kb)
    assert reply.text.startswith("Hello!")
    assert "not a doctor" in reply.text.split("\n")[0]


@pytest.mark.parametrize(
    "text, entry",
    [("carcinoid syndrome?", "carcinoid_syndrome"), ("insulinoma", "pancreatic_nets:insulinoma"), ("NEC", "net_vs_nec")],
)
def test_a_bare_topic_the_model_is_unsure_about_is_explained(kb, text, entry):
    reply = respond(Turn(text, "nlu_fallback", 0.3), kb)
    assert reply.kind == "answer" and reply.entry == entry


def test_a_long_unclear_message_is_not_guessed_from_one_word(kb):
    reply = respond(Turn("blah blah insulinoma blah blah blah wibble", "nlu_fallback", 0.3), kb)
    assert reply.kind in ("fallback", "retrieval")


def test_a_short_follow_up_the_model_is_unsure_about_uses_its_best_guess_and_the_context(kb):
    ranking = [("nlu_fallback", 0.4), ("ask_symptoms", 0.35), ("ask_definition", 0.2)]
    turn = Turn("what are its symptoms?", "nlu_fallback", 0.4, context_subject="carcinoid_syndrome", ranking=ranking)
    assert respond(turn, kb).entry == "carcinoid_syndrome_symptoms"


@pytest.mark.parametrize(
    "turn",
    [
        Turn("and what about them then", "nlu_fallback", 0.4, ranking=[("nlu_fallback", 0.4), ("ask_symptoms", 0.35)]),
        Turn("what are its symptoms?", "nlu_fallback", 0.4, context_subject="nec", ranking=[("ask_symptoms", 0.1)]),
        Turn(
            "what are its symptoms?", "nlu_fallback", 0.4, context_subject="nec", ranking=[("greet", 0.5), ("ask_symptoms", 0.3)]
        ),
        Turn(
            "tell me all about the symptoms of stuff", "nlu_fallback", 0.4, context_subject="nec", ranking=[("ask_symptoms", 0.3)]
        ),
    ],
    ids=["no-context", "too-unsure", "best-guess-not-a-question", "no-pointer"],
)
def test_unsure_messages_without_a_clear_follow_up_are_not_guessed(kb, turn):
    assert respond(turn, kb).kind in ("fallback", "retrieval")


def test_unsure_kinds_that_lead_to_the_same_entry_add_up(kb):
    # No single kind reaches the trusted confidence, but every likely reading of a question
    # about tryptophan is answered by the same entry.
    ranking = [("nlu_fallback", 0.4), ("ask_definition", 0.3), ("ask_self_care", 0.25), ("ask_causes", 0.2)]
    reply = respond(Turn("tryptophan and why it matters", "nlu_fallback", 0.4, ranking=ranking), kb)
    assert reply.kind == "answer"
    assert reply.entry == "carcinoid_self_care"


def test_unsure_kinds_that_lead_to_different_entries_leave_it_to_the_entry_model(kb):
    """The kinds disagree; the entry model (bot/entry_classifier.py) is sure of the overview of
    pancreatic NETs, and unsure of a message with no subject at all (then the honest fallback)."""
    ranking = [("nlu_fallback", 0.4), ("ask_symptoms", 0.3), ("ask_causes", 0.3), ("ask_treatment", 0.25)]
    reply = respond(Turn("pancreatic NETs and what about them", "nlu_fallback", 0.4, ranking=ranking), kb)
    assert reply.kind == "answer" and reply.entry == "pancreatic_nets"
    reply = respond(Turn("the thing about the stuff with it", "nlu_fallback", 0.4, ranking=ranking), kb)
    assert reply.kind in ("fallback", "retrieval")


def test_a_general_question_the_model_read_as_diagnose_me_is_answered_as_a_symptoms_question(kb):
    # Nobody's symptoms are described, so safety does not treat it as a diagnosis request.
    text = "is facial redness a sign of a neuroendocrine tumour"
    ranking = [("ask_diagnose_me", 0.57), ("ask_symptoms", 0.27)]
    reply = respond(Turn(text, "ask_diagnose_me", 0.57, ranking=ranking), kb)
    assert reply.kind == "answer"
    assert reply.entry == "common_symptoms"


def test_a_question_about_a_crisis_that_is_not_happening_now_gets_the_crisis_entry(kb):
    ranking = [("report_emergency", 0.66), ("ask_complications", 0.12)]
    reply = respond(Turn("is a carcinoid storm dangerous", "report_emergency", 0.66, ranking=ranking), kb)
    assert reply.kind == "answer"
    assert reply.entry == "carcinoid_crisis"


def test_a_short_question_about_a_topic_is_not_taken_for_a_bare_topic(kb):
    ranking = [("ask_outlook", 0.476), ("ask_types", 0.122), ("ask_is_cancer", 0.098)]
    reply = respond(Turn("are NETs fatal", "ask_outlook", 0.476, ranking=ranking), kb)
    assert reply.entry == "outlook"


def test_the_closing_is_in_full_on_the_first_reply_and_compact_after(kb):
    turn = Turn("what is carcinoid syndrome?", "ask_definition", 0.95, region="uk")
    first = respond(turn, kb)
    later = respond(Turn(**{**turn.__dict__, "first_reply": False}), kb)
    assert first.body == later.body and first.citation == later.citation
    assert first.closing == answers.closing(kb, "uk")
    assert later.closing == answers.closing(kb, "uk", compact=True)
    # One line each, far shorter than the full closing, and still the region's own contact.
    disclaimer, referral = later.closing.split("\n")
    assert "not a doctor" in disclaimer and referral.startswith("Find a NET specialist:")
    assert "0808 800 40 40" in referral and "GP" in referral
    assert len(later.closing.split()) * 2 < len(first.closing.split())


@pytest.mark.parametrize(
    "turn",
    [
        Turn("my dad is having a carcinoid crisis right now and can't breathe", "report_emergency", 0.9),
        Turn("do I have a NET? I keep flushing", "ask_diagnose_me", 0.9),
    ],
    ids=["emergency", "diagnosis"],
)
def test_urgent_and_no_diagnosis_replies_keep_the_full_closing_later_too(kb, turn):
    reply = respond(Turn(**{**turn.__dict__, "first_reply": False}), kb)
    assert reply.kind in FULL_CLOSING_KINDS
    assert reply.closing == answers.closing(kb, None)

"""Follow-ups that keep the thread (issue 12): a short turn inherits from the last answer."""

from __future__ import annotations

import pytest

from bot import acts, follow_ups
from bot.dialogue import Turn, respond
from bot.knowledge import get_knowledge_base


def reply_after(last_entry, text, intent=None, confidence=0.0, subject=None):
    return respond(Turn(text, intent, confidence, last_entry=last_entry, context_subject=subject))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("and the one with the watery diarrhoea?", "pancreatic_nets:vipoma"),
        ("and the one with low blood sugar?", "pancreatic_nets:insulinoma"),
        ("the one that makes your blood sugar drop, what's that called?", "pancreatic_nets:insulinoma"),
        ("the high blood sugar one with the mouth sores, what's that one called?", "pancreatic_nets:glucagonoma"),
        ("which one gives you heartburn and tummy pain?", "pancreatic_nets:gastrinoma"),
    ],
)
def test_a_turn_picks_the_item_of_the_last_answers_list_it_describes(text, expected):
    reply = reply_after("pancreatic_nets", text)
    assert reply.kind == "answer" and reply.entry == expected, (reply.kind, reply.entry)


def test_what_is_that_called_asks_for_a_name_not_for_the_source():
    reply = reply_after("pancreatic_nets", "the one with low blood sugar, what's that called?", "ask_source", 0.9)
    assert reply.kind == "answer" and reply.entry == "pancreatic_nets:insulinoma"


def test_the_other_one_is_the_other_half_of_the_last_answer():
    reply = reply_after("functional_nonfunctional", "and the other one?")
    assert reply.entry == "functional_nonfunctional"
    reply = reply_after("benign_malignant:indolent_aggressive", "and the other kind?")
    assert reply.entry == "benign_malignant:indolent_aggressive"


def test_and_the_lung_ones_asks_the_last_question_about_the_new_subject():
    reply = reply_after("common_symptoms", "and the lung ones?")
    assert reply.kind == "answer" and reply.entry == "lung_nets", (reply.kind, reply.entry)


def test_a_short_elliptical_follow_up_is_not_taken_for_an_emergency():
    # The same words with no answer before them stay whatever the act classifier makes of them;
    # after an answer they continue its question.
    # The act classifier unsure (P(emergency) 0.5: above `emergency`, below `emergency_follow_up`).
    unsure = acts.ActResult(acts.QUESTION, 0.5, 0.5, {"question": 0.5}).as_dict()

    def said(last_entry):
        return respond(Turn("and the pancreas ones?", last_entry=last_entry, act=unsure))

    assert said("lung_nets").kind != "emergency"
    # Right after the urgent-care reply, the same words keep the usual emergency threshold.
    assert said("emergency.intro emergency.note").kind == "emergency"
    # A real emergency said the same way is still one.
    assert reply_after("lung_nets", "and now he has collapsed and won't wake up").kind == "emergency"


def test_what_about_picks_between_the_last_answer_and_what_it_offered_next():
    reply = reply_after("carcinoid_triggers", "and what about exercise?")
    assert reply.entry == "carcinoid_self_care", reply.entry
    assert follow_ups.is_elliptical("what about drinks?") and not follow_ups.is_elliptical("what is a NET?")


def test_without_a_last_answer_nothing_is_inherited():
    assert follow_ups.follow_up(get_knowledge_base(), "and the other one?", [], None, [], False, None) is None


def test_a_question_about_the_conversations_subject_prefers_an_entry_for_that_kind():
    # After VIP's hormone answer, "how is it treated?" is about treatment, not VIP again.
    reply = reply_after("hormones:vip", "how is it treated?", "ask_treatment", 0.95, subject="vip")
    assert reply.entry == "treatment", reply.entry


@pytest.mark.parametrize("text", ["how long?", "why not?", "like what?", "and why?"])
def test_a_fragment_asks_more_about_the_last_answer(text):
    reply = reply_after("diagnosis_delay", text)
    assert reply.kind == "answer" and reply.entry == "diagnosis_delay", (text, reply.kind, reply.entry)


def test_the_opposite_is_the_other_half_of_the_last_answer():
    assert (
        reply_after("benign_malignant:indolent_aggressive", "and the opposite?").entry == "benign_malignant:indolent_aggressive"
    )


def test_a_fragment_that_names_a_subject_is_not_about_the_last_answer():
    assert reply_after("diagnosis_delay", "what is insulinoma?", "ask_definition", 0.95).entry == "pancreatic_nets:insulinoma"


@pytest.mark.parametrize(
    "last, subject, text, intent, confidence",
    [
        # The NLU's reading of a fragment as small talk, feedback or out of scope.
        ("treatment", None, "how long will the treatment take then", "goodbye", 0.8),
        ("carcinoid_syndrome", "carcinoid_syndrome", "which foods make it worse then?", "feedback_helpful", 0.65),
        ("where_nets_form", "ovary", "and the prostate?", "out_of_scope", 0.6),
    ],
)
def test_a_question_right_after_an_answer_is_answered_whatever_the_nlu_reads_into_it(last, subject, text, intent, confidence):
    reply = reply_after(last, text, intent, confidence, subject=subject)
    assert reply.kind == "answer", (reply.kind, reply.body[:80])


def test_a_question_after_an_answer_about_what_the_sources_do_not_cover_says_so():
    reply = reply_after("treatment", "how long do people live with it then", "goodbye", 0.8)
    assert reply.kind == "uncovered", (reply.kind, reply.body[:80])


@pytest.mark.parametrize(
    "text, intent, kind",
    [
        ("thanks, that helps", "thanks", "smalltalk"),
        ("bye for now", "goodbye", "smalltalk"),
        ("helpful", "feedback_helpful", "feedback"),
    ],
)
def test_small_talk_and_feedback_after_an_answer_stay_what_they_are(text, intent, kind):
    assert reply_after("treatment", text, intent, 0.9).kind == kind


@pytest.mark.parametrize("text", ["and who won the football last night?", "what about my cat, she keeps being sick?"])
def test_an_off_topic_turn_after_an_answer_is_still_off_topic(text):
    reply = reply_after("treatment", text, "out_of_scope", 0.9)
    assert reply.kind == "out_of_scope" and reply.entry is None, (reply.kind, reply.entry)


def test_a_question_about_the_conversations_subject_is_read_with_that_subject():
    # "What brings it on?" after carcinoid syndrome asks what triggers the syndrome, not what
    # causes NETs in general.
    reply = reply_after("carcinoid_syndrome", "what sets it off?", subject="carcinoid_syndrome")
    assert reply.kind == "answer" and reply.entry == "carcinoid_triggers", (reply.kind, reply.entry)


@pytest.mark.parametrize("text, expected", [("lung", "lung_nets"), ("pancreas?", "pancreatic_nets")])
def test_a_turn_that_only_names_a_subject_asks_the_last_question_about_it(text, expected):
    reply = reply_after("types_of_nets", text)
    assert reply.kind == "answer" and reply.entry == expected, (reply.kind, reply.entry)


def test_a_short_question_right_after_an_answer_is_not_taken_for_a_diagnosis_request_by_the_classifier_alone():
    # "is it cancer?" after an answer about someone's lung NET asks about NETs; the rules still
    # catch "so do I have a NET then?".
    unsure = acts.ActResult(acts.DIAGNOSIS_REQUEST, 0.7, 0.0, {"diagnosis_request": 0.7, "question": 0.3}).as_dict()
    assert respond(Turn("is it cancer?", last_entry="lung_nets", act=unsure)).kind != "diagnosis"
    assert respond(Turn("is it cancer?", act=unsure)).kind == "diagnosis"
    assert respond(Turn("so do I have a NET then?", last_entry="lung_nets", act=unsure)).kind == "diagnosis"


@pytest.mark.parametrize("text", ["what does it depend on", "who works that out"])
def test_a_turn_pointing_back_at_the_last_answer_keeps_it_when_the_nlu_is_unsure(text):
    # The NLU's guess at a low confidence ("what does it depend on" read as a definition at 0.52)
    # would answer another entry; the turn names nothing of its own and points back ("it", "that").
    reply = reply_after("outlook", text, intent="ask_definition", confidence=0.52)
    assert reply.kind == "answer" and reply.entry == "outlook", (reply.kind, reply.entry)
    # Sure of another kind, the NLU decides ("how is it treated?" after the outlook).
    sure = reply_after("outlook", "how is it treated?", intent="ask_treatment", confidence=0.97)
    assert sure.entry == "treatment", sure.entry

"""Two questions in one message get both answers, in the order asked, under one closing (issue 12)."""

from __future__ import annotations

import pytest

from bot import compound, kinds
from bot.answers import LAST_ENTRY_SLOT
from bot.dialogue import Turn, respond


@pytest.mark.parametrize(
    "text",
    [
        "what is a NET and is it cancer?",
        "What causes NETs? Can my children inherit them?",
        "how is it treated, and what is the outlook",
    ],
)
def test_two_questions_are_found(text):
    assert compound.asks_two(text)


@pytest.mark.parametrize(
    "text", ["what is a NET?", "flushing and diarrhoea, what are they signs of?", "and what about exercise?"]
)
def test_one_question_is_one_question(text):
    assert not compound.asks_two(text)


def test_the_clause_model_reads_each_part_on_its_own():
    assert kinds.get_model().ranking("is it cancer")[0][0] == "ask_is_cancer"
    assert kinds.get_model().ranking("what sets it off")[0][0] == "ask_triggers"


def test_both_answers_in_the_order_asked_under_one_closing(kb):
    reply = respond(Turn("what is carcinoid syndrome and what sets it off?", "ask_definition", 0.9), kb)
    first, second = kb.entries["carcinoid_syndrome"].answer, kb.entries["carcinoid_triggers"].answer
    assert first in reply.body and second in reply.body
    assert reply.body.index(first) < reply.body.index(kb.messages["also_asked"]) < reply.body.index(second)
    assert reply.closing and reply.closing not in reply.body and reply.text.endswith(reply.closing)
    assert set(kb.entries["carcinoid_triggers"].sources) <= set(reply.sources)
    assert reply.slots[LAST_ENTRY_SLOT] == "carcinoid_syndrome carcinoid_triggers"


def test_a_two_part_message_about_one_entry_gets_it_once(kb):
    reply = respond(Turn("what are the symptoms of carcinoid syndrome, and what are its signs?", "ask_symptoms", 0.9), kb)
    assert kb.messages["also_asked"] not in reply.body


def test_the_saved_clause_model_loads_in_the_bot(tmp_path):
    """`python -m bot.kinds build` saves a model that bot/ can load (not one naming __main__)."""
    import pickle
    import subprocess
    import sys

    out = tmp_path / "kinds.pkl"
    subprocess.run([sys.executable, "-m", "bot.kinds", "build", "--out", str(out)], check=True, capture_output=True)
    model = pickle.loads(out.read_bytes())
    assert isinstance(model, kinds.KindModel) and model.fingerprint == kinds.fingerprint()

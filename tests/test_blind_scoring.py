"""How the blind scorer (evaluation/score_blind.py) counts a turn right: bank writers see the entry
titles only, so an item that names an entry is answered by any of its variants; a small-talk
turn by the small-talk reply; an uncovered question only by "my sources don't cover"."""

from __future__ import annotations

from evaluation.score_blind import act_right, turn_right


def test_a_variant_answers_an_item_that_names_only_its_entry():
    assert turn_right("pancreatic_nets", "pancreatic_nets:insulinoma", "answer")
    assert turn_right("pancreatic_nets:insulinoma", "pancreatic_nets:insulinoma", "answer")
    assert not turn_right("pancreatic_nets:insulinoma", "pancreatic_nets", "answer")
    assert not turn_right("pancreatic_nets", "hormones:insulin", "answer")
    assert act_right("question", "hormones:serotonin", "answer", "hormones:serotonin", "hormones")


def test_small_talk_and_uncovered_turns_are_judged_by_the_reply_kind():
    assert turn_right("smalltalk", "(smalltalk)", "smalltalk")
    assert not turn_right("smalltalk", "(other)", "other")
    assert turn_right("uncovered", "treatment", "uncovered")
    assert not turn_right("uncovered", "treatment", "answer")

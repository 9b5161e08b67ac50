"""Floor check: the held-out question bank through the real servers must keep its right answers.

`make eval` measures the same thing in detail (and the intent/entity scores); this test only makes
sure a change to data, config or code cannot quietly break understanding.
"""

from __future__ import annotations

from bot.knowledge import get_knowledge_base
from evaluation.banks import AnswerMatcher, ask_all, failures_table, load_bank

# What `make eval` measures on this bank is in results/eval.md (the classifier is deterministic:
# lbfgs logistic regression with a fixed random_state). The floor: fail below 92%.
FLOOR = 0.92


def test_question_bank_entry_accuracy_floor(stack):
    questions = load_bank()
    outcomes = ask_all(stack.say, AnswerMatcher(get_knowledge_base()), questions, workers=4, prefix="e2e-bank")
    errors = [o for o in outcomes if o.error]
    correct = sum(o.correct for o in outcomes)
    accuracy = correct / len(outcomes)
    print(f"\nquestion bank entry accuracy: {accuracy:.1%} ({correct}/{len(outcomes)})")
    if correct < len(outcomes):
        print("failures:\n" + failures_table(outcomes))
    assert len(errors) == 0, [(o.question.text, o.error) for o in errors]
    assert accuracy >= FLOOR, f"entry accuracy {accuracy:.1%} < {FLOOR:.0%}:\n{failures_table(outcomes)}"

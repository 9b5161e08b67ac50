# `make eval`: measure understanding on questions the model never saw (evaluation/evaluate.py).
# Trains first when the model is out of date (timed, under the shared training lock), runs the
# held-out `rasa test nlu`, sends tests/question_bank.yml through the real servers, and writes
# results/eval.md and results/eval.json (README links to them; no tracked source is edited).
# The servers start the shipped way (bot/serving/stack.py: bot.serving.launcher).
.PHONY: eval

eval: build ## Held-out evaluation: question bank over REST + rasa test nlu split (trains if needed)
	$(BIN)/python -m evaluation.evaluate $(EVAL_ARGS)

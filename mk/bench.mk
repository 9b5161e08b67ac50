# Benchmark (not a test: never part of `make test`, never fails on speed). Trains our model
# and Rasa's starter bot (`rasa init`), drives both over REST at 1, 10 and 50 users, and writes
# results/bench.md; our servers start the shipped way (bot/serving/stack.py: bot.serving.launcher).
# BENCH_ARGS are passed to bench/run.py (see --help).
.PHONY: bench

bench: build ## Benchmark vs Rasa's starter bot at 1/10/50 users -> results/bench.md (trains both; ~20 min)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

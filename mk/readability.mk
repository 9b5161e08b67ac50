# `make readability`: plain language, measured (issue 14). The Flesch-Kincaid grade of every
# knowledge-base answer (evaluation/readability.py: sentences split as bot/evidence.py splits them,
# syllables from pyphen, the medical names of data/knowledge/known_words.yml as 1 syllable);
# writes results/readability.md and fails when the bar in bot/thresholds.yml is not met.
.PHONY: readability

readability: $(STAMP) ## Plain language: FK grade of every answer -> results/readability.md (fails over the bar in bot/thresholds.yml)
	$(BIN)/python -m evaluation.readability --check --out results/readability.md

EXTRA_TESTS += readability

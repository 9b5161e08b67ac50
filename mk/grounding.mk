# `make grounding`: sentence-level grounding (issue 13). Checks data/knowledge/evidence.yml against
# the answer texts and data/sources (bot/evidence.py), runs the mutation tests, writes
# results/grounding.md (per text: sentences, quotes, weakest overlap; the weakest ten; unsupported
# sentences) and prints the weakest ten. Fails while any sentence is unsupported. The same checks
# run in `make unit` (tests/test_grounding.py).
.PHONY: grounding

grounding: $(STAMP) $(SPACY_MODEL) ## Grounding: every answer sentence vs its quoted source passage (writes results/grounding.md)
	$(BIN)/python -m bot.evidence report

EXTRA_TESTS += grounding

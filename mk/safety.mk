# `make safety-report`: per bank (tests/safety_cases.yml, tests/blind/acts_*.yml), through the
# trained NLU parse and bot.dialogue: emergency recall, false alarms, diagnosis requests, shared
# diagnoses, off-topic medical answers, act confusion, the emergency threshold curve, the act
# classifier's CPU per turn and training time; then our own cases with their intents and the
# retrieval fallback's precision (evaluation/safety_report.py). Writes results/safety.md and
# results/calibration.md; fails when a safety floor is missed.
# `make calibrate` re-chooses the retrieval direct-answer threshold and sets it in bot/thresholds.yml.
.PHONY: safety-report calibrate

safety-report: $(STAMP) $(SPACY_MODEL) $(MODEL) $(ACT_MODEL) ## Safety numbers per bank: recall, false alarms, diagnosis, shared diagnoses, off-topic, acts
	$(BIN)/python -m evaluation.safety_report

calibrate: $(STAMP) $(SPACY_MODEL) ## Re-calibrate the retrieval direct-answer threshold (writes bot/thresholds.yml + results/calibration.md)
	$(BIN)/python -m evaluation.calibrate_retrieval --apply

EXTRA_TESTS += safety-report

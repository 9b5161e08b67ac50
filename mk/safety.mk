# `make safety-report`: red-flag recall, false alarms, diagnosis-request pass rate and the
# retrieval fallback's precision at its threshold (evaluation/safety_report.py). Writes
# results/safety.md and results/calibration.md; fails when a safety target is missed.
# `make calibrate` re-chooses the retrieval direct-answer threshold and sets it in bot/config.py.
.PHONY: safety-report calibrate

safety-report: $(STAMP) $(SPACY_MODEL) ## Safety numbers: red-flag recall, false alarms, diagnosis pass rate, fallback precision
	$(BIN)/python -m evaluation.safety_report

calibrate: $(STAMP) $(SPACY_MODEL) ## Re-calibrate the retrieval direct-answer threshold (writes bot/config.py + results/calibration.md)
	$(BIN)/python -m evaluation.calibrate_retrieval --apply

EXTRA_TESTS += safety-report

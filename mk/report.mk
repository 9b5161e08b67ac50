# The operator's report (issue 14): `make report` reads the tracker store the server uses
# (NETBOT_PROFILE / NETBOT_ENDPOINTS pick it, like bot/serving/launcher.py and `make purge-old`),
# read-only, and writes one self-contained HTML page (inline CSS and SVG, no script): conversations
# and messages per day, answers per entry, not-understood and not-in-my-sources rates with the
# topics asked, emergencies per day, helpful / not helpful per entry. Unanswered messages' texts
# only with NETBOT_REPORT_TEXTS=1, and only those newer than NETBOT_RETENTION_DAYS.
# OUT=<file> writes elsewhere (default build/report.html).
.PHONY: report test-report

# The report's server test has its own marker (in the Makefile's SUITES), left out of `make unit`.
report: $(STAMP) ## Operator's report from the tracker store in use (build/report.html; texts only with NETBOT_REPORT_TEXTS=1)
	@$(BIN)/python -m bot.serving.report --out $(or $(OUT),build/report.html)

test-report: build train ## (marker report) A real conversation over REST into a temporary store, then the report on it
	$(BIN)/pytest -q -m report tests/test_report.py

EXTRA_TESTS += test-report

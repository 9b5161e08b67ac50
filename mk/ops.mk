# Reliability, security and operations. tests/test_security.py (launch command, action server
# token + loopback + request bound, retention on SQLite) runs with `make unit`; the bad-input suite
# (tests/e2e/test_bad_input.py) with `make e2e`.
.PHONY: test-faults test-security purge-old

test-security: build ## (marker security) Rasa HTTP API off by default / token / JWT, request-size bound, CORS allow-list (real servers, no model)
	$(BIN)/pytest -q -m security tests/security

EXTRA_TESTS += test-security

test-faults: build train ## Faults (marker faults): action server down/hung/killed, Rasa restarted on SQLite, no message text in logs
	$(BIN)/pytest -q -m faults tests/faults

EXTRA_TESTS += test-faults

# make purge-old DAYS=30: conversations inactive for more than DAYS days are deleted from the
# tracker store the server uses (NETBOT_PROFILE / NETBOT_ENDPOINTS pick it, like bot/serving/launcher.py).
# Without DAYS: NETBOT_RETENTION_DAYS, else 30. DRY_RUN=1 only counts.
purge-old: $(STAMP) ## Delete conversations older than DAYS days (default NETBOT_RETENTION_DAYS or 30) from the tracker store
	$(BIN)/python -m bot.serving.retention $(if $(DAYS),--days $(DAYS)) $(if $(DRY_RUN),--dry-run)

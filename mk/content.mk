# `make content-report`: dated, reviewed content (issue 14). Lists the knowledge-base entries due
# for review (next review passed, or within `due_soon_days` of data/knowledge/reviews.yml), the
# entries without clinical approval, and the sources without an address or a retrieval date
# (bot/content.py); writes results/content-report.md. It fails only on malformed records (a missing
# record, a bad date, a review of a source text that has changed since), never on the calendar.
.PHONY: content-report

content-report: $(STAMP) ## Content review report: entries due for review, no clinical approval, sources without address/date (results/content-report.md)
	$(BIN)/python -m bot.content report --out results/content-report.md

EXTRA_TESTS += content-report

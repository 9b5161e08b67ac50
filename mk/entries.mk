# The entry model (bot/entry_classifier.py): which entry answers a message, from the example
# questions of data/entry_questions and the question kinds' examples (issue 12). `make build`
# saves it (models/entries/entries.pkl); bot/ trains it in memory when it is missing or stale.
ENTRY_MODEL := models/entries/entries.pkl

$(ENTRY_MODEL): $(STAMP) $(SPACY_MODEL) bot/entry_classifier.py $(wildcard data/entry_questions/*.yml) data/knowledge/entries.yml data/knowledge/subjects.yml $(filter-out data/nlu/synonyms.yml,$(wildcard data/nlu/*.yml))
	$(BIN)/python -m bot.entry_classifier build --out $@

.PHONY: entries
entries: $(ENTRY_MODEL) ## Train and save the entry model (models/entries/entries.pkl)

build: $(ENTRY_MODEL)
unit: $(ENTRY_MODEL)

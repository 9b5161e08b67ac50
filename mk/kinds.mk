# The clause kind model (bot/kinds.py): the question kind of each part of a two-question message
# (bot/compound.py). `make build` saves it (models/kinds/kinds.pkl); bot/ trains it in memory
# when it is missing or stale. (bot/acts.py: NLU_SKIP, the NLU files it leaves out, lives there.)
KIND_MODEL := models/kinds/kinds.pkl

$(KIND_MODEL): $(STAMP) bot/kinds.py bot/acts.py $(filter-out data/nlu/synonyms.yml,$(wildcard data/nlu/*.yml))
	$(BIN)/python -m bot.kinds build --out $@

build: $(KIND_MODEL)
unit: $(KIND_MODEL)

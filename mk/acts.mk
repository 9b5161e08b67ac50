# The act classifier (bot/acts.py): what a message does, before what it is about (issue 11).
# `make build` saves the model bot/ loads (models/acts/acts.pkl); `rasa train` trains the same
# model inside the Rasa NLU pipeline (bot/serving/nlu/act_classifier.py), whose parse carries it.
ACT_MODEL := models/acts/acts.pkl
ACT_DATA := $(wildcard data/acts/*.yml) $(filter-out data/nlu/synonyms.yml,$(wildcard data/nlu/*.yml))

$(ACT_MODEL): $(STAMP) bot/acts.py $(ACT_DATA)
	$(BIN)/python -m bot.acts build --out $@

.PHONY: acts
acts: $(ACT_MODEL) ## Train and save the act classifier (models/acts/acts.pkl)

build: $(ACT_MODEL)
unit: $(ACT_MODEL)
$(MODEL): bot/acts.py $(wildcard data/safety/*.yml)

"""Rasa NLU graph components of this project (loaded by name from config.yml).

Rasa imports every component class of the pipeline before it loads any, so importing bot.nlp
here registers the spaCy factory our saved pipeline needs (`subject_norms`) before Rasa's
SpacyNLP loads it.
"""

import bot.nlp  # noqa: F401

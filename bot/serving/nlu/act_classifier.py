"""The act classifier (bot/acts.py) as a Rasa NLU component: what a message does, next to its intent.

It trains during `rasa train` on the project's act data (data/acts) and the NLU examples mapped
to acts (data/nlu), exactly as `python -m bot.acts build` does, and stores the model in the Rasa
model. At parse time it adds one key to the parse:

    "act": {"name": "emergency" | "diagnosis_request" | "shared_diagnosis" | "question" |
                    "small_talk" | "off_topic",
            "confidence": ..., "emergency": P(emergency happening now),
            "ranking": [{"name": act, "confidence": calibrated P}, ...]}

Set with `add_to_output=True`, the key survives Rasa 3.6's parse (`Message.as_dict
(only_output_properties=True)` in `MessageProcessor._parse_message_with_graph`), is kept in the
`UserUttered` event's `parse_data`, and reaches the action server as
`tracker.latest_message["act"]`, where `bot.dialogue.Turn.from_parse` reads it.

The act data lives outside Rasa's training data, so `fingerprint_addon` hashes it: a change to
data/acts (or bot/acts.py) retrains this component even when Rasa's own data did not change.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import acts

logger = logging.getLogger(__name__)

ACT_KEY = "act"
FILE_NAME = "acts.pkl"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ActClassifier(GraphComponent):
    """Adds the message's act (bot/acts.py) to the parse under `act`."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[acts.ActModel] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ActClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return acts.fingerprint()

    def train(self, training_data: TrainingData) -> Resource:
        """Train on data/acts + data/nlu (read by bot.acts, so bot/ and Rasa train the same model)."""
        self._model = acts.train()
        with self._model_storage.write_to(self._resource) as directory:
            acts.save(self._model, Path(directory) / FILE_NAME)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ActClassifier:
        model = None
        try:
            with model_storage.read_from(resource) as directory:
                model = acts.load(Path(directory) / FILE_NAME)
        except ValueError:
            logger.warning("act classifier: no trained model in the Rasa model; the bot classifies the text itself")
        return cls(config, model_storage, resource, model)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if self._model is None or not isinstance(text, str) or not text.strip() or text.startswith("/"):
                continue
            message.set(ACT_KEY, self._model.predict(text).as_dict(), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

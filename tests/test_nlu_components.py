"""The project's Rasa NLU component: the logistic-regression intent classifier that does not
fail on a message without words (Rasa's own raises, and the user would get an error)."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import settings
from bot.serving.nlu.intent_classifier import WordlessSafeLogisticRegressionClassifier

EXAMPLES = {
    "ask_symptoms": ["what are the symptoms of a NET", "symptoms of carcinoid syndrome", "signs of an insulinoma"],
    "ask_treatment": ["how is a NET treated", "treatment for carcinoid syndrome", "what treatments are there"],
    "greet": ["hello", "hi there", "good morning"],
}


@pytest.fixture
def pipeline(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(graph_schema=None, model_id="test")  # type: ignore[arg-type]
    # The pipeline of config.yml: our spaCy model, whose tokenizer gives no token for "" or spaces.
    spacy_nlp = SpacyNLP.create(
        {**SpacyNLP.get_default_config(), "model": str(settings().spacy_model_dir)}, storage, Resource("spacy"), context
    )
    spacy_model = spacy_nlp.provide()
    tokenizer = SpacyTokenizer(SpacyTokenizer.get_default_config())
    featurizer = CountVectorsFeaturizer.create(CountVectorsFeaturizer.get_default_config(), storage, Resource("cvf"), context)

    def prepare(messages):
        spacy_nlp.process(messages, spacy_model)
        tokenizer.process(messages)
        featurizer.process(messages)
        return messages

    data = TrainingData([Message.build(text=t, intent=i) for i, texts in EXAMPLES.items() for t in texts])
    spacy_nlp.process_training_data(data, spacy_model)
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)

    def trained(cls):
        component = cls.create({**cls.get_default_config(), "random_state": 1}, storage, Resource(cls.__name__), context)
        component.train(data)
        return component

    return prepare, trained


@pytest.mark.parametrize("text", ["", "   "])
def test_rasas_own_classifier_fails_on_a_message_without_words(pipeline, text):
    prepare, trained = pipeline
    with pytest.raises(ValueError):
        trained(LogisticRegressionClassifier).process(prepare([Message.build(text=text)]))


@pytest.mark.parametrize("text", ["", "   "])
def test_ours_gives_a_message_without_words_the_classifiers_prior(pipeline, text):
    prepare, trained = pipeline
    classifier = trained(WordlessSafeLogisticRegressionClassifier)
    [message] = classifier.process(prepare([Message.build(text=text)]))
    ranking = {r["name"]: r["confidence"] for r in message.get("intent_ranking")}
    assert set(ranking) == set(EXAMPLES)
    prior = classifier.clf.predict_proba(np.zeros((1, classifier.clf.n_features_in_)))[0]
    assert [ranking[name] for name in classifier.clf.classes_] == pytest.approx(list(prior))


def test_ours_classifies_ordinary_messages_like_rasas(pipeline):
    prepare, trained = pipeline
    ours, theirs = trained(WordlessSafeLogisticRegressionClassifier), trained(LogisticRegressionClassifier)
    for text in ["what symptoms does a NET cause", "how do they treat it", "hi"]:
        a = ours.process(prepare([Message.build(text=text)]))[0].get("intent_ranking")
        b = theirs.process(prepare([Message.build(text=text)]))[0].get("intent_ranking")
        assert [r["name"] for r in a] == [r["name"] for r in b]
        assert [r["confidence"] for r in a] == pytest.approx([r["confidence"] for r in b])
    batch = ours.process(
        prepare([Message.build(text="symptoms of an insulinoma"), Message.build(text=""), Message.build(text="hello")])
    )
    assert batch[0].get("intent")["name"] == "ask_symptoms"
    assert batch[2].get("intent")["name"] == "greet"

"""Rasa's logistic-regression intent classifier, made safe for messages without words.

Rasa 3.6's `LogisticRegressionClassifier` builds one feature row per message from its sentence
features; a message with no tokens (empty, or only spaces) has none, the row comes out zero
columns wide and scikit-learn raises, so Rasa answers with an error instead of a reply. Such a
row is given the right width here, all zeros: the classifier then returns its prior, which the
FallbackClassifier turns into `nlu_fallback`, and the action replies "please type a question".

Its coefficients are also kept in column-major order once loaded: scikit-learn multiplies the
sparse features by `coef_.T`, and SciPy copies a transposed row-major matrix on every call
(the whole model, about a millisecond a message). The numbers are the same.

Everything else is Rasa's own component, unchanged.
"""

from __future__ import annotations

from typing import Any, List

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, vstack


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class WordlessSafeLogisticRegressionClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` that also classifies a message without tokens."""

    @classmethod
    def load(cls, *args: Any, **kwargs: Any) -> WordlessSafeLogisticRegressionClassifier:
        component = super().load(*args, **kwargs)
        if hasattr(component.clf, "coef_"):
            component.clf.coef_ = np.asfortranarray(component.clf.coef_)
        return component  # type: ignore[return-value]

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        width = getattr(self.clf, "n_features_in_", None)
        if width is None:  # not trained yet: Rasa's own behaviour
            return super()._create_X(messages)
        rows = []
        for message in messages:
            row = super()._create_X([message])
            rows.append(row if row.shape[1] == width else csr_matrix((1, width)))
        return vstack(rows).tocsr()

"""The question kind of one clause of a message, for two-question messages (bot/compound.py).

Rasa's NLU classifies a whole message; "what is carcinoid syndrome and what sets it off?" comes
out as one kind (with the other near zero). This small model, trained on the same data/nlu
examples of the question kinds (TF-IDF word 1-2-grams and character 2-5-grams, logistic
regression), classifies each clause on its own. Like the act model it is saved by `make build`
(models/kinds/kinds.pkl) and trained in memory when missing or stale.

    python -m bot.kinds build [--out models/kinds/kinds.pkl]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from bot import saved_models
from bot.acts import NLU_DATA, NLU_SKIP, _nlu_rows, normalise
from bot.knowledge import QUESTION_KINDS
from bot.saved_models import stamped_fingerprint

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "kinds" / "kinds.pkl"
RANDOM_STATE = 20261201


def data_files(nlu_dir: Path = NLU_DATA) -> List[Path]:
    return sorted(p for p in nlu_dir.glob("*.yml") if p.name not in NLU_SKIP)


def fingerprint(files: Optional[Sequence[Path]] = None) -> str:
    """Changes whenever the examples, this module or scikit-learn changes."""
    return saved_models.data_fingerprint(Path(__file__), files if files is not None else data_files())


@dataclass
class KindModel:
    pipeline: Any
    fingerprint: str

    def ranking(self, text: str) -> List[Tuple[str, float]]:
        """The question kinds for `text`, best first, with probabilities."""
        probabilities = self.pipeline.predict_proba([normalise(text)])[0]
        return sorted(zip(self.pipeline.classes_, map(float, probabilities), strict=True), key=lambda pair: -pair[1])


def train(files: Optional[Sequence[Path]] = None) -> KindModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    files = list(files if files is not None else data_files())
    rows = [(normalise(text), intent) for path in files for intent, text in _nlu_rows(path) if intent in QUESTION_KINDS]
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        ]
    )
    classifier = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000, random_state=RANDOM_STATE)
    pipeline = make_pipeline(features, classifier).fit([t for t, _ in rows], [k for _, k in rows])
    return KindModel(pipeline, fingerprint(files))


def get_model(path: Path = MODEL_PATH) -> KindModel:
    """The model for the current data (bot/saved_models.py)."""
    model: KindModel = saved_models.current(path, stamped_fingerprint(fingerprint, data_files()), KindModel, train)
    return model


def main(argv: Optional[Sequence[str]] = None) -> int:
    return saved_models.build_command(argv, __doc__, train, MODEL_PATH, "kind model")


if __name__ == "__main__":
    # Run as bot.kinds (not __main__), so that a saved model names its class by its module.
    from bot.kinds import main as _main

    raise SystemExit(_main())

"""Which entry answers a message, learned from example questions per entry (issue 12).

The question-kind x subject route (KnowledgeBase.resolve) answers a question when its kind is one
of the kinds and its subject is named. Many real questions fit no kind, or name their subject by a
word the route does not weigh ("what share of people get the syndrome?"). This model reads the
whole message instead: TF-IDF word 1-2-grams and character 2-5-grams and a logistic model
over the example questions of data/entry_questions/ (at least 30 per entry and variant, written
by persona writers who never saw an evaluation bank) and the question kinds' examples of data/nlu,
each labelled with the entry its route leads to. bot/dialogue.py asks it when the route has
no answer or is unsure, and uses its pick only above the calibrated thresholds of
bot/thresholds.yml. Saved by `make build` (models/entries/entries.pkl).

    python -m bot.entry_classifier build [--out models/entries/entries.pkl]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from bot import kinds, saved_models
from bot.acts import _nlu_rows, normalise
from bot.knowledge import QUESTION_KINDS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "entry_questions"
KNOWLEDGE = ROOT / "data" / "knowledge"
MODEL_PATH = ROOT / "models" / "entries" / "entries.pkl"
RANDOM_STATE = 20261201


def data_files(data_dir: Path = DATA) -> List[Path]:
    """The example questions, and what the route examples are made from (the question kinds'
    examples, the routes of entries.yml, the subjects' names)."""
    return sorted(data_dir.glob("*.yml")) + kinds.data_files() + [KNOWLEDGE / "entries.yml", KNOWLEDGE / "subjects.yml"]


def load_examples(files: Optional[Sequence[Path]] = None) -> List[Tuple[str, str]]:
    """(text, entry key) pairs of data/entry_questions; a key is `entry` or `entry:variant`."""
    rows: List[Tuple[str, str]] = []
    for path in files if files is not None else sorted(DATA.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, texts in (data.get("entries") or {}).items():
            rows.extend((str(text), str(key)) for text in texts or [])
    return rows


def route_examples() -> List[Tuple[str, str]]:
    """The question kinds' examples of data/nlu, each labelled with the entry its kind and the
    subjects it names lead to (the route): what the NLU data already teaches, for the model too.
    Examples naming a subject the sources do not cover are left out (they get the uncovered reply)."""
    from bot.knowledge import ROUTING_LABELS, get_knowledge_base
    from bot.nlp import mentions

    kb = get_knowledge_base()
    rows: List[Tuple[str, str]] = []
    for path in kinds.data_files():
        for intent, text in _nlu_rows(path):
            if intent not in QUESTION_KINDS:
                continue
            found = mentions(text)
            if any(m.label == "uncovered" for m in found):
                continue
            resolution = kb.resolve(intent, [m.value for m in found if m.label in ROUTING_LABELS])
            if resolution is not None:
                rows.append((text, resolution.key))
    return rows


def fingerprint(files: Optional[Sequence[Path]] = None) -> str:
    return saved_models.data_fingerprint(Path(__file__), files if files is not None else data_files())


@dataclass(frozen=True)
class EntryGuess:
    key: str
    probability: float


@dataclass
class EntryModel:
    pipeline: Any
    fingerprint: str

    def known_share(self, text: str) -> float:
        """The share of the message's words the model learned from: a message of mostly unknown
        words ("blah blah insulinoma wibble") is judged on the few it knows, so its confidence
        says little."""
        words = self.pipeline.steps[0][1].transformer_list[0][1]
        analyse = words.build_analyzer()
        tokens = [t for t in analyse(normalise(text)) if " " not in t]
        if not tokens:
            return 0.0
        return sum(t in words.vocabulary_ for t in tokens) / len(tokens)

    def ranking(self, text: str, top: int = 3) -> List[EntryGuess]:
        """The likeliest entries for `text`, best first."""
        probabilities = self.pipeline.predict_proba([normalise(text)])[0]
        ranked = sorted(zip(self.pipeline.classes_, map(float, probabilities), strict=True), key=lambda pair: -pair[1])
        return [EntryGuess(str(key), p) for key, p in ranked[:top]]


def train(files: Optional[Sequence[Path]] = None) -> EntryModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import FeatureUnion, make_pipeline

    files = list(files if files is not None else data_files())
    rows = [(normalise(text), key) for text, key in load_examples([f for f in files if f.parent == DATA]) + route_examples()]
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        ]
    )
    # Logistic loss by stochastic gradient descent: as accurate here as lbfgs, in 3 s instead of 40.
    classifier = SGDClassifier(loss="log_loss", alpha=1e-5, class_weight="balanced", max_iter=30, random_state=RANDOM_STATE)
    pipeline = make_pipeline(features, classifier).fit([t for t, _ in rows], [k for _, k in rows])
    return EntryModel(pipeline, fingerprint(files))


def get_model(path: Path = MODEL_PATH) -> EntryModel:
    """The model for the current data (bot/saved_models.py)."""
    expected = saved_models.stamped_fingerprint(fingerprint, data_files())
    model: EntryModel = saved_models.current(path, expected, EntryModel, train)
    return model


def ranking(text: str) -> List[EntryGuess]:
    return get_model().ranking(text)


def known_share(text: str) -> float:
    return get_model().known_share(text)


def counts(files: Optional[Sequence[Path]] = None) -> Dict[str, int]:
    found: Dict[str, int] = {}
    for _, key in load_examples(files):
        found[key] = found.get(key, 0) + 1
    return found


def main(argv: Optional[Sequence[str]] = None) -> int:
    return saved_models.build_command(argv, __doc__, train, MODEL_PATH, "entry model")


if __name__ == "__main__":
    # Run as bot.entry_classifier (not __main__), so that a saved model names its class by its module.
    from bot.entry_classifier import main as _main

    raise SystemExit(_main())

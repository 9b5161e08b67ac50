"""What a message *does*, decided before what it is about (issue 11).

    emergency           something dangerous is happening now          -> urgent-care advice first
    diagnosis_request   "do I have ...?", "is this a NET?", "yes or no" -> never a diagnosis
    shared_diagnosis    "my dad was diagnosed with ..., what is it?"  -> the answer, kindly
    question            a question about NETs                         -> the answer
    small_talk          hello, thanks, who are you                    -> small talk
    off_topic           pets, football, salaries, an unrelated injury -> the out-of-scope reply

Two linear models share one feature space (TF-IDF of word 1-2-grams and character 2-5-grams of
the text, lower-cased; no pretrained weights):

* `emergency`: emergency happening now vs everything else, trained on the act examples
  (data/acts: emergencies and look-alikes in equal measure, by three persona writers) plus the
  NLU examples mapped to acts. Its probability is OR'd with the deterministic rules
  (bot/safety.py, data/safety) by bot/dialogue.py; the threshold is in bot/config.py.
* `acts`: the other five acts, with sigmoid-calibrated probabilities (so a threshold on the
  off-topic score means what it says).

Pure Python + scikit-learn: the Rasa NLU component (bot/serving/nlu/act_classifier.py) trains the
same model during `rasa train` and puts the result in the parse (`act`); bot/dialogue.py falls
back to `classify` when a parse has none (tests, button payloads, an older model).

    python -m bot.acts build [--out models/acts/acts.pkl]     # the model bot/ loads
    python -m bot.acts explain "my dad collapsed"              # scores for one message
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot import saved_models

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
ACT_DATA = ROOT / "data" / "acts"
NLU_DATA = ROOT / "data" / "nlu"
MODEL_PATH = ROOT / "models" / "acts" / "acts.pkl"

EMERGENCY = "emergency"
DIAGNOSIS_REQUEST = "diagnosis_request"
SHARED_DIAGNOSIS = "shared_diagnosis"
QUESTION = "question"
SMALL_TALK = "small_talk"
OFF_TOPIC = "off_topic"
ACTS = (EMERGENCY, DIAGNOSIS_REQUEST, SHARED_DIAGNOSIS, QUESTION, SMALL_TALK, OFF_TOPIC)
# The acts the second model chooses between (an emergency is the first model's decision).
OTHER_ACTS = (DIAGNOSIS_REQUEST, SHARED_DIAGNOSIS, QUESTION, SMALL_TALK, OFF_TOPIC)
# data/acts label for the look-alikes: negatives for the emergency model only.
LOOK_ALIKE = "not_emergency"

# NLU intents (data/nlu) -> act. Question kinds are questions; the rest say what they are.
NLU_ACTS = {
    "report_emergency": EMERGENCY,
    "ask_diagnose_me": DIAGNOSIS_REQUEST,
    "out_of_scope": OFF_TOPIC,
    "greet": SMALL_TALK,
    "goodbye": SMALL_TALK,
    "thanks": SMALL_TALK,
    "bot_challenge": SMALL_TALK,
    "ask_capabilities": SMALL_TALK,
    "inform_region": SMALL_TALK,
}
# synonyms.yml holds no examples; follow_ups.yml holds fragments that are questions only after an
# answer ("is it cancer then?", "which ones exactly"): the act of a message is decided on its own.
NLU_SKIP = ("synonyms.yml", "follow_ups.yml")

# Bump when the features or the training change (part of the model's fingerprint).
VERSION = "1"
RANDOM_STATE = 20261201


@dataclass(frozen=True)
class Example:
    text: str
    act: str  # one of ACTS, or LOOK_ALIKE
    source: str


@dataclass(frozen=True)
class ActResult:
    """The act of one message: the best act, its probability, the emergency probability and the
    calibrated probability of each non-emergency act."""

    act: str
    confidence: float
    emergency: float
    scores: Mapping[str, float] = field(default_factory=dict)
    # Share of the message's words the models have seen in training (gibberish: 0).
    known: float = 1.0

    def score(self, act: str) -> float:
        if act == EMERGENCY:
            return self.emergency
        return float(self.scores.get(act, 0.0))

    def as_dict(self) -> Dict[str, Any]:
        return {
            "name": self.act,
            "confidence": round(self.confidence, 4),
            "emergency": round(self.emergency, 4),
            "ranking": [{"name": k, "confidence": round(v, 4)} for k, v in sorted(self.scores.items(), key=lambda kv: -kv[1])],
            "known": round(self.known, 4),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Optional[ActResult]:
        """The act from a parse (`message["act"]`), or None when it is missing or malformed."""
        if not isinstance(data, Mapping):
            return None
        try:
            scores = {
                str(item["name"]): float(item["confidence"])
                for item in data.get("ranking") or []
                if isinstance(item, Mapping) and str(item.get("name")) in ACTS
            }
            act = str(data.get("name"))
            if act not in ACTS:
                return None
            known = float(data["known"]) if data.get("known") is not None else 1.0
            return cls(act, float(data.get("confidence") or 0.0), float(data.get("emergency") or 0.0), scores, known)
        except (KeyError, TypeError, ValueError):
            return None


# ------------------------------------------------------------------------------- text
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u201c": '"', "\u201d": '"'})
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """What the models read: NFKC, plain quotes, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES)
    return _SPACE.sub(" ", text).strip().lower()


# ------------------------------------------------------------------------------- data
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def _nlu_rows(path: Path) -> Iterable[Tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for item in data.get("nlu") or []:
        if not isinstance(item, Mapping) or "intent" not in item:
            continue
        for line in str(item.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield str(item["intent"]), _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line[2:]).strip()


def data_files(act_dir: Path = ACT_DATA, nlu_dir: Path = NLU_DATA) -> List[Path]:
    return sorted(act_dir.glob("*.yml")) + sorted(p for p in nlu_dir.glob("*.yml") if p.name not in NLU_SKIP)


def load_examples(act_dir: Path = ACT_DATA, nlu_dir: Path = NLU_DATA) -> List[Example]:
    """Act examples from data/acts, and data/nlu examples mapped to acts (question kinds ->
    question). Duplicate texts are kept once (the act-data label wins)."""
    seen: Dict[str, Example] = {}
    for path in sorted(act_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for act, texts in (data.get("examples") or {}).items():
            if act not in ACTS and act != LOOK_ALIKE:
                raise ValueError(f"{path.name}: unknown act {act!r}")
            for text in texts or []:
                key = normalise(str(text))
                if key and key not in seen:
                    seen[key] = Example(str(text), act, path.name)
    for path in sorted(p for p in nlu_dir.glob("*.yml") if p.name not in NLU_SKIP):
        for intent, text in _nlu_rows(path):
            key = normalise(text)
            if key and key not in seen:
                seen[key] = Example(text, NLU_ACTS.get(intent, QUESTION), f"{path.name}:{intent}")
    return list(seen.values())


def fingerprint(files: Optional[Sequence[Path]] = None) -> str:
    """Changes whenever the training data, this module or scikit-learn changes."""
    import sklearn

    digest = hashlib.sha256(f"{VERSION}|{sklearn.__version__}".encode())
    digest.update(Path(__file__).read_bytes())
    for path in files if files is not None else data_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------------------ model
class Features:
    """TF-IDF of word 1-2-grams and character 2-5-grams (within words), each part l2-normalised,
    side by side: the same numbers as scikit-learn's fitted `TfidfVectorizer`s (a test checks),
    computed directly for one message in a fraction of their per-call overhead."""

    def __init__(self, vectorizers: Sequence[Any]) -> None:
        for v in vectorizers:
            if hasattr(v, "stop_words_"):
                del v.stop_words_  # the n-grams cut by min_df: not needed, and large
        self.vectorizers = list(vectorizers)
        self._build()

    def _build(self) -> None:
        self.parts: List[Tuple[Any, Dict[str, int], Any, int]] = []
        offset = 0
        for v in self.vectorizers:
            self.parts.append((v.build_analyzer(), v.vocabulary_, v.idf_, offset))
            offset += len(v.vocabulary_)
        self.width = offset

    def __getstate__(self) -> Dict[str, Any]:
        return {"vectorizers": self.vectorizers}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.vectorizers = state["vectorizers"]
        self._build()

    def row(self, text: str) -> Tuple[Any, Any]:
        """Column indices and values of one (normalised) text."""
        import numpy as np

        indices: List[int] = []
        values: List[float] = []
        for analyzer, vocabulary, idf, offset in self.parts:
            counts: Dict[int, int] = {}
            for gram in analyzer(text):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            weights = tf * idf[cols]
            weights /= np.sqrt(np.dot(weights, weights))
            indices.extend((cols + offset).tolist())
            values.extend(weights.tolist())
        return np.asarray(indices, dtype=np.int64), np.asarray(values, dtype=np.float64)

    def known(self, text: str) -> float:
        """Share of the (normalised) text's words in the word vocabulary; 1.0 without words."""
        analyzer, vocabulary, _, _ = self.parts[0]
        words = [gram for gram in analyzer(text) if " " not in gram]
        return sum(1 for w in words if w in vocabulary) / len(words) if words else 1.0

    def matrix(self, texts: Sequence[str]) -> Any:
        from scipy.sparse import csr_matrix

        data: List[float] = []
        cols: List[int] = []
        indptr = [0]
        for text in texts:
            i, v = self.row(text)
            cols.extend(i.tolist())
            data.extend(v.tolist())
            indptr.append(len(cols))
        return csr_matrix((data, cols, indptr), shape=(len(texts), self.width))


def _sigmoid(x: Any) -> Any:
    import numpy as np

    return 1.0 / (1.0 + np.exp(-x))


class ActModel:
    """Features + the two linear models, kept as plain weight matrices so that one turn costs a
    feature pass and two sparse dot products (measured in results/safety.md)."""

    def __init__(
        self,
        features: Features,
        emergency: Tuple[Any, float],
        acts: Tuple[Any, Any, Any],
        names: Sequence[str],
        fingerprint: str,
        trained_on: int,
    ) -> None:
        self.features = features
        self.emergency_weights, self.emergency_bias = emergency
        # acts: weights (classes x width), biases (classes), calibration (classes x 2: a, b)
        self.act_weights, self.act_biases, self.calibration = acts
        self.names = tuple(names)
        self.fingerprint = fingerprint
        self.trained_on = trained_on

    def _scores(self, indices: Any, values: Any) -> Tuple[float, Any]:
        import numpy as np

        pe = float(_sigmoid(np.dot(self.emergency_weights[indices], values) + self.emergency_bias))
        decision = self.act_weights[:, indices] @ values + self.act_biases
        p = _sigmoid(self.calibration[:, 0] * decision + self.calibration[:, 1])
        total = float(p.sum())
        p = p / total if total > 0 else np.full(len(p), 1.0 / len(p))
        return pe, p

    def predict(self, text: str) -> ActResult:
        normalised = normalise(text)
        indices, values = self.features.row(normalised)
        pe, p = self._scores(indices, values)
        scores = {name: float(x) for name, x in zip(self.names, p, strict=True)}
        best = max((a for a in OTHER_ACTS if a in scores), key=lambda k: scores[k])
        known = self.features.known(normalised)
        if pe >= 0.5:  # the name is the models' own best guess; bot/safety.py applies the thresholds
            return ActResult(EMERGENCY, pe, pe, scores, known)
        return ActResult(best, scores[best], pe, scores, known)

    def predict_many(self, texts: Sequence[str]) -> List[ActResult]:
        return [self.predict(t) for t in texts]


def _vectorizers() -> List[Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return [
        TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w[\w']*\b", lowercase=False, sublinear_tf=True
        ),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, lowercase=False, sublinear_tf=True),
    ]


def _platt(decision: Any, positive: Any) -> Tuple[float, float]:
    """Platt scaling: p = sigmoid(a * decision + b) fitted on out-of-fold decisions."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=1000)
    lr.fit(decision.reshape(-1, 1), positive)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _linear(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=RANDOM_STATE)


LOOK_ALIKE_AS: Optional[str] = None  # look-alikes carry no label for the other acts
# Regularisation of the two models (inverse strength; chosen by cross-validation on data/acts).
EMERGENCY_C = 10.0
ACTS_C = 10.0
CALIBRATION_FOLDS = 5


def train(examples: Optional[Sequence[Example]] = None, files: Optional[Sequence[Path]] = None) -> ActModel:
    """Train both models on `examples` (default: data/acts + data/nlu). Deterministic."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    examples = list(examples if examples is not None else load_examples())
    texts = [normalise(e.text) for e in examples]
    vectorizers = _vectorizers()
    for v in vectorizers:
        v.fit(texts)
    features = Features(vectorizers)
    X = features.matrix(texts)

    y_emergency = np.array([1 if e.act == EMERGENCY else 0 for e in examples])
    emergency = _linear(EMERGENCY_C).fit(X, y_emergency)

    # The act model also learns what emergencies and their look-alikes read like (as `emergency`
    # and, mostly questions, `question`), so that neither is ever taken for off-topic text.
    label = {**{a: a for a in OTHER_ACTS}, EMERGENCY: EMERGENCY}
    if LOOK_ALIKE_AS:
        label[LOOK_ALIKE] = LOOK_ALIKE_AS
    rows = np.array([i for i, e in enumerate(examples) if e.act in label])
    Xa = X[rows]
    ya = np.array([label[examples[i].act] for i in rows])
    names = sorted(set(ya))
    # Out-of-fold decisions for the calibration, then the final one-vs-rest model on everything.
    oof = np.zeros((len(rows), len(names)))
    for fit_rows, held in StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=RANDOM_STATE).split(Xa, ya):
        fold = _linear(ACTS_C).fit(Xa[fit_rows], ya[fit_rows])
        oof[held] = fold.decision_function(Xa[held])
    final = _linear(ACTS_C).fit(Xa, ya)
    assert list(final.classes_) == names
    calibration = np.array([_platt(oof[:, k], (ya == name).astype(int)) for k, name in enumerate(names)])
    return ActModel(
        features,
        (emergency.coef_[0].copy(), float(emergency.intercept_[0])),
        (final.coef_.copy(), final.intercept_.copy(), calibration),
        names,
        fingerprint(files),
        len(examples),
    )


def save(model: ActModel, path: Path = MODEL_PATH) -> None:
    saved_models.save(model, path)


def load(path: Path = MODEL_PATH) -> Optional[ActModel]:
    """The saved model (built by `python -m bot.acts build` from this project's data), or None."""
    model: Optional[ActModel] = saved_models.load(path, ActModel)
    return model


def current_fingerprint() -> str:
    """`fingerprint()` of the current data, recomputed only when a file's size or time changes."""
    return saved_models.stamped_fingerprint(fingerprint, data_files())


def get_model(path: Path = MODEL_PATH) -> ActModel:
    """The model for the current data: the saved one when its fingerprint matches, else trained
    in memory (once per process)."""
    model: ActModel = saved_models.current(path, current_fingerprint(), ActModel, train)
    return model


def classify(text: str) -> ActResult:
    return get_model().predict(text)


# -------------------------------------------------------------------------------- CLI
def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="train and save the act model")
    build.add_argument("--out", type=Path, default=MODEL_PATH)
    explain = sub.add_parser("explain", help="scores for messages")
    explain.add_argument("texts", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "build":
        started = time.perf_counter()
        model = train()
        save(model, args.out)
        print(
            f"act model: {model.trained_on} examples, fingerprint {model.fingerprint}, {time.perf_counter() - started:.1f} s -> {args.out}"
        )
        return 0
    model = get_model()
    for text in args.texts:
        r = model.predict(text)
        ranking = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r.scores.items(), key=lambda kv: -kv[1]))
        print(f"{text!r}: emergency {r.emergency:.3f}; {ranking}")
    return 0


if __name__ == "__main__":
    # Run as bot.acts (not __main__), so that a saved model names its classes by their module.
    from bot.acts import main as _main

    sys.exit(_main())

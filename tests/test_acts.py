"""The act classifier (bot/acts.py) and its Rasa NLU component (issue 11).

What a message does is decided before what it is about: these tests check the training data,
the model's arithmetic, that the act reaches the dialogue through the parse, and the decisions
bot/dialogue.py takes on it. Scores on the banks are in results/safety.md (`make safety-report`).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

from bot import acts, safety
from bot.dialogue import Turn, respond

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def examples() -> List[acts.Example]:
    return acts.load_examples()


@pytest.fixture(scope="module")
def small(examples) -> acts.ActModel:
    """A model trained on a few examples of each act (fast; for the arithmetic and the component)."""
    per_act: Dict[str, int] = Counter()
    chosen = []
    for example in examples:
        if per_act[example.act] < 30:
            per_act[example.act] += 1
            chosen.append(example)
    return acts.train(chosen)


@pytest.fixture(scope="module")
def model() -> acts.ActModel:
    return acts.get_model()


# ------------------------------------------------------------------------------ the data
def test_the_act_data_has_emergencies_and_look_alikes_in_equal_measure(examples):
    counts = Counter(e.act for e in examples if e.source.startswith(tuple(p.name for p in acts.ACT_DATA.glob("*.yml"))))
    assert counts[acts.EMERGENCY] + counts[acts.LOOK_ALIKE] >= 2000
    assert 0.8 <= counts[acts.EMERGENCY] / counts[acts.LOOK_ALIKE] <= 1.25
    for act in acts.ACTS:
        assert counts[act] >= 50, act


def test_the_act_data_comes_from_several_writers(examples):
    writers = {e.source for e in examples if not e.source.endswith(tuple(acts.NLU_ACTS)) and ":" not in e.source}
    assert len(writers) >= 3


def test_nlu_examples_are_mapped_to_acts(examples):
    from_nlu = [e for e in examples if ":" in e.source]
    assert from_nlu
    for example in from_nlu:
        intent = example.source.split(":", 1)[1]
        assert example.act == acts.NLU_ACTS.get(intent, acts.QUESTION)


def test_an_unknown_act_in_the_data_is_refused(tmp_path):
    (tmp_path / "bad.yml").write_text("examples:\n  panic:\n    - hello\n", encoding="utf-8")
    with pytest.raises(ValueError, match="panic"):
        acts.load_examples(tmp_path, tmp_path)


def test_the_fingerprint_follows_the_data(tmp_path):
    a = tmp_path / "a.yml"
    a.write_text("examples:\n  question:\n    - what is a NET\n", encoding="utf-8")
    before = acts.fingerprint([a])
    a.write_text("examples:\n  question:\n    - what is a NET?\n", encoding="utf-8")
    assert acts.fingerprint([a]) != before


# ----------------------------------------------------------------------------- the model
def test_the_fast_features_equal_scikit_learns(small, examples):
    from scipy.sparse import hstack

    texts = [acts.normalise(e.text) for e in examples[:300]]
    ours = small.features.matrix(texts).toarray()
    theirs = hstack([v.transform(texts) for v in small.features.vectorizers]).toarray()
    assert np.allclose(ours, theirs)


def test_training_is_deterministic(small, examples):
    again = acts.train([e for e in examples if e in set(_small_examples(examples))])
    for text in ("my dad collapsed", "what is a NET?", "do I have cancer?"):
        assert again.predict(text) == small.predict(text)


def _small_examples(examples: List[acts.Example]) -> List[acts.Example]:
    per_act: Dict[str, int] = Counter()
    chosen = []
    for example in examples:
        if per_act[example.act] < 30:
            per_act[example.act] += 1
            chosen.append(example)
    return chosen


def test_the_scores_are_probabilities(small):
    result = small.predict("my mum was diagnosed with a NET, what is it?")
    assert 0.0 <= result.emergency <= 1.0
    assert set(acts.OTHER_ACTS) <= set(result.scores)
    assert abs(sum(result.scores.values()) - 1.0) < 1e-6


def test_a_saved_model_loads_and_predicts_the_same(small, tmp_path):
    path = tmp_path / "acts.pkl"
    acts.save(small, path)
    loaded = acts.load(path)
    assert loaded is not None and loaded.fingerprint == small.fingerprint
    assert loaded.predict("help my husband can't breathe") == small.predict("help my husband can't breathe")


def test_an_unreadable_model_file_is_not_trusted(tmp_path):
    path = tmp_path / "acts.pkl"
    path.write_bytes(b"not a pickle")
    assert acts.load(path) is None


def test_a_stale_saved_model_is_replaced_by_one_trained_on_the_current_data(small, tmp_path, monkeypatch):
    import copy

    path = tmp_path / "acts.pkl"
    stale = copy.copy(small)
    stale.fingerprint = "trained-on-other-data"
    acts.save(stale, path)
    trained: list = []

    def train(*args: object, **kwargs: object) -> object:
        trained.append(1)
        return small

    monkeypatch.setattr(acts, "train", train)
    acts.get_model(path)
    assert trained == [1]


def test_gibberish_is_mostly_unknown_words(model):
    assert model.predict("blorp fizzle wug").known < 0.5
    assert model.predict("what are the symptoms of a NET?").known == 1.0


def test_the_act_round_trips_through_the_parse_format(small):
    result = small.predict("my dad has collapsed")
    again = acts.ActResult.from_dict(result.as_dict())
    assert again is not None
    assert again.act == result.act and abs(again.emergency - result.emergency) < 1e-4
    assert acts.ActResult.from_dict({"name": "nonsense"}) is None
    assert acts.ActResult.from_dict("emergency") is None
    assert acts.ActResult.from_dict(None) is None


@pytest.mark.parametrize(
    "text, act",
    [
        ("my wife has just collapsed on the kitchen floor and I can't wake her", acts.EMERGENCY),
        ("HELP my son can't breathe and his lips look blue", acts.EMERGENCY),
        ("do I have a neuroendocrine tumour?", acts.DIAGNOSIS_REQUEST),
        ("what are the symptoms of a pancreatic NET?", acts.QUESTION),
        ("thanks, that was helpful", acts.SMALL_TALK),
        ("can you recommend a good pizza place near me?", acts.OFF_TOPIC),
    ],
)
def test_plain_messages_get_the_plain_act(model, text, act):
    result = model.predict(text)
    threshold = safety.act_thresholds()["emergency"]
    if act == acts.EMERGENCY:
        assert result.emergency >= threshold, result
    else:
        assert result.emergency < threshold, result
        assert result.act == act, result


def test_one_turn_costs_well_under_five_milliseconds_of_cpu(model):
    texts = [
        "my dad was diagnosed with a pancreatic NET last year and now he's flushing a lot, what can help?",
        "what is carcinoid syndrome?",
        "she has collapsed",
    ] * 50
    model.predict(texts[0])
    started = time.process_time()
    for text in texts:
        model.predict(text)
    per_turn_ms = (time.process_time() - started) / len(texts) * 1000
    assert per_turn_ms < 5.0, per_turn_ms


# ------------------------------------------------------------------- the Rasa component
@pytest.fixture
def component(small, tmp_path, monkeypatch):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    from bot.serving.nlu.act_classifier import ActClassifier

    monkeypatch.setattr(acts, "train", lambda *a, **k: small)
    storage = LocalModelStorage(tmp_path)
    resource = Resource("act_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    return ActClassifier, storage, resource, context


def test_the_component_trains_stores_loads_and_puts_the_act_in_the_parse(component, small):
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    cls, storage, resource, context = component
    trained = cls.create(cls.get_default_config(), storage, resource, context)
    trained.train(TrainingData())
    loaded = cls.load(cls.get_default_config(), storage, resource, context)
    message = Message.build("my dad has collapsed and won't wake up")
    loaded.process([message])
    out = message.as_dict(only_output_properties=True)  # what Rasa 3.6 keeps of a parse
    assert out["act"] == small.predict("my dad has collapsed and won't wake up").as_dict()
    # A button payload and an empty message get no act.
    payload, empty = Message.build('/ask_symptoms{"net_type":"net"}'), Message.build("   ")
    loaded.process([payload, empty])
    assert payload.get("act") is None and empty.get("act") is None


def test_the_component_fingerprint_follows_the_act_data():
    from bot.serving.nlu.act_classifier import ActClassifier

    assert ActClassifier.fingerprint_addon({}) == acts.fingerprint()


def test_the_component_is_in_the_pipeline():
    import yaml

    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    assert "bot.serving.nlu.act_classifier.ActClassifier" in [step["name"] for step in pipeline]


# ----------------------------------------------------------- the act decides the dialogue
def _parse(text: str, act: acts.ActResult, intent: str = "ask_definition", confidence: float = 0.9) -> Dict:
    return {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [], "act": act.as_dict()}


def test_the_act_from_the_parse_is_used(kb):
    # No warning sign in the words, but the NLU's act classifier is sure: the urgent reply first.
    alarmed = acts.ActResult(acts.EMERGENCY, 0.97, 0.97, {"question": 0.5, "off_topic": 0.5})
    reply = respond(Turn.from_parse(_parse("please come quickly, something is very wrong with him", alarmed)), kb)
    assert reply.kind == "emergency"
    assert reply.text.startswith("This may be a medical emergency")
    off = acts.ActResult(acts.OFF_TOPIC, 0.97, 0.01, {"off_topic": 0.97, "question": 0.03})
    reply = respond(Turn.from_parse(_parse("how long should I boil an egg?", off)), kb)
    assert reply.kind == "out_of_scope"


def test_without_an_act_in_the_parse_the_bot_classifies_the_text(kb):
    reply = respond(
        Turn.from_parse(
            {"text": "my husband has collapsed and isn't breathing", "intent": {"name": "greet", "confidence": 0.99}}
        ),
        kb,
    )
    assert reply.kind == "emergency"


def test_a_shared_diagnosis_is_answered_with_a_kind_word_not_refused(kb):
    shared = acts.ActResult(
        acts.SHARED_DIAGNOSIS, 0.9, 0.01, {"shared_diagnosis": 0.9, "diagnosis_request": 0.05, "question": 0.05}
    )
    text = "My mum was diagnosed with carcinoid syndrome in May. What are its symptoms?"
    reply = respond(Turn.from_parse(_parse(text, shared, "ask_symptoms")), kb)
    assert reply.kind == "answer"
    assert reply.text.startswith(str(kb.messages["shared_diagnosis"]).strip())
    assert "I can't tell whether you" not in reply.text


def test_a_real_diagnosis_request_is_never_answered_as_context(kb):
    # The classifier unsure, the rules sure and no diagnosis stated: the no-diagnosis reply.
    unsure = acts.ActResult(acts.QUESTION, 0.4, 0.01, {"question": 0.4, "shared_diagnosis": 0.35, "diagnosis_request": 0.25})
    for text in ("do I have a NET?", "is this a NET? I flush after wine", "just tell me yes or no, is it carcinoid syndrome"):
        reply = respond(Turn.from_parse(_parse(text, unsure, "ask_diagnose_me")), kb)
        assert reply.kind == "diagnosis", text


def test_pets_and_other_nets_are_off_topic_whatever_the_classifier_says(kb):
    calm = acts.ActResult(acts.QUESTION, 0.9, 0.01, {"question": 0.9, "off_topic": 0.1})
    for text in ("my rabbit has a lump on her side, is it a tumour?", "how do I work out net pay from gross pay?"):
        reply = respond(Turn.from_parse(_parse(text, calm)), kb)
        assert reply.kind == "out_of_scope", text
        assert reply.entry is None


def test_every_act_reply_ends_with_the_disclaimer_and_referral(kb):
    from bot.referral import referral_text

    for text in (
        "my dad collapsed",
        "do I have carcinoid syndrome?",
        "my husband has a lung NET, what is it?",
        "what's the weather tomorrow?",
        "hello",
    ):
        reply = respond(Turn(text), kb)
        assert reply.text.endswith(referral_text(kb, None)), text
        assert "not a doctor" in reply.text, text


def _emergency_scores(p_emergency: float) -> acts.ActResult:
    """The act classifier's output with the given emergency probability (the input decide_act weighs)."""
    return acts.ActResult(acts.EMERGENCY, p_emergency, p_emergency, {acts.QUESTION: 1.0 - p_emergency})


@pytest.mark.parametrize(
    "text", ["my sats are 97% on the monitor and I'm breathing fine, is that normal?", "readings today: HR 70, BP 120/80"]
)
def test_readings_in_the_normal_range_need_a_surer_classifier(text):
    t = safety.act_thresholds()
    assert safety.check_emergency(text).settled, text
    doubtful = (t["emergency"] + t["emergency_settled"]) / 2
    assert safety.decide_act(text, (), None, 0.0, _emergency_scores(doubtful)).act != acts.EMERGENCY
    assert safety.decide_act(text, (), None, 0.0, _emergency_scores(t["emergency_settled"])).act == acts.EMERGENCY


def test_a_normal_reading_does_not_quiet_a_sign_happening_now():
    text = "his sats say 97% but he has collapsed and we can't wake him"
    assert safety.decide_act(text, (), None, 0.0, _emergency_scores(0.3)).act == acts.EMERGENCY


def test_a_sign_read_as_past_leaves_the_classifier_its_say():
    """Only contexts marked `calms_classifier` quiet it: tense is misread too often."""
    text = "The wound burst open and there's blood all over the bathroom floor, I was only discharged on Monday"
    check = safety.check_emergency(text)
    assert not check.settled or check.emergency
    t = safety.act_thresholds()
    assert safety.decide_act(text, (), None, 0.0, _emergency_scores(t["emergency"])).act == acts.EMERGENCY


@pytest.mark.parametrize("text", ["I keep thinking about ending my life", "my son keeps talking about killing himself"])
def test_thinking_about_self_harm_is_not_a_topic(text):
    assert safety.check_emergency(text).emergency, text

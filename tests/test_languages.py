"""Messages written in another language (bot/languages.py, issue 14 item 7): the fixed reply in
that language, with the emergency numbers of the bot's emergency reply, then the usual English
closing; a clear English question alongside is answered; English (typos, names of places, people
and medicines, very short messages) never gets it.

The foreign messages are tests/data/other_languages.yml (written for these tests, never used to
choose a threshold); the English ones are every message of the banks the thresholds were chosen
on (tests/blind is never read)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from bot import languages, referral, safety
from bot.config import PROJECT_ROOT
from bot.dialogue import Turn, respond
from bot.referral import REGIONS
from evaluation.safety_checks import check_disclaimer_then_referral, check_other_language_reply


def _mixed_languages(path: Path) -> bool:
    return bool((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("mixed_languages"))


_ACT_FILES = {path: _mixed_languages(path) for path in (PROJECT_ROOT / "data" / "acts").glob("*.yml")}
DATA = yaml.safe_load((PROJECT_ROOT / "tests" / "data" / "other_languages.yml").read_text(encoding="utf-8"))
FOREIGN: Dict[str, Dict[str, List[str]]] = DATA["languages"]
IN_BANKS: Dict[str, str] = DATA["in_banks"]
BANKS = sorted(
    [PROJECT_ROOT / "tests" / name for name in ("question_bank.yml", "question_bank_fresh.yml", "question_bank_unseen.yml")]
    + [PROJECT_ROOT / "tests" / "safety_cases.yml"]
    + list((PROJECT_ROOT / "data" / "nlu").rglob("*.yml"))
    + [path for path, mixed in _ACT_FILES.items() if not mixed]
)
# data/acts persona files that mix in messages wholly in other languages, on purpose (`mixed_languages: true`)
MIXED_ACT_FILES = sorted(path for path, mixed in _ACT_FILES.items() if mixed)
MIN_DETECTED_PER_LANGUAGE = 10  # of the 12 messages of each language
MIN_DETECTED_OVERALL = 0.95
MAX_MEAN_CPU_MS = 5.0
# Mixed messages with the intent the NLU gives their English question, and the answer expected.
MIXED_ANSWERS = [
    ("bonjour! what is carcinoid syndrome?", "ask_definition", "carcinoid_syndrome"),
    ("Hola, what are the symptoms of a neuroendocrine tumour?", "ask_symptoms", "common_symptoms"),
    ("你好, what are the symptoms of carcinoid syndrome?", "ask_symptoms", "carcinoid_syndrome_symptoms"),
    ("مرحبا, what is a neuroendocrine tumour?", "ask_definition", "what_is_net"),
    ("Привет, what is a pancreatic NET?", "ask_definition", "pancreatic_nets"),
]


def bank_texts(path: Path) -> List[str]:
    """Every message of a bank: `text` and `context` values, and Rasa's `examples: |` lines
    (entity markup removed), wherever they are in the file."""
    found: List[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "context") and isinstance(value, str):
                    found.append(value)
                elif key == "examples" and isinstance(value, str):
                    for line in value.splitlines():
                        if line.strip().startswith("- "):
                            found.append(re.sub(r"\[([^\]]*)\](\{[^}]*\}|\([^)]*\))", r"\1", line.strip()[2:]))
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                if isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


def expected_text(kb, code: str, region=None) -> str:
    return languages.texts().languages[code].text.format(numbers=languages.emergency_numbers(kb, region))


def reply_languages(kb, reply, region=None) -> List[str]:
    """The languages whose text the reply's body carries, in order."""
    lines = reply.body.split("\n")
    return [code for line in lines for code in languages.texts().languages if line == expected_text(kb, code, region)]


# ------------------------------------------------------------------------------ the data
def test_every_language_has_a_reply_text_with_the_numbers_placeholder_and_test_messages():
    texts = languages.texts()
    classes = set(languages._identifier().nb_classes)
    assert len(texts.languages) >= 20
    assert set(texts.languages) == set(FOREIGN)
    for code, language in texts.languages.items():
        assert code in classes, code
        assert "{numbers}" in language.text and not re.search(r"\d", language.text), code
        assert len(FOREIGN[code]["messages"]) >= 10, code
    for text in (texts.english, texts.fallback):
        assert "{numbers}" in text and not re.search(r"\d", text)
    for text in [language.no_diagnosis for language in texts.languages.values()] + [texts.no_diagnosis_english]:
        assert text and not re.search(r"\d", text), text


def test_each_reply_text_reads_as_its_own_language():
    """py3langid reads each text of languages.yml as the language it is filed under (among the
    languages of its script, and English for the Latin ones)."""
    texts = languages.texts()
    for code, language in texts.languages.items():
        candidates = texts.in_script(language.script) + ([languages.ENGLISH] if language.script == languages.LATIN else [])
        found = languages.probabilities(language.text.replace("{numbers}", ""), candidates)
        assert max(found, key=lambda c: found[c]) == code, (code, found)


# ------------------------------------------------------------------------------ other languages
@pytest.mark.parametrize("code", sorted(FOREIGN))
def test_messages_in_another_language_get_the_reply_in_that_language(kb, code):
    detected: List[str] = []
    wrong: List[str] = []
    for text in FOREIGN[code]["messages"]:
        reply = respond(Turn(text, "nlu_fallback", 0.3), kb)
        # An emergency in that language gets the urgent-care reply first, then the same note.
        # A request for a diagnosis in it, the no-diagnosis sentence in that language first.
        if reply.kind not in (languages.KIND, "emergency", languages.DIAGNOSIS_KIND):
            continue
        (detected if reply_languages(kb, reply) == [code] else wrong).append(text)
    assert wrong == [], f"the reply in another language than {code}"
    assert len(detected) >= MIN_DETECTED_PER_LANGUAGE, (len(detected), len(FOREIGN[code]["messages"]))


def test_most_messages_in_other_languages_are_recognised():
    messages = [(code, text) for code, item in FOREIGN.items() for text in item["messages"]]
    found = [code for code, text in messages if languages.detect(text).language == code]
    assert len(found) / len(messages) >= MIN_DETECTED_OVERALL, f"{len(found)}/{len(messages)}"


@pytest.mark.parametrize("code", sorted(FOREIGN))
def test_a_short_greeting_gets_small_talk_or_its_own_language_never_another(kb, code):
    for text in FOREIGN[code].get("short", []):
        reply = respond(Turn(text, "greet", 0.6), kb)
        if reply.kind == languages.KIND:
            assert code in reply_languages(kb, reply), (text, reply.body)


def test_an_emergency_in_another_language_gets_the_urgent_reply_then_its_note_whatever_the_intent(kb):
    text = FOREIGN["fr"]["messages"][3]  # "Au secours, mon mari respire très mal ..."
    for intent, confidence in (("report_emergency", 0.95), ("greet", 0.9), ("nlu_fallback", 0.1)):
        reply = respond(Turn(text, intent, confidence, region="uk"), kb)
        assert reply.kind == "emergency"
        assert reply.body.startswith(referral.emergency_text(kb, "uk"))
        assert expected_text(kb, "fr", "uk") in reply.body


@pytest.mark.parametrize("region", list(REGIONS) + [None])
@pytest.mark.parametrize("code", ["fr", "pl", "tr", "ar", "zh", "hi", "ru", "ja"])
def test_the_reply_has_the_emergency_numbers_then_the_disclaimer_and_referral(kb, code, region):
    reply = respond(Turn(FOREIGN[code]["messages"][0], "nlu_fallback", 0.3, region=region), kb)
    check_other_language_reply(kb, reply, expected_text(kb, code, region), region)
    lines = reply.body.split("\n")
    assert lines[1] == languages.texts().english.format(numbers=languages.emergency_numbers(kb, region))
    assert reply.buttons == [] and reply.sources == ()


def test_the_numbers_are_those_of_the_emergency_reply(kb):
    assert languages.emergency_numbers(kb, None) == "911, 999, 112"
    assert languages.emergency_numbers(kb, "uk") == "999, 112"
    assert languages.emergency_numbers(kb, "us") == languages.emergency_numbers(kb, "canada") == "911"
    assert languages.emergency_numbers(kb, "elsewhere") == "112"


def test_unsure_between_languages_of_a_script_the_reply_gives_each_text(kb):
    detection = languages.detect("مرحبا")
    assert detection.language == "ar" and detection.also, detection
    reply = languages.reply_for(kb, detection, None)
    assert reply_languages(kb, reply) == [detection.language, *detection.also]
    sure = languages.detect(FOREIGN["ar"]["messages"][0])
    assert sure.language == "ar" and sure.also == ()


def test_a_script_no_language_of_the_file_uses_gets_the_english_notice(kb):
    reply = respond(Turn("สวัสดีครับ ผมมีคำถามเกี่ยวกับเนื้องอก", "nlu_fallback", 0.2), kb)
    check_other_language_reply(kb, reply, languages.texts().fallback.format(numbers=languages.emergency_numbers(kb, None)), None)


# ------------------------------------------------------------------------------ English
@pytest.mark.parametrize("bank", BANKS, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_no_english_message_of_the_banks_gets_the_reply(bank):
    """Without the subjects the bot's vocabulary would find (they only add English words), so
    this is stricter than the dialogue; the few messages written wholly in another language are
    listed in the data file and get that language."""
    assert "blind" not in bank.parts
    flagged = {}
    for text in bank_texts(bank):
        found = languages.detect(text).language
        if found is not None:
            flagged[text] = found
    assert flagged == {text: code for text, code in IN_BANKS.items() if text in flagged}, flagged
    assert all(text in flagged for text in IN_BANKS if text in bank_texts(bank))


@pytest.mark.parametrize("path", MIXED_ACT_FILES, ids=lambda p: p.name)
def test_act_files_marked_as_mixed_really_hold_messages_in_other_languages(path: Path) -> None:
    """A file is skipped above only when it says so and the detector finds other languages in it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    texts = [t for texts in data["examples"].values() for t in texts]
    assert sum(1 for t in texts if languages.detect(t).language is not None) >= 5


def test_the_listed_bank_messages_in_another_language_are_in_the_banks():
    everything = {text for bank in BANKS for text in bank_texts(bank)}
    assert set(IN_BANKS) <= everything
    assert sum(len(bank_texts(bank)) for bank in BANKS) > 9000


def test_tricky_english_never_gets_the_reply(kb):
    for text in DATA["english"]:
        reply = respond(Turn(text, "nlu_fallback", 0.3), kb)
        assert reply.kind != languages.KIND, text


def test_a_mixed_message_with_an_english_question_is_answered(kb):
    for text in DATA["mixed"]:
        assert respond(Turn(text, "nlu_fallback", 0.3), kb).kind != languages.KIND, text
    for text, intent, entry in MIXED_ANSWERS:
        reply = respond(Turn(text, intent, 0.9), kb)
        assert reply.kind == "answer" and reply.entry == entry, (text, reply.kind, reply.entry)


def test_names_typed_english_short_text_and_payloads_are_not_checked(kb):
    assert languages.detect("Clínica Universidad de Navarra").reason == "names"
    assert languages.detect("Hôpital Européen Georges Pompidou Paris").reason == "names"
    assert languages.detect("VHL von Hippel Lindau").reason == "names"
    # py3langid reads it as Polish, and "mi", "iz" are Polish stop words: no word shows Polish.
    assert languages.detect("hlp mi mum iz blu").reason == "no foreign word"
    assert languages.foreign_words("Il carcinoide è un tumore maligno?", "it") >= 1
    assert languages.detect("merci beaucoup").reason == "too short"
    assert languages.detect_other('/ask_definition{"net_type":"net"}', []) is None
    assert languages.detect_other("", []) is None


def test_the_thresholds_come_from_the_settings(monkeypatch):
    text = FOREIGN["fr"]["messages"][0]
    assert languages.detect(text).language == "fr"
    monkeypatch.setenv("NETBOT_LANGUAGE_MIN_WORDS", "40")
    assert languages.detect(text).language is None
    monkeypatch.setenv("NETBOT_LANGUAGE_MIN_WORDS", "4")
    monkeypatch.setenv("NETBOT_LANGUAGE_MAX_ENGLISH_SHARE", "-1")
    assert languages.detect(text).reason == "English words"
    monkeypatch.setenv("NETBOT_LANGUAGE_MAX_ENGLISH_SHARE", "0.3")
    monkeypatch.setenv("NETBOT_LANGUAGE_FOREIGN_WORDS", "99")
    assert languages.detect(text).reason == "no foreign word"
    monkeypatch.setenv("NETBOT_LANGUAGE_SCRIPT_SHARE", "1.01")
    assert languages.detect(FOREIGN["zh"]["messages"][0]).language is None


def test_the_check_is_cheap():
    texts = bank_texts(PROJECT_ROOT / "tests" / "question_bank.yml")
    languages.detect(texts[0])  # loads the model and the word list once
    start = time.process_time()
    for text in texts:
        languages.detect(text)
    mean_ms = (time.process_time() - start) / len(texts) * 1000
    assert mean_ms < MAX_MEAN_CPU_MS, f"{mean_ms:.2f} ms a message"


# ------------------------------------------------------------------------------ diagnosis requests
def _request_words() -> Dict[str, Any]:
    """Each language file's `diagnosis_request` (data/safety/other_languages/)."""
    return {
        code: doc["diagnosis_request"]
        for code, doc in safety.lexicon().raw["other_languages"].items()
        if "diagnosis_request" in doc
    }


def test_every_reply_language_has_words_for_a_request_for_a_diagnosis_with_examples():
    words = _request_words()
    assert set(languages.texts().languages) <= set(words)
    for code, block in words.items():
        assert block["patterns"] and len(block["positive"]) >= 10 and len(block["negative"]) >= 10, code


def test_requests_for_a_diagnosis_in_other_languages_are_found_and_their_look_alikes_are_not():
    """The negatives (general questions, a diagnosis told as context, thanks) are checked against
    every language's words, as the bot reads them."""
    missed, wrong = [], []
    for code, block in _request_words().items():
        missed += [f"{code}: {t}" for t in block["positive"] if not safety.asks_for_diagnosis_in_other_language(t)]
        wrong += [f"{code}: {t}" for t in block["negative"] if safety.asks_for_diagnosis_in_other_language(t)]
    assert missed == [] and wrong == []


@pytest.mark.parametrize(
    "code, text",
    [
        ("es", "Tengo diarrea y sofocos desde hace meses. ¿Tengo un tumor neuroendocrino?"),
        ("de", "Mein Arzt hat einen Schatten auf der Leber gesehen. Hat sich mein Tumor ausgebreitet?"),
        ("fr", "Est-ce que ma tumeur est maligne ? Le compte rendu parle de TNE de grade 2."),
    ],
)
def test_a_request_for_a_diagnosis_in_another_language_gets_no_diagnosis_in_that_language_first(kb, code, text):
    reply = respond(Turn(text, "nlu_fallback", 0.3, region="uk"), kb)
    texts = languages.texts()
    lines = reply.body.split("\n")
    assert reply.kind == languages.DIAGNOSIS_KIND, (reply.kind, text)
    assert lines[:2] == [texts.languages[code].no_diagnosis, expected_text(kb, code, "uk")]
    assert lines[2:] == [texts.no_diagnosis_english, texts.english.format(numbers=languages.emergency_numbers(kb, "uk"))]
    check_disclaimer_then_referral(kb, reply.text, "uk")


def test_a_general_question_or_a_diagnosis_told_in_another_language_gets_only_the_note(kb):
    for text in ("¿Qué es un tumor neuroendocrino?", "Mi madre tiene un tumor neuroendocrino de páncreas. ¿Cómo se trata?"):
        reply = respond(Turn(text, "nlu_fallback", 0.3, region="uk"), kb)
        check_other_language_reply(kb, reply, expected_text(kb, "es", "uk"), "uk")

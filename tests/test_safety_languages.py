"""The act decision's newer classes (issue 11, acts bank v4): warning signs written in other
languages, emergencies played down ("probably nothing but ..."), diagnosis requests in the forms
the rules missed, symptom patterns in a request for a diagnosis, and off-topic questions with
medical words. Every example here was written for these tests (none is a bank sentence); the
data's own examples are checked too (data/safety/other_languages/)."""

from __future__ import annotations

import pytest

from bot import safety
from bot.acts import ActResult
from bot.dialogue import Turn, respond


def _calm(emergency: float = 0.1, diagnosis: float = 0.0, off_topic: float = 0.0) -> ActResult:
    """Scores of a classifier that reads a plain question (the rules alone decide the emergency)."""
    scores = {"question": max(0.0, 1.0 - diagnosis - off_topic), "diagnosis_request": diagnosis, "off_topic": off_topic}
    return ActResult("question", scores["question"], emergency, scores)


# ------------------------------------------------------------------------ other languages
def test_every_sign_in_another_language_finds_its_examples_and_not_its_look_alikes():
    lexicon = safety.lexicon()
    problems = []
    for code, language in lexicon.raw["other_languages"].items():
        for name, entry in language["signs"].items():
            assert entry["positive"] and entry["negative"], f"{code} {name}: positive and negative examples"
            whole = (lexicon.other_languages or {})[name]
            for pattern in entry["patterns"]:
                one = safety._join([pattern])
                assert one is not None
                if not any(one.search(safety.fold(t)) for t in entry["positive"]):
                    problems.append(f"{code} {name}: no positive example for {pattern!r}")
            problems += [f"{code} {name} misses {t!r}" for t in entry["positive"] if not whole.search(safety.fold(t))]
            problems += [f"{code} {name} finds {t!r}" for t in entry["negative"] if whole.search(safety.fold(t))]
            problems += [
                f"{code} {name}: the English words find {t!r}"
                for t in entry["negative"]
                if lexicon.signs[name].search(safety.fold(t))
            ]
    assert not problems, "\n".join(problems)


def test_folding_keeps_positions_and_drops_accents():
    for text in ("Mi mamá está desmayada", "Zemdlała, straciła przytomność", "Ağrı", "ça dure", "마음", "चक्कर"):
        assert len(safety.fold(text)) == len(text)
    assert safety.fold("está desmayada, no respiró") == "esta desmayada, no respiro"
    assert safety.fold("straciła przytomność") == "stracila przytomnosc"


@pytest.mark.parametrize(
    "text",
    [
        "Hilfe, meine Schwester ist bewusstlos und atmet kaum",
        "mon mari fait un malaise, il ne répond plus",
        "mi hermano no respira bien y tiene los labios morados",
        "mi hermano no respira bien",  # typed without accents too
        "minha filha desmaiou e nao acorda",
        "mia nonna ha un dolore al petto fortissimo",
        "babcia zemdlała i nie reaguje",
        "si lola ay nahimatay at walang malay",
        "mere bhai ko seene mein dard ho raha hai",
        "mera beta behosh ho gaya",
        "le glucomètre affiche 1,8 et il transpire, elle est tres confuse",
        "la glycémie est à 0,28 g/L",
        "Blutdruck 72/40, er ist knallrot und hat Herzrasen",
        "он без сознания",
        "我爸爸晕倒了",
        # Polish, Turkish and Greek
        "mój tata kaszle krwią",
        "babcia nie może złapać tchu",
        "mama dusi się",
        "yüzü kıpkırmızı ve hırıltılı nefes alıyor",
        "babam nefes alamıyor",
        "annemin tansiyonu 70/40, başı dönüyor",
        "έχει πολύ δυνατό πόνο στην κοιλιά και κάνει εμετό",
        "η κοιλιά του είναι σκληρή και κάνει εμετούς",
        "δεν μπορεί να αναπνεύσει",
    ],
)
def test_an_emergency_in_another_language_is_found_by_the_rules(text):
    check = safety.check_emergency(text)
    assert check.emergency and check.foreign, (text, check)


@pytest.mark.parametrize(
    "text",
    [
        "¿Qué es una crisis carcinoide? Lo leí en un folleto",
        "Mi tío se desmayó hace cinco años, ¿es hereditario?",
        "Il y a trois ans ma soeur a perdu connaissance à cause du sucre",
        "Was tun, wenn mein Vater plötzlich bewusstlos wird?",
        "la glycémie était 1,10 g/L ce matin",
        "Bonjour, je voudrais des informations sur le syndrome carcinoïde",
        "respira hondo antes de la prueba",
    ],
)
def test_a_look_alike_in_another_language_is_not_an_emergency(text):
    assert not safety.check_emergency(text).emergency, text


def test_the_classifier_never_overrules_signs_in_another_language():
    text = "mi padre no responde y no respira"
    doubtful = _calm(emergency=0.0)
    assert safety.decide_act(text, scores=doubtful).act == "emergency"
    # English words the classifier all but rules out are still overruled (the floor).
    assert safety.decide_act("this paperwork makes me want to pass out", scores=doubtful).act != "emergency"


def test_an_emergency_in_another_language_gets_the_urgent_reply_then_the_language_note(kb):
    reply = respond(Turn("Au secours, ma mère s'est évanouie et ne se réveille plus", "nlu_fallback", 0.2, region="uk"), kb)
    assert reply.kind == "emergency"
    assert "999" in reply.body.split("\n")[0]
    assert "anglais" in reply.body  # the French note follows the urgent advice


def test_a_message_in_another_language_that_asks_in_english_what_to_do_gets_the_urgent_reply_first(kb):
    """The bot cannot read the rest, so an English plea in it is taken at its word (data/safety/pleas.yml)."""
    import yaml

    examples = yaml.safe_load((safety._safety_dir() / "pleas.yml").read_text(encoding="utf-8"))["examples"]
    for text in examples["positive"]:
        assert safety.asks_for_help_in_english(text), text
        reply = respond(Turn(text, "nlu_fallback", 0.2), kb)
        assert reply.kind == "emergency", text
    for text in examples["negative"]:
        assert not safety.asks_for_help_in_english(text), text
        assert respond(Turn(text, "nlu_fallback", 0.2), kb).kind == "other_language", text


# ------------------------------------------------------------------- played down, still live
@pytest.mark.parametrize(
    "text",
    [
        "probably nothing, but my pulse has been 170 for forty minutes and I'm light-headed",
        "I'm sure it's fine but I came to on the kitchen floor and don't know how long I was out",
        "bit silly, my tongue is a bit puffy after the jab and swallowing feels strange",
        "hopefully nothing, he coughed a bit of blood, well more than a bit, it's filling the tissues",
    ],
)
def test_a_played_down_emergency_is_still_an_emergency(text):
    check = safety.check_emergency(text)
    assert check.emergency, (text, check)


@pytest.mark.parametrize(
    "text",
    [
        "my resting heart rate is 62 and I feel a bit woozy after wine",
        "my sister came round for tea and we sat on the floor",
        "I'm sure it's fine, my lips are dry from the wind",
        "a speck of blood when I cough, just once last week",
        "I've fainted twice in my life, both times at the dentist years ago. Could a NET cause fainting?",
    ],
)
def test_their_look_alikes_are_not(text):
    assert not safety.check_emergency(text).emergency, text


def test_heavy_bleeding_is_never_overruled_by_the_classifier():
    text = "it's probably fine but the blood I'm coughing up is filling a cup"
    assert "bleeding_heavy" in safety.lexicon().final
    assert safety.decide_act(text, scores=_calm(emergency=0.0)).act == "emergency"


# ---------------------------------------------------------------------- diagnosis requests
@pytest.mark.parametrize(
    "text",
    [
        "does my discharge letter show a carcinoid?",
        "wheezing + flushing + loose stools = carcinoid syndrome?",
        "my polyp came off at the colonoscopy, was it a NET?",
        "the report says 'possible neuroendocrine lesion'. how likely is it that that's what it is?",
        "what are the odds it's a NET rather than IBS",
        "My GP mentioned a VIPoma. Is that what I've got?",
        "Could a carcinoid be why I'm so tired and flushed?",
        "I just want to know if the spot on my liver scan is a tumour",
        "Is this a paraganglioma? Lump in my neck that throbs.",
        "My mum says IBS, my sister says carcinoid. Which one of us is right?",
        "my daughter is shaky before lunch and sweats. is it an insulin-producing tumour?",
        "my son faints before meals, whats wrong with him",
    ],
)
def test_more_diagnosis_requests_are_recognised(text):
    assert safety.is_diagnosis_request(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Could a NET cause weight loss?",
        "what are the chances of a NET coming back after surgery?",
        "how likely is it that a carcinoid spreads?",
        "Is a paraganglioma a type of NET?",
        "what does a pathology letter usually say about a NET?",
    ],
)
def test_general_questions_stay_questions(text):
    assert not safety.is_diagnosis_request(text), text


def test_symptoms_listed_in_a_request_for_a_diagnosis_are_not_an_emergency_now():
    text = "Hot flushes, a pounding heart and the runs. My GP says stress, I say carcinoid. Who's right?"
    assert not safety.check_emergency(text).emergency
    assert safety.decide_act(text, scores=_calm(diagnosis=0.9)).act == "diagnosis_request"
    # Said to be now, or a sign that is an emergency on its own: still the urgent reply.
    assert safety.check_emergency("Flushing and my heart is pounding right now, is it carcinoid?").emergency
    assert safety.check_emergency("Flushing and I can't breathe, is it carcinoid?").emergency


def test_a_diagnosis_request_needs_more_of_the_classifier_to_be_an_emergency():
    t = safety.act_thresholds()
    assert t["emergency"] < t["emergency_diagnosis"] <= 1.0
    text = "my husband keeps nearly passing out before breakfast, could it be an insulinoma?"
    unsure = _calm(emergency=(t["emergency"] + t["emergency_diagnosis"]) / 2, diagnosis=0.6)
    sure = _calm(emergency=t["emergency_diagnosis"], diagnosis=0.6)
    assert safety.decide_act(text, scores=unsure).act == "diagnosis_request"
    assert safety.decide_act(text, scores=sure).act == "emergency"
    # A real hypo now is the rules' emergency, whatever the question.
    assert safety.decide_act("his meter says 1.9 and he's confused, is it the insulinoma?", scores=unsure).act == "emergency"


# ------------------------------------------------------------------------------ off-topic
@pytest.mark.parametrize(
    "text, cls",
    [
        ("do fizzy drinks with sweeteners give you cancer?", "food_and_cancer_risk"),
        ("is raw fish ok while pregnant?", "pregnancy_food_and_drink"),
        ("I think it's hay fever, is cetirizine or loratadine better?", "hay_fever_and_allergies"),
        ("help, my tablet won't switch on since last night", "tech_support"),
        ("does this app have a light mode?", "tech_support"),
    ],
)
def test_off_topic_questions_with_medical_or_urgent_words_get_the_out_of_scope_reply(kb, text, cls):
    assert safety.off_topic_rule(text) == cls
    t = safety.act_thresholds()
    urgent = _calm(emergency=(t["emergency"] + t["emergency_off_topic"]) / 2, diagnosis=0.6)
    assert safety.decide_act(text, scores=urgent).act == "off_topic"
    assert respond(Turn(text, "nlu_fallback", 0.3), kb).kind == "out_of_scope"


@pytest.mark.parametrize(
    "text",
    [
        # companions alone, as in English: a red face, a low reading, vomiting, belly pain
        "yüzü kırmızı oldu güneşte",
        "tansiyonu 85/50",
        "κάνει εμετό μετά το φαγητό",
        "έχει πολύ δυνατό πόνο στην κοιλιά",
        "tansiyonu 120/80 normal",
    ],
)
def test_a_companion_sign_alone_in_another_language_is_not_an_emergency(text):
    assert not safety.check_emergency(text).emergency, text


def test_a_turkish_blood_pressure_word_with_its_possessive_suffix_is_read():
    lexicon = safety.lexicon()
    reading = lexicon.readings["bp_low"]
    match = reading.pattern.search(safety.fold("babamın tansiyonu 70/40"))
    assert match is not None and reading.value(match, "") == 70.0
    assert reading.in_other_language(match)
    normal = reading.pattern.search(safety.fold("tansiyonu 120/80"))
    assert normal is not None and not reading.is_dangerous(reading.value(normal, ""))

"""UK/US spellings, plurals, abbreviations and typos map to one subject value."""

from __future__ import annotations

import pytest
import spacy

from bot import vocabulary
from bot.nlp import mentions, normalise_value


@pytest.mark.parametrize(
    "text, label, value",
    [
        ("what is a neuroendocrine tumour", "net_type", "net"),
        ("what is a neuroendocrine tumor", "net_type", "net"),
        ("NEUROENDOCRINE TUMOURS", "net_type", "net"),
        ("nueroendocrine tumor", "net_type", "net"),
        ("diarrhoea", "symptom", "diarrhoea"),
        ("diarrhea", "symptom", "diarrhoea"),
        ("diarhea", "symptom", "diarrhoea"),
        ("oesophagus", "organ", "oesophagus"),
        ("esophagus", "organ", "oesophagus"),
        ("haemoptysis", "symptom", "haemoptysis"),
        ("hemoptysis", "symptom", "haemoptysis"),
        ("BP-NET", "net_type", "lung_net"),
        ("bronchopulmonary NETs", "net_type", "lung_net"),
        ("pNETs", "net_type", "pancreatic_net"),
        ("GEP-NET", "net_type", "gep_net"),
        ("VIP", "hormone", "vip"),
        ("5-HT", "hormone", "serotonin"),
        ("carcinoid syndrome", "condition", "carcinoid_syndrome"),
        ("carcinoid sindrome", "condition", "carcinoid_syndrome"),
        ("insulinomas", "net_type", "insulinoma"),
        ("phaeochromocytoma", "net_type", "pheochromocytoma"),
        ("MEN1", "condition", "men"),
        ("I live in Toronto", "region", "canada"),
        ("we're in the UK", "region", "uk"),
    ],
)
def test_forms_people_type_map_to_one_value(text, label, value):
    found = mentions(text)
    assert [(m.label, m.value) for m in found] == [(label, value)]


@pytest.mark.parametrize("text", ["do men get NETs more often?", "can you tell us more", "my net income", "I study history"])
def test_ordinary_words_are_not_mistaken_for_abbreviations(text):
    labels = {m.label for m in mentions(text)}
    assert "condition" not in labels and "region" not in labels


def test_longest_name_wins():
    assert [m.value for m in mentions("symptoms of carcinoid syndrome")] == ["carcinoid_syndrome"]
    assert [m.value for m in mentions("carcinoid heart disease")] == ["carcinoid_heart_disease"]


_BLANK = spacy.blank("en")


def _tokenize(text):
    return [t.text for t in _BLANK.make_doc(text) if not t.is_space]


def test_typos_never_collide_with_real_words(kb):
    norms = vocabulary.norm_table(kb, _tokenize, set())
    assert norms["gastirn"] == norms["gastrins"] == norms["gastrin"] != norms["gastric"]
    assert "gastirn" not in vocabulary.norm_table(kb, _tokenize, {"gastirn"})


def test_a_typo_of_two_subjects_words_names_neither(kb):
    """One slip from both hypoglycaemia and hyperglycaemia: guessing either could be wrong."""
    norms = vocabulary.norm_table(kb, _tokenize, set())
    shared = vocabulary.typo_forms("hypoglycaemia") & vocabulary.typo_forms("hyperglycaemia")
    assert shared and not shared & set(norms)
    assert all(not mentions(typo) for typo in shared)


@pytest.mark.parametrize(
    "text, value",
    [("he coughs up blood", "haemoptysis"), ("NETs in the lungs", "lung_net"), ("her hearts racing", "palpitations")],
)
def test_any_word_of_a_name_may_be_a_plural(text, value):
    assert [m.value for m in mentions(text)] == [value]


def test_spelling_forms_go_both_ways():
    assert vocabulary.spelling_forms("tumour") == {"tumour", "tumor"}
    assert "oesophagus" in vocabulary.spelling_forms("esophagus")


def test_entity_values_normalise_to_canonical_ids(kb):
    assert normalise_value("lung_net", kb) == "lung_net"
    assert normalise_value("Lung NETs", kb) == "lung_net"
    assert normalise_value("seratonin", kb) == "serotonin"
    assert normalise_value("", kb) is None and normalise_value(None, kb) is None


def test_no_name_belongs_to_two_subjects(kb):
    """A name listed under two subjects is a coin toss for the entity ruler (and a conflicting
    synonym for Rasa): "pregnancy" was both another illness and an uncovered topic."""
    owners: dict = {}
    for subject in kb.subjects.values():
        for name in subject.names:
            owners.setdefault(name.lower(), set()).add(subject.value)
    assert not {name: values for name, values in owners.items() if len(values) > 1}

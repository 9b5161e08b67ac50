"""The knowledge base is consistent, complete and faithful to the sources."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot import answers
from bot.config import PROJECT_ROOT
from bot.knowledge import QUESTION_KINDS, KnowledgeBase, KnowledgeBaseError

SOURCES_DIR = PROJECT_ROOT / "data" / "sources"  # the project's own copy of ../shared/sources
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
RULES = yaml.safe_load((PROJECT_ROOT / "data" / "rules" / "rules.yml").read_text())


def source_text(kb: KnowledgeBase, sid: str) -> str:
    return (SOURCES_DIR / kb.sources[sid].file).read_text(encoding="utf-8")


def test_every_source_id_names_a_real_document(kb):
    assert len(kb.sources) == 5
    for sid, source in kb.sources.items():
        assert (SOURCES_DIR / source.file).is_file(), sid


def test_the_project_copy_of_the_sources_is_the_shared_one():
    """data/sources is what the answers are checked against; where the shared folder is beside
    the project (a developer's machine, CI), the copy must not have drifted from it."""
    shared = PROJECT_ROOT.parent / "shared" / "sources"
    copies = sorted(p.name for p in SOURCES_DIR.iterdir())
    assert "README.md" in copies and len([c for c in copies if c.endswith(".txt")]) == 5
    if shared.is_dir():
        assert copies == sorted(p.name for p in shared.iterdir())
        for name in copies:
            assert (SOURCES_DIR / name).read_bytes() == (shared / name).read_bytes(), name


def test_every_entry_and_variant_cites_known_sources(kb):
    for entry in kb.entries.values():
        assert entry.sources and set(entry.sources) <= set(kb.sources), entry.id
        for variant in entry.variants.values():
            assert variant.sources and set(variant.sources) <= set(kb.sources), (entry.id, variant.key)


NUMBER = re.compile(r"\d[\d,.]*\d%?|\d%?")
# Figures the pages print in another form ("fifty-four months", "171 K Americans").
SPELLED = {"54": "fifty-four", "6": "six", "171,000": "171 K"}


@pytest.mark.parametrize("entry_id", sorted(KnowledgeBase.load().entries))
def test_every_number_in_an_answer_is_in_its_cited_sources(kb, entry_id):
    """Figures are the easiest facts to get wrong: each must appear in a cited document."""
    entry = kb.entries[entry_id]
    texts = [(entry.answer, entry.sources)] + [(v.answer, v.sources) for v in entry.variants.values()]
    for answer, sources in texts:
        cited = " ".join(source_text(kb, sid) for sid in sources).replace("\u00a0", " ")
        for number in NUMBER.findall(answer):
            digits = number.rstrip(".,")
            if digits in {"1", "2"}:  # "MEN 1 or 2", "2 main groups"
                assert digits in cited
                continue
            assert digits in cited or digits.replace(",", "") in cited.replace(",", "") or SPELLED.get(digits, "@") in cited, (
                entry_id,
                number,
            )


def test_contact_numbers_are_the_ones_the_sources_print(kb):
    all_sources = " ".join(source_text(kb, sid) for sid in kb.sources)
    referral = kb.contacts["referral"]
    assert referral["canada"]["phone"] in all_sources
    assert referral["uk"]["phone"] in all_sources
    assert "9 to 5" in all_sources and "Monday to Friday" in all_sources


def test_somatostatin_receptors_are_not_called_hormones(kb):
    for entry in kb.entries.values():
        for text in [entry.answer] + [v.answer for v in entry.variants.values()]:
            assert "somatostatin receptor" not in text.lower()


def test_answers_are_short_plain_paragraphs(kb):
    for entry in kb.entries.values():
        for text in [entry.answer] + [v.answer for v in entry.variants.values()]:
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
            assert 2 <= len(sentences) <= 7, (entry.id, len(sentences))


def test_every_entry_and_variant_is_reachable_by_a_question(kb):
    for entry in kb.entries.values():
        kind, subject = kb.entry_target(entry.id)
        resolved = kb.resolve(kind, [subject.value] if subject else [])
        assert resolved is not None and resolved.entry.id == entry.id and resolved.variant is None
        for key in entry.variants:
            kind, subject = kb.entry_target(entry.id, key)
            resolved = kb.resolve(kind, [subject.value] if subject else [])
            assert resolved is not None and resolved.key == f"{entry.id}:{key}"


def test_every_question_intent_reaches_an_entry(kb):
    intents = set(DOMAIN["intents"])
    assert set(QUESTION_KINDS) <= intents
    for kind in QUESTION_KINDS:
        resolved = kb.resolve(kind, ["net"])
        assert resolved is not None, kind
        assert resolved.specific, kind


def test_every_intent_has_a_rule(kb):
    ruled = {step["intent"] for rule in RULES["rules"] for step in rule["steps"] if "intent" in step}
    assert set(DOMAIN["intents"]) <= ruled
    assert "nlu_fallback" in ruled


def test_entity_labels_match_the_domain(kb):
    labels = {s.label for s in kb.subjects.values()}
    # ... and the entity the feedback buttons carry (the entry they rate).
    assert labels | {answers.FEEDBACK_ENTITY} == set(DOMAIN["entities"])


def test_specific_variant_beats_the_general_answer(kb):
    assert kb.resolve("ask_symptoms", ["lung_net"]).entry.id == "lung_nets"
    insulinoma = kb.resolve("ask_symptoms", ["insulinoma"])
    assert insulinoma.key == "pancreatic_nets:insulinoma" and insulinoma.specific
    assert kb.resolve("ask_symptoms", ["carcinoid_syndrome"]).entry.id == "carcinoid_syndrome_symptoms"
    assert kb.resolve("ask_self_care", ["carcinoid_syndrome"]).entry.id == "carcinoid_self_care"


def test_missing_variant_falls_back_to_the_general_entry_and_says_so(kb):
    general = kb.resolve("ask_causes", ["lung_net"])
    assert general.entry.id == "causes"
    assert not general.specific and general.asked_subject == "lung_net"
    organ = kb.resolve("ask_symptoms", ["kidney"])
    assert organ.entry.id == "common_symptoms" and not organ.specific


def test_context_subject_is_used_when_the_question_names_none(kb):
    assert kb.resolve("ask_symptoms", [], context="carcinoid_syndrome").entry.id == "carcinoid_syndrome_symptoms"
    assert kb.resolve("ask_symptoms", ["net"], context="carcinoid_syndrome").entry.id == "common_symptoms"


def test_a_definition_question_without_a_subject_has_no_answer(kb):
    """'What is diabetes?' must not be answered with 'what is a NET'."""
    assert kb.resolve("ask_definition", []) is None


def _broken_copy(tmp_path: Path, mutate) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "data" / "knowledge", target)
    data = yaml.safe_load((target / "entries.yml").read_text())
    mutate(data["entries"])
    (target / "entries.yml").write_text(yaml.safe_dump(data))
    return target


@pytest.mark.parametrize(
    "mutate, problem",
    [
        (lambda entries: entries[0].update(sources=["no-such-source"]), "unknown source id"),
        (lambda entries: entries[0].update(related=["no_such_entry"]), "bad related id"),
        (lambda entries: entries[0].update(routes=[]), "unreachable"),
        (lambda entries: entries[0].update(routes=[{"ask": "ask_weather"}]), "unknown kind"),
        (lambda entries: entries.append(dict(entries[0])), "duplicate entry ids"),
        (lambda entries: entries[0].update(answer="Too short."), "words"),
    ],
)
def test_validation_reports_each_kind_of_mistake(tmp_path, mutate, problem):
    with pytest.raises(KnowledgeBaseError, match=problem):
        KnowledgeBase.load(_broken_copy(tmp_path, mutate))


def test_an_islet_cell_tumour_is_a_pancreatic_net_and_one_of_the_other_names(kb):
    # Asked about by name it is one of the other names; any other question is about pNETs.
    assert kb.resolve("ask_other_names", ["islet_cell_tumour"]).entry.id == "other_names"
    assert kb.resolve("ask_definition", ["islet_cell_tumour"]).entry.id == "other_names"
    assert kb.resolve("ask_symptoms", ["islet_cell_tumour"]).entry.id == "pancreatic_nets"
    assert kb.resolve("ask_outlook", ["islet_cell_tumour"]).entry.id == "outlook"


def test_carcinoid_gives_way_to_a_hormone_or_condition_named_with_it(kb):
    assert kb.resolve("ask_definition", ["carcinoid_term"]).entry.id == "carcinoid_name"
    assert kb.resolve("ask_definition", ["carcinoid_term", "serotonin"]).key == "hormones:serotonin"
    assert kb.resolve("ask_other_names", ["carcinoid_term", "bradykinin"]).key != "carcinoid_name"
    # ... but not to a concept: "does carcinoid mean it's not a real cancer?" is about the word.
    assert kb.resolve("ask_is_cancer", ["carcinoid_term", "benign_malignant"]).entry.id == "carcinoid_name"


def test_a_type_the_sources_only_name_gets_the_general_answer_said_to_be_general(kb):
    from bot.dialogue import Turn, respond

    reply = respond(Turn("how is pheochromocytoma treated?", "ask_treatment", 0.95), kb)
    assert reply.entry == "treatment"
    assert reply.body.startswith(
        kb.messages["not_specific"].format(subject=kb.title("pheochromocytoma"), general=kb.title("net"))
    ), reply.body[:200]
    assert respond(Turn("what is a pheochromocytoma?", "ask_definition", 0.95), kb).entry == "other_net_types"


def test_an_uncovered_subject_offers_its_related_entry(kb):
    from bot.dialogue import Turn, respond

    reply = respond(Turn("what does a Ki-67 of 15% mean?", "ask_definition", 0.95), kb)
    assert reply.kind == "uncovered" and reply.body.startswith("My sources don't cover Ki-67 values")
    assert reply.entry == "grade_stage"

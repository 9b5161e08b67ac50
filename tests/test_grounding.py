"""Every answer sentence is tied to the exact source passage behind it (issue 13, parts 1 and 2).

data/knowledge/evidence.yml gives, for each sentence of each answer, variant and medical fixed
message, the quoted passage(s) of data/sources that support it; bot/evidence.py checks them. Here:

- each sentence passes (one test per sentence, so a failure names the sentence and the reason);
- the evidence file covers exactly the current texts, and every fixed message is classified;
- deliberately altered sentences fail: a swapped number, a new organ, an invented treatment, a
  rewrite in everyday words (run on every sentence that passes);
- each check, on small made-up cases: verbatim quotes, cited sources, figures, subjects, recorded
  source defects, coverage statements, an edited answer without updated evidence;
- the safety policy (`policy:`): only the emergency texts of contacts.yml use it, and it cannot
  carry a medical statement;
- contact details: evidence.yml holds none (placeholders for contacts.yml), and a contact detail
  that differs from what the source page printed fails.

The report (per text, weakest ten, mutation counts) is `python -m bot.evidence report`.
"""

from __future__ import annotations

import dataclasses
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from bot import evidence as ev
from bot.config import PROJECT_ROOT

KNOWLEDGE = PROJECT_ROOT / "data" / "knowledge"


@lru_cache(maxsize=1)
def _evidence() -> ev.Evidence:
    return ev.load_evidence()


@lru_cache(maxsize=1)
def _sentence_ids() -> List[Tuple[str, int]]:
    """Every sentence that states something (the non-medical messages are checked apart)."""
    non_medical = set(ev.load_evidence().non_medical)
    return [(text.key, i) for text in ev.texts() if text.key not in non_medical for i, _ in enumerate(text.sentences)]


@pytest.fixture(scope="module")
def evidence() -> ev.Evidence:
    return ev.load_evidence()


@pytest.fixture(scope="module")
def report(evidence: ev.Evidence) -> ev.Report:
    return ev.check(evidence)


@pytest.fixture(scope="module")
def results(report: ev.Report) -> Dict[Tuple[str, int], ev.SentenceResult]:
    return {(r.key, r.index): r for r in report.results}


@pytest.fixture(scope="module")
def mutations(report: ev.Report) -> List[ev.MutationResult]:
    return ev.run_mutations(report)


def _record(report: ev.Report, key: str, index: int) -> Tuple[ev.SentenceEvidence, Tuple[str, ...]]:
    text = next(t for t in report.texts if t.key == key)
    records = _evidence().records(key)
    assert records is not None, key
    return records[index], text.sources


def _check(report: ev.Report, key: str, index: int, sentence: str, **changes) -> ev.SentenceResult:
    """`sentence` checked against the evidence of sentence `index` of `key` (with `changes`)."""
    record, cited = _record(report, key, index)
    record = dataclasses.replace(record, sentence=sentence, **changes)
    return ev.check_sentence(key, index, sentence, record, cited)


# ------------------------------------------------------------------------------ the data
def test_the_evidence_covers_exactly_the_current_texts(report):
    """Every entry, variant and fixed message is in evidence.yml (or listed as non_medical), with
    as many sentences as its text has, and nothing else is."""
    assert report.problems == []


@pytest.mark.parametrize("key, index", _sentence_ids(), ids=[f"{k}[{i + 1}]" for k, i in _sentence_ids()])
def test_every_sentence_is_grounded(evidence, results, key, index):
    """At least one quote, verbatim in a cited source; its figures and subjects in the quotes; enough
    of its content words in them. A sentence marked `unsupported` fails here until its text changes."""
    result = results[(key, index)]
    assert result.ok, f"{key} [{index + 1}] {result.sentence!r}:\n- " + "\n- ".join(result.problems)


def test_medical_messages_have_evidence_and_the_rest_are_listed(evidence):
    for key in ("diagnose_me", "emergency.note", "emergency.intro", "referral.uk.text"):
        assert key in evidence.messages, key
    for key in ("greet", "goodbye", "error", "source_label"):
        assert key in evidence.non_medical, key


def test_quotes_touching_recorded_source_defects_say_which_reading_was_used(evidence):
    used = {q.defect for records in evidence.entries.values() for r in records for q in r.evidence if q.defect}
    assert used == set(ev.DEFECTS), "every defect in data/sources/README.md that an answer relies on has a reading"
    readme = " ".join((PROJECT_ROOT / "data" / "sources" / "README.md").read_text(encoding="utf-8").split())
    for defect in ev.DEFECTS.values():
        assert defect.readme_marker in readme, defect.id


# ------------------------------------------------------------------------------ safety policy
def _policy_records(evidence: ev.Evidence) -> List[Tuple[str, int, ev.SentenceEvidence]]:
    sections = list(evidence.entries.items()) + list(evidence.messages.items())
    return [(key, i, record) for key, records in sections for i, record in enumerate(records) if record.policy]


def test_only_the_emergency_texts_use_the_safety_policy(evidence, report):
    """`policy:` (the bot's safety routing, not a sourced statement) is on the emergency reply's
    "call / go now" line and nowhere else: no entry, variant or other message."""
    used = _policy_records(evidence)
    assert [(key, i) for key, i, _ in used] == [("emergency.intro", 1)]
    for key, _, record in used:
        assert ev.policy_allowed(key), key
        assert key.startswith("emergency.") and key not in evidence.entries, key
        assert record.policy and record.policy.split(":")[0] in ev.POLICY_CATEGORIES
        assert not record.unsupported and not record.coverage
    # The checker allows it on the emergency texts of contacts.yml only: no entry, variant or
    # messages.yml text could carry it.
    allowed = {text.key for text in report.texts if ev.policy_allowed(text.key)}
    assert allowed == {"emergency.intro"}, allowed


def test_the_sources_readme_names_the_red_flags_the_policy_escalates():
    readme = " ".join((PROJECT_ROOT / "data" / "sources" / "README.md").read_text(encoding="utf-8").split())
    assert ev.POLICY_README_MARKER in readme


@pytest.mark.parametrize(
    "key, index", [("carcinoid_crisis", 1), ("referral.uk.text", 1), ("emergency.note", 0), ("diagnose_me", 2)]
)
def test_a_policy_mark_anywhere_else_fails(report, key, index):
    record, cited = _record(report, key, index)
    marked = dataclasses.replace(record, policy="safety escalation: made up for the test")
    result = ev.check_sentence(key, index, record.sentence, marked, cited)
    assert not result.ok
    assert any("`policy:` is only for the emergency texts" in p for p in result.problems), result.problems


@pytest.mark.parametrize(
    "altered, reason",
    [
        ("Please get urgent help now: carcinoid crisis is treated with octreotide.", "names"),
        ("Please get urgent help now: call your local emergency number or go to the liver clinic.", "names 'liver'"),
        ("Please get urgent help now: call 0800 123 4567.", "not an emergency number"),
        ("Please get urgent help now: 58% of patients die within 54 months.", "not an emergency number"),
    ],
)
def test_a_policy_sentence_may_not_state_a_medical_fact(report, altered, reason):
    result = _check(report, "emergency.intro", 1, altered)
    assert not result.ok
    assert any(reason in problem for problem in result.problems), result.problems


def test_a_policy_sentence_may_give_the_emergency_numbers_only_in_a_known_category(report):
    assert _check(report, "emergency.intro", 1, "Please get urgent help now: call 911, or 999 or 112 in the UK.").ok
    result = _check(report, "emergency.intro", 1, _record(report, "emergency.intro", 1)[0].sentence, policy="because I say so")
    assert any("<category>: <why>" in p for p in result.problems), result.problems


# ------------------------------------------------------------------------------ contact details
def test_contact_details_in_the_evidence_are_placeholders_for_contacts_yml(evidence):
    """The numbers live in contacts.yml only; the loaded evidence has them filled in."""
    raw = (KNOWLEDGE / "evidence.yml").read_text(encoding="utf-8")
    contacts = yaml.safe_load((KNOWLEDGE / "contacts.yml").read_text(encoding="utf-8"))
    for region in ("canada", "uk"):
        phone = contacts["referral"][region]["phone"]
        assert phone not in raw, phone
        assert f"{{referral.{region}.phone}}" in raw
    uk = evidence.records("referral.uk.text")
    assert uk is not None and contacts["referral"]["uk"]["phone"] in uk[1].evidence[0].quote
    canada = evidence.records("referral.canada.text")
    assert canada is not None and canada[0].evidence[0].quote.startswith("1-888-939-3333 | cancer.ca |")


@pytest.mark.parametrize(
    "path, value",
    [
        (("referral", "uk", "phone"), "0808 800 40 41"),
        (("referral", "uk", "hours"), "9 to 5, Monday to Friday"),
        (("referral", "canada", "phone"), "1-888-939-3334"),
    ],
)
def test_a_contact_detail_the_source_does_not_print_fails(tmp_path, path, value):
    """A number or opening time in contacts.yml that differs from the source page: its quote is no
    longer verbatim, so the referral that gives it fails."""
    target = _copy_knowledge(tmp_path)
    contacts = yaml.safe_load((target / "contacts.yml").read_text(encoding="utf-8"))
    node = contacts
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    (target / "contacts.yml").write_text(yaml.safe_dump(contacts, sort_keys=False), encoding="utf-8")
    report = ev.check(knowledge_dir=target)
    failing = {r.key for r in report.results if not r.ok and any("not verbatim" in p for p in r.problems)}
    assert f"referral.{path[1]}.text" in failing, failing


def test_an_unknown_contact_placeholder_is_a_file_error(tmp_path):
    target = _copy_knowledge(tmp_path)
    raw = (target / "evidence.yml").read_text(encoding="utf-8")
    (target / "evidence.yml").write_text(
        raw.replace("freephone {referral.uk.phone}", "freephone {referral.uk.fax}", 1), encoding="utf-8"
    )
    with pytest.raises(ev.EvidenceError, match="referral.uk.fax"):
        ev.load_evidence(target / "evidence.yml")


def test_no_answer_calls_somatostatin_receptors_a_hormone(report):
    for result in report.results:
        assert "somatostatin" not in result.sentence.lower(), result.key


def test_the_threshold_leaves_a_margin_on_the_real_data(report, mutations):
    """The weakest supported sentence is clearly above the threshold, and the strongest rewrite that
    keeps a sentence's subjects but invents the rest is clearly below it."""
    real = [r.overlap for r in report.results if r.ok and r.overlap is not None]
    assert min(real) >= ev.MIN_OVERLAP + 0.05
    rewrites = []
    for result in report.results:
        if not result.ok or result.record is None or result.record.coverage:
            continue
        for mutant in ev.mutants(result.sentence, result.record):
            if mutant.kind == "unsupported rewrite":
                record = dataclasses.replace(result.record, sentence=mutant.text)
                checked = ev.check_sentence(result.key, result.index, mutant.text, record, (), said=ev.merged(mutant.parts))
                rewrites.append(checked.overlap or 0.0)
    assert rewrites and max(rewrites) <= ev.MIN_OVERLAP - 0.05


# ------------------------------------------------------------------------------ mutations
REQUIRED = {
    "swapped number": "figure",
    "new organ": "subject",
    "new organ (outside the vocabulary)": "subject",
    "invented treatment": "subject",
    "invented treatment (outside the vocabulary)": "subject",
    "unsupported rewrite": "overlap",
}


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_every_altered_sentence_fails(mutations, kind):
    """On every sentence that passes today, each mutant fails, and for the expected reason."""
    group = [m for m in mutations if m.kind == kind]
    assert group, kind
    passed = [m.mutant for m in group if not m.caught_by]
    assert not passed, f"{len(passed)} {kind} mutants passed, e.g. {passed[:3]}"
    assert all(REQUIRED[kind] in m.caught_by for m in group)


def test_half_rewritten_sentences_mostly_fail(mutations):
    """Half a sentence kept, an invented clause in everyday words added: the overlap catches most.
    The rest keep a long sourced list; that is the limit of a word-overlap check (reported)."""
    group = [m for m in mutations if m.kind == "half rewritten"]
    assert sum(1 for m in group if m.caught_by) >= 0.85 * len(group)


@pytest.mark.parametrize(
    "key, index, altered, reason",
    [
        (
            "carcinoid_syndrome",
            2,
            "It affects almost 40% of people with NETs, and may happen with any type of NET.",
            "figure 40%",
        ),
        (
            "diagnosis_delay",
            1,
            "Research shows that, on average, NET patients see five different healthcare providers "
            "over 45 months before they get a correct diagnosis.",
            "figure 45",
        ),
        ("statistics", 1, "About 117,000 Americans live with NETs, according to the NETRF.", "figure 117000"),
        (
            "referral.uk.text",
            0,
            "In the UK, call 0808 800 40 41 and they can refer you to a specialist.",
            "figure tel:08088004041",
        ),
        (
            "lung_nets",
            0,
            "Lung NETs are NETs that start in the liver, usually in the airways (bronchi).",
            "'liver'",
        ),
        (
            "where_nets_form",
            2,
            "They most often form in the digestive tract (the gut), the lungs and the brain.",
            "'brain'",
        ),
        (
            "metastasis",
            4,
            "If surgery is not possible, there are other treatment options such as chemotherapy for NETs that have spread.",
            "'procedures'",
        ),
        (
            "carcinoid_self_care",
            0,
            "Ipsen's page suggests carcinoid syndrome symptoms may be eased by octreotide injections.",
            "'medicines'",
        ),
        ("hormones", 1, "The NETRF names peptide hormones such as somatostatin and gastrin.", "'somatostatin'"),
        ("causes", 0, "Most NETs are caused by a poor diet and too much stress at work.", "shares"),
        ("outlook", 0, "Survival depends mostly on keeping a positive attitude and eating well.", "shares"),
    ],
)
def test_hand_written_mutations_fail(report, key, index, altered, reason):
    result = _check(report, key, index, altered)
    assert not result.ok
    assert any(reason in problem for problem in result.problems), result.problems


def test_a_sentence_that_names_a_publisher_must_quote_it(report):
    result = _check(
        report,
        "other_names",
        1,
        "Ipsen says neuroendocrine tumours may also be called islet cell tumours, carcinoid tumours or carcinoid cancer.",
    )
    assert any("ipsen-2019" in p for p in result.problems), result.problems


# ------------------------------------------------------------------------------ the checks
@pytest.mark.parametrize(
    "text, sentences",
    [
        ("One. Two! Three? 4 is a number.", ["One.", "Two!", "Three?", "4 is a number."]),
        (
            "Foods (e.g. bananas) and drinks, i.e. coffee. Next one.",
            ["Foods (e.g. bananas) and drinks, i.e. coffee.", "Next one."],
        ),
        ('It is "functional". Another.', ['It is "functional".', "Another."]),
        ('It is called "nonfunctional." Next (really).', ['It is called "nonfunctional."', "Next (really)."]),
        ("Visit https://cancer.ca. Then call.", ["Visit https://cancer.ca.", "Then call."]),
        ("Lower case. after a stop stays.", ["Lower case. after a stop stays."]),
        ("Wrapped\n  across   lines. Yes.", ["Wrapped across lines.", "Yes."]),
    ],
)
def test_sentence_splitting(text, sentences):
    assert ev.split_sentences(text) == sentences


def test_normalisation_allows_only_whitespace_and_quote_marks():
    assert ev.normalise("it is called \u201cfunctional.\u201d\n  don\u2019t") == 'it is called "functional." don\'t'
    assert ev.normalise("a\u00a0b") == "a b"
    assert ev.normalise("tumour") != ev.normalise("tumor")


def test_figures_are_compared_in_one_form():
    assert ev.figures("About 171,000 Americans") == ev.figures("171 K Americans")
    assert ev.figures("over fifty-four months, six providers") == ev.figures("over 54 months, 6 providers")
    assert ev.figures("call 1-888-939-3333") == ev.figures("1-888-939-3333 | cancer.ca")
    assert ev.figures("58% of patients") == ev.figures("58 % of patients")
    assert ev.figures("$1.85 million") != ev.figures("$1.58 million")
    assert "tel:08088004040" in ev.figures("freephone 0808 800 40 40")
    assert ev.figures("one that does not") == ev.figures("")


def test_a_quote_must_be_verbatim_in_a_cited_source_and_not_a_lone_word(report):
    record, cited = _record(report, "what_is_net", 3)
    sentence = record.sentence
    altered = dataclasses.replace(record, evidence=(ev.Quote("netrf-about", "NETs may also be called islet cell tumours"),))
    assert any("not verbatim" in p for p in ev.check_sentence("what_is_net", 3, sentence, altered, cited).problems)
    uncited = dataclasses.replace(
        record, evidence=(ev.Quote("ipsen-2019", "Many people still refer to NETs as carcinoid tumors."),)
    )
    assert any("does not cite" in p for p in ev.check_sentence("what_is_net", 3, sentence, uncited, cited).problems)
    short = dataclasses.replace(record, evidence=(ev.Quote("netrf-about", "carcinoid tumors"),))
    assert any("shorter than" in p for p in ev.check_sentence("what_is_net", 3, sentence, short, cited).problems)
    none = dataclasses.replace(record, evidence=())
    assert ev.check_sentence("what_is_net", 3, sentence, none, cited).problems == ["no evidence quote"]


def test_a_quote_on_a_recorded_defect_needs_its_reading(report):
    record, cited = _record(report, "pancreatic_nets:insulinoma", 0)
    without = dataclasses.replace(
        record, evidence=tuple(dataclasses.replace(q, defect=None, reading=None) for q in record.evidence)
    )
    problems = ev.check_sentence("pancreatic_nets:insulinoma", 0, record.sentence, without, cited).problems
    assert any("pancreatic-headings" in p for p in problems), problems
    # ... and without the reading, nothing in the text names insulin or insulinomas.
    assert any("insulin" in p for p in problems), problems
    wrong = dataclasses.replace(
        record, evidence=tuple(dataclasses.replace(q, defect="counters") if q.defect else q for q in record.evidence)
    )
    assert not ev.check_sentence("pancreatic_nets:insulinoma", 0, record.sentence, wrong, cited).ok


def test_a_reading_licenses_only_the_names_the_readme_allows(report):
    record, cited = _record(report, "pancreatic_nets:insulinoma", 0)
    sentence = "An insulinoma is a pancreatic NET that releases insulin and somatostatin into the thyroid."
    stretched = dataclasses.replace(
        record,
        sentence=sentence,
        evidence=tuple(
            dataclasses.replace(q, reading=(q.reading or "") + " and the thyroid") if q.defect else q for q in record.evidence
        ),
    )
    result = ev.check_sentence("pancreatic_nets:insulinoma", 0, sentence, stretched, cited)
    assert "thyroid" in result.missing_subjects


def test_a_coverage_statement_must_quote_every_mention_of_its_terms(report):
    record, cited = _record(report, "hormones:bradykinin", 3)
    assert record.coverage and ev.check_sentence("hormones:bradykinin", 3, record.sentence, record, cited).ok
    # Serotonin is mentioned all over the sources: a claim that they say nothing more must quote it all.
    wider = dataclasses.replace(record, coverage=("bradykinin", "serotonin"))
    problems = ev.check_sentence("hormones:bradykinin", 3, record.sentence, wider, cited).problems
    assert any("coverage 'serotonin'" in p for p in problems)
    missing = dataclasses.replace(record, coverage=())
    assert not ev.check_sentence("hormones:bradykinin", 3, record.sentence, missing, cited).ok


def test_a_coverage_statement_may_not_add_a_treatment(report):
    record, cited = _record(report, "treatment", 4)
    assert record.coverage
    sentence = record.sentence.rstrip(".") + "; octreotide is the usual medicine."
    result = ev.check_sentence("treatment", 4, sentence, dataclasses.replace(record, sentence=sentence), cited)
    assert "medicines" in result.missing_subjects


def test_an_unsupported_sentence_fails_even_with_quotes(report):
    record, cited = _record(report, "what_is_net", 3)
    marked = dataclasses.replace(record, unsupported="made up for the test")
    assert ev.check_sentence("what_is_net", 3, record.sentence, marked, cited).problems == ["unsupported: made up for the test"]


def _copy_knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


def test_an_edited_answer_without_updated_evidence_fails(tmp_path):
    target = _copy_knowledge(tmp_path)
    data = yaml.safe_load((target / "entries.yml").read_text(encoding="utf-8"))
    entry = next(e for e in data["entries"] if e["id"] == "carcinoid_syndrome")
    entry["answer"] = entry["answer"].replace("almost 20%", "about a third")
    (target / "entries.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    report = ev.check(knowledge_dir=target)
    failing = [r for r in report.results if r.key == "carcinoid_syndrome" and not r.ok]
    assert failing and "evidence is for another sentence" in failing[0].problems[0]


def test_an_extra_sentence_or_an_unclassified_message_fails(tmp_path):
    target = _copy_knowledge(tmp_path)
    data = yaml.safe_load((target / "entries.yml").read_text(encoding="utf-8"))
    entry = next(e for e in data["entries"] if e["id"] == "causes")
    count = len(ev.split_sentences(entry["answer"]))
    entry["answer"] += " Stress causes most NETs."
    (target / "entries.yml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    messages = yaml.safe_load((target / "messages.yml").read_text(encoding="utf-8"))
    messages["messages"]["new_fact"] = "NETs are always benign."
    (target / "messages.yml").write_text(yaml.safe_dump(messages, sort_keys=False), encoding="utf-8")
    report = ev.check(knowledge_dir=target)
    assert any(p.startswith(f"causes: evidence has {count} sentences, the text has {count + 1}") for p in report.problems)
    assert any(p.startswith("messages.new_fact: no evidence recorded") for p in report.problems)
    assert any(r.key == "causes" and r.index == count and not r.ok for r in report.results)


def test_the_report_lists_every_text_and_the_weakest_ten(report):
    text = ev.render(report, [])
    assert "## Weakest ten sentences" in text and "## Unsupported sentences" in text
    for key in report.by_key():
        assert f"| `{key}` |" in text, key


# ------------------------------------------------------------------ composed replies (issue 13, part 2)
COMPOSED = [
    ("diagnosis", "do I have a NET? I keep flushing", "ask_diagnose_me", None),
    ("diagnosis", "could my diarrhoea be a NET?", "ask_diagnose_me", None),
    ("uncovered", "what dose of lanreotide do people take", "ask_treatment", None),
    ("uncovered", "what is the 5 year survival rate", "ask_outlook", None),
    ("emergency", "my dad is having a carcinoid crisis right now and can't breathe", "report_emergency", "uk"),
    ("emergency", "my husband is having a carcinoid crisis right now", "report_emergency", None),
    ("answer", "what causes lung NETs?", "ask_causes", None),  # "not specific" note + the general entry
    ("answer", "my dad was diagnosed with a pancreatic NET, what are the symptoms?", "ask_symptoms", None),
]


@pytest.mark.parametrize("kind, text, intent, region", COMPOSED, ids=[f"{c[0]}:{c[1][:30]}" for c in COMPOSED])
def test_composed_replies_are_built_only_from_evidenced_texts(kind, text, intent, region):
    """The no-diagnosis, uncovered-topic and emergency replies (and an answer with a lead-in),
    built through bot.dialogue.respond: every sentence of the body is an evidenced sentence of
    evidence.yml (entries, variants, medical messages) or one of the non-medical fixed messages."""
    from bot.dialogue import Turn, respond

    reply = respond(Turn(text, intent, 0.9, region=region))
    assert reply.kind == kind, reply.text[:200]
    found = ev.faithfulness([reply.body])
    assert found.unsupported == [], found.unsupported
    assert found.evidenced >= 1 and found.supported_share == 1.0


def test_every_answer_and_the_reply_with_two_entries_are_grounded(kb):
    """Every entry and variant as the bot sends it; and a body of two entries, the shape a
    compound question's answer would take (the bot composes none today): each line is checked."""
    from bot import answers
    from tests.test_replies import every_answer

    bodies = [answers.answer_reply(kb, resolution, None).body for resolution in every_answer(kb)]
    found = ev.faithfulness(bodies)
    assert found.unsupported == [] and found.supported_share == 1.0
    assert found.evidenced == sum(len(ev.split_sentences(b)) for b in bodies)
    two = answers.finish(kb, [kb.entries["what_is_net"].answer, kb.entries["common_symptoms"].answer], kind="answer", region=None)
    assert ev.faithfulness([two.body]).unsupported == []


def test_faithfulness_counts_evidenced_quoted_fixed_and_unsupported(kb):
    answer = kb.entries["what_is_net"].answer
    n = len(ev.split_sentences(answer))
    quote = "> \u201cNETs can grow slowly (indolent) or grow quickly (aggressive).\u201d"
    bodies = [
        answer,
        kb.messages["greet"],
        kb.messages["uncovered"].format(what="specific medicines"),
        f"{kb.messages['diagnose_me_symptoms']} {answer}",
        quote,
        "> \u201cNETs are caused by eating too much sugar every day.\u201d",
        "NETs can be cured with herbal supplements. " + answer,
    ]
    found = ev.faithfulness(bodies)
    assert found.evidenced == 3 * n
    assert found.quoted == 1
    assert found.fixed == len(ev.split_sentences(kb.messages["greet"])) + 2 + 1
    assert found.unsupported == [
        '> "NETs are caused by eating too much sugar every day."',
        "NETs can be cured with herbal supplements.",
    ]
    assert found.claims == 3 * n + 1 + 2
    assert found.supported_share == pytest.approx((3 * n + 1) / (3 * n + 3))
    summary = found.as_dict()
    assert summary["unsupported_count"] == 2 and summary["supported_share"] < 1
    # An edited answer sentence is no longer the evidenced one.
    assert ev.faithfulness([answer.replace("uncommon", "common")]).unsupported
    assert ev.faithfulness([]).supported_share == 1.0


def test_replies_built_from_two_entries_stay_grounded(kb):
    """A two-question reply and a no-diagnosis reply with the general answer to a question asked
    alongside: every sentence evidenced or a fixed message, and "where does it say that?"
    quotes the passages of both parts."""
    from bot.dialogue import Turn, respond

    both = respond(Turn("what is carcinoid syndrome and what sets it off?", "ask_definition", 0.9), kb)
    assert kb.messages["also_asked"] in both.body
    asked = respond(Turn("I think I might have a NET, who should I see first?", "ask_diagnosis", 0.9), kb)
    assert asked.kind == "diagnosis" and kb.messages["diagnose_me_asked"] in asked.body
    for reply in (both, asked):
        assert ev.faithfulness([reply.body]).unsupported == [], reply.body
    keys = (both.slots["last_entry"] or "").split()
    assert keys == ["carcinoid_syndrome", "carcinoid_triggers"]
    shown = respond(Turn("where does it say that?", "ask_source", 0.95, last_entry=both.slots["last_entry"]), kb)
    for key in keys:
        for record in ev.cached_evidence().records(key) or ():
            for quote in record.evidence:
                text = " ".join(quote.quote.split())
                assert any(text in line for line in shown.body.split("\n")), text

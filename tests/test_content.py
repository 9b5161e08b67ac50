"""Dated, reviewed content (issue 14): every entry's review record (data/knowledge/reviews.yml) and
every source's dates load and are checked; the content report lists what is due for the date it
is given (never the calendar's); "how up to date is this?" gets the review date and the closing."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
import yaml

from bot import content, evidence
from bot.config import PROJECT_ROOT
from bot.dialogue import Turn, respond
from bot.knowledge import KnowledgeBase
from bot.web import server
from tests.test_replies import REGIONS_AND_UNKNOWN, assert_ends_safely

KNOWLEDGE = PROJECT_ROOT / "data" / "knowledge"
SOURCES = PROJECT_ROOT / "data" / "sources"


@pytest.fixture(scope="module")
def records() -> content.Content:
    return content.load()


def copy_data(tmp_path: Path) -> tuple[Path, Path]:
    knowledge, sources = tmp_path / "knowledge", tmp_path / "sources"
    shutil.copytree(KNOWLEDGE, knowledge)
    shutil.copytree(SOURCES, sources)
    return knowledge, sources


def edit_yaml(path: Path, change: Callable[[Dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def load_copy(knowledge: Path, sources: Path) -> content.Content:
    return content.load(knowledge, sources, kb=KnowledgeBase.load(knowledge))


# ------------------------------------------------------------------------------ the data
def test_every_entry_has_a_review_record_against_the_current_source_texts(kb, records):
    assert set(records.reviews) == set(kb.entries)
    for review in records.reviews.values():
        assert review.next_review > review.reviewed
        for item in review.checked_against:
            sid, version = item.split("@")
            assert version == content.text_version(SOURCES / kb.sources[sid].file), item


def test_the_reviews_so_far_are_the_engineering_check_not_a_clinical_one(records):
    for review in records.reviews.values():
        assert "grounding check" in review.reviewed_by and "not a clinical review" in review.reviewed_by
        assert review.clinical_approval is None
    assert len(records.without_clinical_approval()) == len(records.reviews)


def test_the_review_cycle_bounds_every_next_review(records):
    assert records.interval_months in (6, 12)
    for review in records.reviews.values():
        assert review.next_review <= content.add_months(review.reviewed, records.interval_months)


def test_every_source_has_dates_as_printed_and_no_invented_retrieval_date(kb, records):
    assert set(records.sources) == set(kb.sources)
    printed = {sid: s.published for sid, s in records.sources.items()}
    assert printed["cruk-2025"] == "Last reviewed: 04 Feb 2025" and printed["ipsen-2019"] == "October 2019"
    assert printed["netrf-about"] is None and printed["netday-article"] is None
    for source in records.sources.values():
        text = " ".join((SOURCES / kb.sources[source.id].file).read_text(encoding="utf-8").split())
        assert source.published is None or source.published in text
        # No retrieval date was recorded for any copy (data/knowledge/sources.yml says so).
        assert source.retrieved is None


def test_add_months_keeps_the_day_or_the_last_day_of_a_short_month():
    assert content.add_months(date(2026, 12, 1), 12) == date(2027, 12, 1)
    assert content.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


# ------------------------------------------------------------------------------ validation
def _drop_record(data: Dict[str, Any]) -> None:
    del data["reviews"]["what_is_net"]


def _bad_date(data: Dict[str, Any]) -> None:
    data["reviews"]["what_is_net"]["reviewed"] = "2026-13-01"


def _next_before_reviewed(data: Dict[str, Any]) -> None:
    data["reviews"]["what_is_net"]["next_review"] = date(2026, 11, 1)


def _next_beyond_the_cycle(data: Dict[str, Any]) -> None:
    data["reviews"]["what_is_net"]["next_review"] = date(2029, 1, 1)


def _unknown_source(data: Dict[str, Any]) -> None:
    data["reviews"]["what_is_net"]["checked_against"].append("nhs-2026@0123456789abcdef")


def _cited_source_not_checked(data: Dict[str, Any]) -> None:
    data["reviews"]["what_is_net"]["checked_against"] = [
        item for item in data["reviews"]["what_is_net"]["checked_against"] if not item.startswith("ccs-2024@")
    ]


def _no_approval_key(data: Dict[str, Any]) -> None:
    del data["reviews"]["what_is_net"]["clinical_approval"]


def _record_for_a_removed_entry(data: Dict[str, Any]) -> None:
    data["reviews"]["no_such_entry"] = dict(data["reviews"]["what_is_net"])


def _no_due_soon_days(data: Dict[str, Any]) -> None:
    del data["due_soon_days"]


@pytest.mark.parametrize(
    "mutate, problem",
    [
        (_drop_record, "no record for entry what_is_net"),
        (_bad_date, "'2026-13-01' is not a date"),
        (_next_before_reviewed, "next_review 2026-11-01 is not after reviewed 2026-12-01"),
        (_next_beyond_the_cycle, "more than 12 months after reviewed"),
        (_unknown_source, "unknown source id nhs-2026"),
        (_cited_source_not_checked, "cites ccs-2024 but was not checked against it"),
        (_no_approval_key, "no `clinical_approval`"),
        (_record_for_a_removed_entry, "record for unknown entry no_such_entry"),
        (_no_due_soon_days, "due_soon_days must be a whole number of days"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:],
)
def test_the_loader_catches_each_malformed_record(tmp_path, mutate, problem):
    knowledge, sources = copy_data(tmp_path)
    load_copy(knowledge, sources)  # the copy itself is sound
    edit_yaml(knowledge / "reviews.yml", mutate)
    with pytest.raises(content.ContentError) as raised:
        load_copy(knowledge, sources)
    assert problem in str(raised.value)


def test_a_changed_source_text_makes_its_reviews_stale(tmp_path, kb):
    knowledge, sources = copy_data(tmp_path)
    path = sources / kb.sources["ipsen-2019"].file
    path.write_text(path.read_text(encoding="utf-8") + "\nA sentence added after the review.\n", encoding="utf-8")
    with pytest.raises(content.ContentError) as raised:
        load_copy(knowledge, sources)
    stale = [line for line in str(raised.value).splitlines() if "stale" in line]
    # Every entry checked against that source, and only those.
    expected = {r.entry for r in content.load().reviews.values() if "ipsen-2019" in r.sources}
    assert expected and {line.split()[2].rstrip(":") for line in stale} == expected
    assert all("ipsen-2019" in line for line in stale)


@pytest.mark.parametrize(
    "change, problem",
    [
        (lambda s: s["sources"]["ipsen-2019"].update(published="March 2021"), "published 'March 2021' is not printed"),
        (lambda s: s["sources"]["ccs-2024"].pop("retrieved"), "ccs-2024: no `retrieved`"),
        (lambda s: s["sources"]["ccs-2024"].update(retrieved="last autumn"), "'last autumn' is not a date"),
    ],
    ids=["published-not-printed", "retrieved-missing", "retrieved-not-a-date"],
)
def test_the_loader_catches_source_dates_that_are_not_known(tmp_path, change, problem):
    knowledge, sources = copy_data(tmp_path)
    edit_yaml(knowledge / "sources.yml", change)
    with pytest.raises(content.ContentError) as raised:
        load_copy(knowledge, sources)
    assert problem in str(raised.value)


# ------------------------------------------------------------------------------ the report
def test_the_report_lists_an_entry_due_only_when_the_given_day_is_late_enough(records):
    next_review = records.reviews["what_is_net"].next_review
    early = content.report(records, date(2026, 12, 2))
    assert "## Entries due for review (0)" in early and "| what_is_net |" not in early.split("## Entries without")[0]
    soon = content.report(records, date.fromordinal(next_review.toordinal() - 10))
    assert "| what_is_net | 2026-12-01 | 2027-12-01 | due soon |" in soon
    late = content.report(records, date.fromordinal(next_review.toordinal() + 1))
    assert "| what_is_net | 2026-12-01 | 2027-12-01 | overdue |" in late
    assert f"## Entries due for review ({len(records.reviews)})" in late


def test_the_report_lists_unapproved_entries_and_sources_without_address_or_date(records):
    text = content.report(records, date(2026, 12, 2))
    approval = text.split("## Entries without clinical approval")[1].split("## Sources without an address")[0]
    assert f"({len(records.reviews)} of {len(records.reviews)})" in approval
    assert all(f"| {entry} |" in approval for entry in records.reviews)
    no_address = text.split("## Sources without an address")[1].split("## Sources whose")[0]
    assert "| ipsen-2019 |" in no_address and "| netday-article |" in no_address and "| cruk-2025 |" not in no_address
    unprinted = text.split("## Sources whose recorded address is not printed")[1].split("## Sources without a retrieval")[0]
    assert "| netrf-about |" in unprinted and "| ccs-2024 |" not in unprinted  # cancer.ca is printed in its footer
    no_date = text.split("## Sources without a retrieval date")[1].split("## Sources\n")[0]
    assert all(f"| {sid} |" in no_date for sid in records.sources)


def test_the_report_command_exits_0_whatever_the_date_and_writes_the_file(tmp_path, capsys):
    out = tmp_path / "report.md"
    assert content.main(["report", "--today", "2031-01-01", "--out", str(out)]) == 0
    written = out.read_text(encoding="utf-8")
    assert "overdue" in written and written == capsys.readouterr().out


# ------------------------------------------------------------------------------ the reply
@pytest.mark.parametrize("region", REGIONS_AND_UNKNOWN)
def test_the_review_date_question_gets_the_date_and_the_closing(kb, records, region):
    reply = respond(Turn("how up to date is this?", "ask_review_date", 0.9, region=region), kb)
    assert reply.kind == "review_date"
    assert content.spoken_date(records.last_reviewed) in reply.body
    assert content.spoken_date(records.next_review) in reply.body
    assert kb.messages["review_clinical_none"] in reply.body
    assert '"Last reviewed: 04 Feb 2025"' in reply.body and '"October 2019"' in reply.body
    assert_ends_safely(kb, reply, region)


def test_after_an_answer_it_gives_that_answers_record_and_sources(kb, records):
    first = respond(Turn("what is carcinoid syndrome?", "ask_definition", 0.95), kb)
    reply = respond(Turn("is this information up to date?", "ask_review_date", 0.9, last_entry=first.slots["last_entry"]), kb)
    review = records.reviews["carcinoid_syndrome"]
    assert reply.kind == "review_date" and kb.entries["carcinoid_syndrome"].title in reply.body
    for sid, source in kb.sources.items():
        assert (source.publisher in reply.body) == (sid in review.sources), sid
    # It leaves the last answer as it was: "where does it say that?" still means that answer.
    assert "last_entry" not in reply.slots


def test_the_review_reply_is_only_fixed_non_medical_messages(kb):
    bodies = [
        respond(Turn("is this up to date?", "ask_review_date", 0.9, last_entry=key), kb).body for key in (None, "lung_nets")
    ]
    found = evidence.faithfulness(bodies)
    assert found.sentences >= 10 and found.unsupported == [] and found.fixed == found.sentences


def test_a_clinical_approval_a_retrieval_date_and_a_later_review_are_said(tmp_path):
    knowledge, sources = copy_data(tmp_path)

    def approve_one(data: Dict[str, Any]) -> None:
        data["reviews"]["what_is_net"].update(
            reviewed=date(2027, 1, 10),
            next_review=date(2028, 1, 10),
            clinical_approval={"by": "Dr A Example", "on": date(2027, 1, 12)},
        )

    edit_yaml(knowledge / "reviews.yml", approve_one)
    edit_yaml(knowledge / "sources.yml", lambda s: s["sources"]["ccs-2024"].update(retrieved=date(2026, 11, 20)))
    kb = KnowledgeBase.load(knowledge)
    records = load_copy(knowledge, sources)
    everything = content.review_reply(kb, [], None, records).body
    assert "between 1 December 2026 and 10 January 2027" in everything
    assert f"A clinician has approved 1 of these {len(records.reviews)} answers so far." in everything
    assert "Canadian Cancer Society: 20 November 2026" in everything and "Cancer Research UK: not recorded" in everything
    one = content.review_reply(kb, ["what_is_net"], None, records).body
    assert "on 10 January 2027" in one and "A clinician (Dr A Example) approved it, most recently on 12 January 2027." in one
    assert evidence.faithfulness([everything, one]).unsupported == []
    assert "| what_is_net |" not in content.report(records, date(2027, 2, 1)).split("## Entries without clinical approval")[1]


def test_an_unsure_guess_of_the_review_question_is_not_answered_with_dates(kb):
    assert respond(Turn("is this up to date?", "ask_review_date", 0.2), kb).kind != "review_date"


def test_every_training_phrasing_gets_the_review_reply(kb):
    """The NLU examples, as the NLU would label them: the act decision (emergency, diagnosis
    request) comes first, and takes none of them."""
    data = yaml.safe_load((PROJECT_ROOT / "data" / "nlu" / "meta" / "review_date.yml").read_text(encoding="utf-8"))
    examples = [line[2:] for line in data["nlu"][0]["examples"].splitlines() if line.startswith("- ")]
    assert len(examples) >= 40
    kinds = {text: respond(Turn(text, "ask_review_date", 0.9), kb).kind for text in examples}
    assert {text: kind for text, kind in kinds.items() if kind != "review_date"} == {}


# ------------------------------------------------------------------------------ the page
def test_the_page_shows_the_review_date_from_the_records(kb, records):
    page = server.page_html(server.HERE / "index.html").decode()
    assert content.page_line(kb, records) in page
    assert content.spoken_date(records.last_reviewed) in page and "<!--content-review-->" not in page
    # The HTML file itself holds no date: the server fills it in.
    assert content.spoken_date(records.last_reviewed) not in (server.HERE / "index.html").read_text(encoding="utf-8")


def test_the_page_keeps_its_own_line_when_the_records_do_not_load(monkeypatch):
    def broken(*_: Any) -> str:
        raise content.ContentError("reviews.yml: no `reviews` mapping")

    monkeypatch.setattr(server, "page_line", broken)
    page = server.page_html(server.HERE / "index.html").decode()
    assert 'Ask the assistant "how up to date is this?"' in page

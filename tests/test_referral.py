"""Region-aware referral: where the person is, asked once, and contact details only from
data/knowledge/contacts.yml."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest
import yaml

from bot import answers
from bot.dialogue import Turn, respond
from bot.referral import REGIONS, emergency_text, normalise_region, referral_text, region_from_metadata

ROOT = Path(__file__).resolve().parent.parent
CONTACTS_FILE = ROOT / "data" / "knowledge" / "contacts.yml"
CONTACTS = yaml.safe_load(CONTACTS_FILE.read_text(encoding="utf-8"))
SPECIALIST = "how do I find a NET specialist near me?"


def contact_details() -> List[str]:
    """Every phone number, web address and emergency number in contacts.yml."""
    details = []
    for region in ("us", "canada", "uk"):
        block = CONTACTS["referral"][region]
        details += [str(block[k]) for k in ("phone", "url") if k in block]
    details += [str(v) for v in CONTACTS["emergency"]["numbers"].values() if re.search(r"\d", str(v))]
    return details


# ------------------------------------------------------------------------- region detection
@pytest.mark.parametrize(
    "text, region",
    [
        ("I'm in Toronto", "canada"),
        ("we live in Montreal", "canada"),
        ("I'm in Vancouver, British Columbia", "canada"),
        ("we're in England", "uk"),
        ("I'm under the NHS", "uk"),
        ("we live in Cardiff", "uk"),
        ("I'm in Scotland", "uk"),
        ("I'm in the UK", "uk"),
        ("I live in Ohio", "us"),
        ("we're in Texas", "us"),
        ("I'm in California", "us"),
        ("I'm in the USA", "us"),
        ("I'm in Australia", "elsewhere"),
        ("we live in Germany", "elsewhere"),
        ("I'm in India", "elsewhere"),
    ],
)
@pytest.mark.parametrize("intent", [("inform_region", 0.95), ("nlu_fallback", 0.2)])
def test_the_region_named_in_a_message_is_remembered_and_used(kb, text, region, intent):
    reply = respond(Turn(text, intent[0], intent[1]), kb)
    assert reply.kind == "region"
    assert reply.slots["region"] == region
    assert reply.text.endswith(referral_text(kb, region))


@pytest.mark.parametrize("region", ["us", "canada", "uk"])
def test_a_region_gets_its_own_referral_only(kb, region):
    reply = respond(Turn(SPECIALIST, "find_specialist", 0.95, region=region), kb)
    ending = reply.text.split(f"{kb.messages['referral_label']}: ")[-1]
    assert ending == referral_text(kb, region)
    block = CONTACTS["referral"][region]
    for key in ("phone", "url", "hours"):
        if "{" + key + "}" in block["text"]:
            assert str(block[key]) in ending
    others = [r for r in ("us", "canada", "uk") if r != region]
    for other in others:
        for key in ("phone",):
            if key in CONTACTS["referral"][other]:
                assert str(CONTACTS["referral"][other][key]) not in ending


@pytest.mark.parametrize("text", [SPECIALIST, "I'm in Lagos", "what is a NET?"])
def test_unknown_or_elsewhere_gets_all_three_short_referrals(kb, text):
    reply = respond(Turn(text, None, 0.0), kb)
    assert reply.text.endswith(referral_text(kb, None))
    assert referral_text(kb, None) == referral_text(kb, "elsewhere") == CONTACTS["referral"]["elsewhere"].strip()
    for detail in ("netrf.org", CONTACTS["referral"]["canada"]["phone"], CONTACTS["referral"]["uk"]["phone"]):
        assert detail in reply.text.split("\n")[-1]


def test_two_different_places_leave_the_region_unknown_rather_than_guess(kb):
    reply = respond(Turn("my mum just collapsed, we're in London, Ontario", "report_emergency", 0.9), kb)
    assert reply.kind == "emergency"
    assert "region" not in reply.slots
    first = reply.text.split("\n")[0]
    assert "911" in first and "999" in first and "112" in first


def test_a_region_said_in_the_message_beats_the_remembered_one_and_the_channel(kb):
    reply = respond(Turn("actually we moved to Toronto", "inform_region", 0.9, region="uk", metadata={"country": "GB"}), kb)
    assert reply.slots["region"] == "canada"
    kept = respond(Turn(SPECIALIST, "find_specialist", 0.9, region="uk", metadata={"country": "CA"}), kb)
    assert kept.text.endswith(referral_text(kb, "uk"))


@pytest.mark.parametrize(
    "metadata, region",
    [
        ({"country": "CA"}, "canada"),
        ({"country": "GB"}, "uk"),
        ({"country_code": "us"}, "us"),
        ({"country": "U.S."}, "us"),
        ({"locale": "en-GB"}, "uk"),
        ({"locale": "fr_CA"}, "canada"),
        ({"country": "FR"}, "elsewhere"),
        ({"locale": "en"}, None),
        ({"country": ""}, None),
        ({}, None),
        ({"country": 44}, None),
    ],
)
def test_region_from_channel_metadata(kb, metadata, region):
    assert region_from_metadata(metadata) == region
    reply = respond(Turn(SPECIALIST, "find_specialist", 0.95, metadata=metadata), kb)
    assert reply.text.endswith(referral_text(kb, region))
    assert reply.slots.get("region") == region


@pytest.mark.parametrize(
    "value, region", [("Canada", "canada"), ("Great Britain", "uk"), ("usa", "us"), (" UK ", "uk"), ("x", None), (None, None)]
)
def test_normalise_region(value, region):
    assert normalise_region(value) == region


# ------------------------------------------------------------------------- asking the region
def test_find_specialist_asks_the_region_once_with_buttons(kb):
    first = respond(Turn(SPECIALIST, "find_specialist", 0.95), kb)
    assert kb.messages["region_ask"] in first.text
    assert first.buttons == answers.region_buttons() + [answers.source_button(kb)]
    assert {b.payload for b in first.buttons[:-1]} == {f'/inform_region{{"region":"{r}"}}' for r in REGIONS}
    # The answer above the region question can still be traced to its source.
    assert first.buttons[-1].payload == "/ask_source" and first.slots["last_entry"] == "find_specialist"
    assert first.slots["region_asked"] == "true"
    assert first.text.endswith(referral_text(kb, None))

    again = respond(Turn(SPECIALIST, "find_specialist", 0.95, region_asked=True), kb)
    assert kb.messages["region_ask"] not in again.text
    assert not any(b.payload.startswith("/inform_region") for b in again.buttons)
    assert "region_asked" not in again.slots


@pytest.mark.parametrize("region", ["us", "canada", "uk", "elsewhere"])
def test_a_region_button_sets_the_region_and_is_not_asked_again(kb, region):
    payload = f'/inform_region{{"region":"{region}"}}'
    chosen = respond(Turn(payload, "inform_region", 1.0, entities=[{"entity": "region", "value": region}]), kb)
    assert chosen.kind == "region" and chosen.slots["region"] == region
    assert chosen.text.endswith(referral_text(kb, region))
    later = respond(Turn(SPECIALIST, "find_specialist", 0.95, region=region), kb)
    assert kb.messages["region_ask"] not in later.text
    assert later.text.endswith(referral_text(kb, region))


@pytest.mark.parametrize("intent", ["ask_definition", "ask_symptoms"])
def test_other_questions_never_ask_the_region(kb, intent):
    reply = respond(Turn("what is a NET?", intent, 0.95), kb)
    assert kb.messages["region_ask"] not in reply.text
    assert "region_asked" not in reply.slots


# ------------------------------------------------- contact details only from contacts.yml
def test_referral_and_emergency_texts_are_built_from_contacts_yml(kb):
    for region in ("us", "canada", "uk"):
        block = CONTACTS["referral"][region]
        expected = block["text"].format(**{k: v for k, v in block.items() if k != "text"}).strip()
        assert referral_text(kb, region) == expected
    for region, number in CONTACTS["emergency"]["numbers"].items():
        assert f"({number})" in emergency_text(kb, region)
    assert f"({CONTACTS['emergency']['unknown']})" in emergency_text(kb, None)


PHONE = re.compile(
    r"(?<![\w.])(?:\+?\d{1,3}[ -])?\(?\d{3,4}\)?[ -]\d{3}[ -]\d{2,4}(?:[ -]\d{2,4})?(?![\w.])|"
    r"\b(?:911|999|112)\b"
)
# Files that make up the running bot and what it says (not tests, docs or training examples).
SCANNED = ("bot", "actions", "evaluation", "data/knowledge", "domain.yml", "config.yml", "endpoints.yml", "credentials.yml")
NOT_CONTACTS = {
    CONTACTS_FILE,
    ROOT / "data" / "knowledge" / "sources.yml",  # where each source page lives, not a contact
    # the safety checks' own expectations (the numbers a reply must show), written independently
    # of contacts.yml like the tests'
    ROOT / "evaluation" / "safety_checks.py",
}


def python_strings(path: Path) -> Iterator[Tuple[int, str]]:
    """String and number literals of a module, without docstrings and comments."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in docstrings and isinstance(node.value, (str, int)):
            yield node.lineno, str(node.value)


def scanned_texts() -> Iterator[Tuple[str, int, str]]:
    for name in SCANNED:
        base = ROOT / name
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
        for path in paths:
            if path in NOT_CONTACTS or "__pycache__" in path.parts:
                continue
            rel = str(path.relative_to(ROOT))
            if path.suffix == ".py":
                for line, text in python_strings(path):
                    yield rel, line, text
            elif path.suffix in (".yml", ".yaml", ".json", ".js", ".html", ".txt", ".md", ".cfg"):
                for line, text in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                    yield rel, line, text


def web_page_emergency_line(text: str) -> Optional[str]:
    """The static web page may repeat the emergency numbers, but only exactly as contacts.yml has them."""
    unknown = CONTACTS["emergency"]["unknown"]
    return text.replace(unknown, "") if unknown in text else None


def test_no_phone_number_or_contact_address_outside_contacts_yml():
    details = [d for d in contact_details() if not d.startswith("http")] + [
        re.sub(r"^https?://(www\.)?", "", str(CONTACTS["referral"][r]["url"])) for r in ("us", "canada", "uk")
    ]
    found = []
    for rel, line, text in scanned_texts():
        if rel.endswith(".html"):
            text = web_page_emergency_line(text) or text
        hits = [m.group(0) for m in PHONE.finditer(text)] + [d for d in details if d in text]
        found += [f"{rel}:{line}: {hit!r}" for hit in hits]
    assert not found, "\n".join(found)


def test_the_phone_check_finds_numbers_in_the_formats_contacts_use():
    for detail in contact_details():
        for number in re.findall(r"[\d -]{3,}\d", detail):
            assert PHONE.search(number), number
    assert PHONE.search("call 0800 123 4567 now")
    assert not PHONE.search("port 5005 and 2.1 mmol")


def test_states_provinces_and_australian_places_pick_the_right_region():
    from bot.nlp import mentions
    from bot.referral import region_from_values

    def region(text):
        return region_from_values(m.value for m in mentions(text) if m.label == "region")

    assert region("I live in New Mexico") == "us"
    assert region("we are in New South Wales") == "elsewhere"
    assert region("my mum lives in Victoria BC") == "canada"
    assert region("we're in Oklahoma") == "us"


def test_an_off_topic_question_naming_a_city_is_out_of_scope(kb):
    from bot.dialogue import Turn, respond

    reply = respond(Turn("what's the weather in London", "out_of_scope", 0.9), kb)
    assert reply.kind == "out_of_scope"

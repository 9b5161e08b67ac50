"""End to end over HTTP: the real Rasa server and action server, real messages."""

from __future__ import annotations

import uuid

import pytest
import requests

from bot.knowledge import get_knowledge_base
from bot.referral import referral_text

KB = get_knowledge_base()


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}"


def only_text(response: requests.Response) -> str:
    assert response.status_code == 200, response.text
    messages = response.json()
    assert len(messages) == 1, messages
    return messages[0]["text"]


def assert_safe_ending(text: str, region=None, compact: bool = False) -> None:
    """The disclaimer, then the referral for the region: in full, or (after the first reply of a
    conversation) `compact`, one short line each."""
    assert text.endswith(referral_text(KB, region, compact)), text[-400:]
    assert "not a doctor" in text[-900:]


def test_what_is_a_neuroendocrine_tumour(stack):
    text = only_text(stack.say(sender(), "what is a neuroendocrine tumour?"))
    assert text.startswith("A neuroendocrine tumour (NET) is an uncommon type of cancer")
    assert "Sources: Neuroendocrine Tumor Research Foundation (NETRF); Canadian Cancer Society." in text
    assert_safe_ending(text)


def test_carcinoid_syndrome_then_follow_ups_stay_on_topic(stack):
    who = sender()
    first = only_text(stack.say(who, "what is carcinoid syndrome?"))
    assert first.startswith("Carcinoid syndrome is a group of symptoms")
    second = only_text(stack.say(who, "what are its symptoms?"))
    assert second.startswith("The main symptoms of carcinoid syndrome")
    assert_safe_ending(second)


def test_buttons_are_follow_up_questions_that_work(stack):
    who = sender()
    response = stack.say(who, "what is carcinoid syndrome?")
    buttons = response.json()[0]["buttons"]
    assert len(buttons) == 6  # three related topics, "Show the source", then "Helpful" / "Not helpful"
    assert buttons[3]["payload"] == "/ask_source"
    assert [b["title"] for b in buttons[4:]] == ["Helpful", "Not helpful"]
    followed = only_text(stack.say(who, buttons[0]["payload"]))
    assert followed.startswith(KB.entries["carcinoid_syndrome_symptoms"].answer[:60])


def test_low_confidence_gets_an_honest_reply_not_a_guess(stack):
    text = only_text(stack.say(sender(), "blorp fizzle wug quux"))
    assert text.startswith("I'm not sure I understood that")
    assert_safe_ending(text)


def test_region_is_remembered_for_the_referral(stack):
    who = sender()
    first = only_text(stack.say(who, "I live in Toronto"))
    assert_safe_ending(first, "canada")  # the first reply of the conversation: the full closing
    text = only_text(stack.say(who, "how do I find a NET specialist?"))
    assert "1-888-939-3333" in text
    assert_safe_ending(text, "canada", compact=True)  # later replies: one compact line each


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   \n\t ",
        "a" * 10_000,
        "🙂🙂🙂",
        "¿Qué es un tumor neuroendocrino?",
        "神经内分泌肿瘤是什么",
        "مرحبا",
        "<script>alert('x')</script>",
        "'; DROP TABLE events; --",
        "\u0000\u0007 hello \u202e",
    ],
    ids=["empty", "whitespace", "10k", "emoji", "spanish", "chinese", "arabic", "html", "sql", "control"],
)
def test_bad_input_gets_a_friendly_reply_and_the_conversation_goes_on(stack, message):
    who = sender()
    text = only_text(stack.say(who, message))
    assert_safe_ending(text)
    if message.strip("\u0000\u0007\u202e \n\t") == "":
        assert text.startswith("I didn't receive any text")
    if len(message) == 10_000:
        assert text.startswith("That message is very long")
    after = only_text(stack.say(who, "what is a NET?"))
    assert after.startswith("A neuroendocrine tumour (NET) is")


@pytest.mark.parametrize(
    "body, status",
    [
        ({"sender": "x"}, 400),
        ({"message": "hi"}, 400),
        ({"sender": "x", "message": 42}, 400),
        ({"sender": "x", "message": None}, 400),
        ({"sender": {"a": 1}, "message": "hi"}, 400),
        ({"sender": "s" * 500, "message": "hi"}, 400),
        ([1, 2, 3], 400),
        ({"sender": "x", "message": "m" * 200_000}, 413),
    ],
    ids=["no-message", "no-sender", "int-message", "null-message", "object-sender", "huge-sender", "array", "200k"],
)
def test_malformed_requests_get_a_clear_4xx(stack, body, status):
    response = requests.post(stack.webhook, json=body, timeout=30)
    assert response.status_code == status
    assert "error" in response.json()


def test_invalid_json_gets_400_and_the_server_keeps_working(stack):
    response = requests.post(stack.webhook, data=b"{not json \xff", headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 400
    assert only_text(stack.say(sender(), "hello")).startswith("Hello!")


def test_conversations_are_stored_in_sqlite(stack):
    import sqlite3

    who = sender()
    only_text(stack.say(who, "what causes NETs?"))
    with sqlite3.connect(stack.db) as db:
        rows = db.execute("select count(*) from events where sender_id = ?", (who,)).fetchone()[0]
    assert rows >= 3


def test_where_does_it_say_that_quotes_the_passages_with_their_publisher(stack):
    """Answer, then "where does it say that?" in words: the quoted passages behind that answer,
    each source's under its publisher, page title and address, then the citation and closing.

    `rasa shell` is this same REST channel (the launcher's `shell` posts each line to
    /webhooks/rest/webhook and prints the `text`), so this test covers the shell's path too."""
    who = sender()
    answer = stack.say(who, "what is a neuroendocrine tumour?").json()[0]
    assert {"title": "Show the source", "payload": "/ask_source"} in answer["buttons"]
    response = stack.say(who, "where does it say that?")
    text = only_text(response)
    assert text.startswith(KB.messages["source_intro"]), text[:300]
    assert 'From Neuroendocrine Tumor Research Foundation (NETRF), "About Neuroendocrine Tumors" (https://netrf.org):' in text
    assert "\u201cA neuroendocrine tumor (NET) is an uncommon cancer type that forms in neuroendocrine cells\u201d" in text
    assert "From Canadian Cancer Society" in text
    assert_safe_ending(text)
    # The parts mark each quotation (a Markdown blockquote line in the widget); `text` is plain.
    parts = response.json()[0]["reply"]
    assert parts["kind"] == "source"
    assert any(line.startswith("> \u201c") for line in parts["body"].split("\n"))
    assert not any(line.startswith(">") for line in text.split("\n"))
    # The button asks the same.
    again = only_text(stack.say(who, "/ask_source"))
    assert again == text


def test_where_does_it_say_that_before_any_answer_says_there_is_none(stack):
    text = only_text(stack.say(sender(), "show me the source"))
    assert text.startswith(KB.messages["source_none"][:60]), text[:200]
    assert_safe_ending(text)

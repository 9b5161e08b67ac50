"""bot.shaping: replies shaped per platform, on the bot's real replies (no server needed)."""

from __future__ import annotations

import re
from typing import List

import pytest

from bot import answers
from bot.dialogue import Turn, respond
from bot.referral import referral_text
from bot.shaping import (
    PLATFORMS,
    OutMessage,
    choose,
    escape_slack,
    inbound_text,
    linkify,
    message_parts,
    shape,
    sms_segments,
    web_messages,
)

MESSAGING = ["telegram", "slack", "facebook", "twilio"]


def reply(text: str, intent: str, confidence: float = 0.95) -> answers.Reply:
    return respond(Turn(text=text, intent=intent, confidence=confidence))


@pytest.fixture(scope="module")
def carcinoid() -> answers.Reply:
    return reply("what is carcinoid syndrome?", "ask_definition")


@pytest.fixture(scope="module")
def long_reply(kb) -> answers.Reply:
    """A real knowledge-base answer, repeated to ~9000 characters, with the real closing."""
    entry = kb.entries["carcinoid_syndrome_symptoms"]
    parts = [entry.answer] * (9000 // len(entry.answer) + 1)
    return answers.finish(
        kb,
        parts,
        kind="answer",
        region="uk",
        sources=["cruk-2025"],
        buttons=[answers.button_for(kb, "carcinoid_syndrome_symptoms")],
    )


def closing_of(kb, region=None, compact=False) -> str:
    return answers.closing(kb, region, compact)


def said(kb, body: str, buttons=()) -> dict:
    """A bot message with `body` and the short closing, as the action sends it."""
    buttons = [answers.Button(b["title"], b["payload"]) for b in buttons]
    return answers.Reply(body=body, kind="smalltalk", closing=closing_of(kb, compact=True), buttons=buttons).as_message()


def joined(messages: List[OutMessage]) -> str:
    return "\n".join(re.sub(r"^\(\d+/\d+\) ", "", m.text) for m in messages)


@pytest.mark.parametrize("channel", MESSAGING)
def test_short_answer_is_one_message_ending_with_disclaimer_and_referral(channel, carcinoid, kb):
    messages = shape(channel, carcinoid.as_message())
    assert len(messages) == 1
    text = messages[0].text
    assert text.startswith("Carcinoid syndrome is a group of symptoms")
    assert "Sources:" in text
    assert text.endswith(referral_text(kb, None))
    assert kb.contacts["disclaimer"].strip() in text


@pytest.mark.parametrize("channel", MESSAGING)
def test_long_reply_is_split_within_the_limit_and_the_closing_is_whole_in_the_last_message(channel, long_reply, kb):
    limit = PLATFORMS[channel].max_chars
    messages = shape(channel, long_reply.as_message())
    assert len(messages) >= 2
    assert all(0 < len(m.text) <= limit for m in messages), [len(m.text) for m in messages]
    closing = closing_of(kb, "uk")
    last = messages[-1].text
    assert last.endswith(closing)
    assert all(kb.contacts["disclaimer"].strip() not in m.text for m in messages[:-1])
    assert all(not m.buttons for m in messages[:-1])
    # Nothing lost: every sentence of the reply is in some message.
    everything = joined(messages)
    for sentence in re.split(r"(?<=[.!?])\s+", long_reply.text):
        assert sentence.strip() in everything


def test_sms_parts_are_numbered_and_fit_twilio(long_reply):
    messages = shape("twilio", long_reply.as_message())
    total = len(messages)
    assert [m.text.split(" ", 1)[0] for m in messages] == [f"({i}/{total})" for i in range(1, total + 1)]
    assert all(len(m.text) <= 1600 for m in messages)
    assert all(sms_segments(m.text) <= 11 for m in messages)


def test_sms_gets_numbered_options_instead_of_buttons(carcinoid, kb):
    (message,) = shape("twilio", carcinoid.as_message())
    assert message.buttons == []
    lines = message.text.split("\n")
    start = lines.index("Reply with a number for more:")
    assert lines[start + 1 : start + 7] == [f"{i}. {b.title}" for i, b in enumerate(carcinoid.buttons, 1)]
    assert lines[start + 4] == "4. Show the source"  # after the related topics: where the answer comes from
    assert lines[start + 5 : start + 7] == ["5. Helpful", "6. Not helpful"]  # then the feedback pair
    # Options come before the closing, which still ends the message.
    assert message.text.endswith(closing_of(kb))


def test_sms_number_reply_is_the_option_payload(carcinoid):
    offered = [b.as_dict() for b in carcinoid.buttons]
    assert choose("twilio", "1", offered) == carcinoid.buttons[0].payload
    assert choose("twilio", " 3. ", offered) == carcinoid.buttons[2].payload
    assert choose("twilio", "#2", offered) == carcinoid.buttons[1].payload
    assert choose("twilio", "4", offered) == "/ask_source"
    assert choose("twilio", "6", offered) == '/feedback_not_helpful{"rated_entry":"carcinoid_syndrome"}'
    assert choose("twilio", "7", offered) is None
    assert choose("twilio", "0", offered) is None
    assert choose("twilio", "1 please", offered) is None
    assert choose("twilio", "2", []) is None


def test_sms_uses_plain_punctuation_to_stay_in_gsm7(kb):
    (message,) = shape("twilio", said(kb, "It\u2019s \u201cusually\u201d slow \u2013 months\u2026"))
    assert message.text.startswith('It\'s "usually" slow - months...')
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("\u00e9" * 160) == 1  # é is in GSM-7
    assert sms_segments("\u2019" * 70) == 1 and sms_segments("\u2019" * 71) == 2  # UCS-2
    assert sms_segments("{" * 80) == 1 and sms_segments("{" * 81) == 2  # extension table: 2 each


def test_facebook_quick_reply_titles_fit_20_characters_and_full_titles_are_listed(carcinoid):
    (message,) = shape("facebook", carcinoid.as_message())
    assert all(len(b["title"]) <= 20 for b in message.buttons)
    assert [b["payload"] for b in message.buttons] == [b.payload for b in carcinoid.buttons]
    assert message.buttons[0]["title"].startswith("1. ")
    assert "More on this:\n1. Symptoms of carcinoid syndrome" in message.text


def test_short_titles_are_used_as_they_are(kb):
    buttons = [{"title": "Symptoms", "payload": "/ask_symptoms"}]
    (message,) = shape("facebook", said(kb, "Hi.", buttons))
    assert message.buttons == buttons
    assert "More on this" not in message.text


def test_telegram_payload_over_64_bytes_falls_back_to_the_title(kb):
    long_payload = '/ask_definition{"condition":"' + "x" * 80 + '"}'
    buttons = [{"title": "Carcinoid heart disease", "payload": long_payload}, {"title": "Ok", "payload": "/greet"}]
    (message,) = shape("telegram", said(kb, "Hi.", buttons))
    assert message.buttons[0] == {"title": "Carcinoid heart disease", "payload": "Carcinoid heart disease"}
    assert message.buttons[1] == {"title": "Ok", "payload": "/greet"}


def test_slack_text_is_escaped_for_mrkdwn(kb):
    (message,) = shape("slack", said(kb, "Use <!channel> & <script>x</script>"))
    assert message.text.startswith("Use &lt;!channel&gt; &amp; &lt;script&gt;x&lt;/script&gt;")
    assert escape_slack("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_button_count_respects_the_platform(kb):
    buttons = [{"title": f"Option {i}", "payload": f"/p{i}"} for i in range(20)]
    for channel in ("telegram", "slack", "facebook"):
        (message,) = shape(channel, said(kb, "Hi.", buttons))
        assert len(message.buttons) == PLATFORMS[channel].max_buttons


def test_parts_come_from_the_message_not_from_its_text(kb):
    """The closing is the message's own part: a body that quotes the disclaimer stays in the body."""
    disclaimer = str(kb.contacts["disclaimer"]).strip()
    message = said(kb, f"Answer line one.\nThe bot says: {disclaimer}")
    head, closing, _ = message_parts(message)
    assert head == f"Answer line one.\nThe bot says: {disclaimer}"
    assert closing == closing_of(kb, compact=True)
    assert message_parts({"text": "a\nb"}) == ("a\nb", "", [])


def test_a_tiny_limit_still_sends_everything_with_the_closing_last(carcinoid, kb):
    from dataclasses import replace

    tiny = replace(PLATFORMS["telegram"], max_chars=120)
    messages = shape(tiny, carcinoid.as_message())
    assert all(len(m.text) <= 120 for m in messages)
    assert messages[-1].text.endswith(referral_text(kb, None)[-60:])
    assert carcinoid.text.split("\n")[0][:100] in joined(messages).replace("\n", " ")


def test_web_bubble_links_bare_addresses_and_keeps_lines(carcinoid):
    (bubble,) = web_messages(carcinoid.as_message())
    assert "([netrf.org](https://netrf.org))" in bubble.text
    assert "  \nSources:" in bubble.text
    assert [b["payload"] for b in bubble.buttons] == [b.payload for b in carcinoid.buttons]


def test_web_bubble_has_no_html_or_script_links():
    (bubble,) = web_messages(
        {
            "text": "[x](javascript:alert(1)) [y]( JAVASCRIPT:alert(3)) <javascript:alert(2)> <img src=x onerror=alert(4)> [ok](https://netrf.org)"
        }
    )
    assert "javascript:alert(1)" not in bubble.text and "JAVASCRIPT" not in bubble.text
    assert "<" not in bubble.text
    assert "&lt;img src=x" in bubble.text
    assert "[ok](https://netrf.org)" in bubble.text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("see netrf.org.", "see [netrf.org](https://netrf.org)."),
        (
            "visit https://cancer.ca or www.cancerresearchuk.org/about-cancer",
            "visit https://cancer.ca or [www.cancerresearchuk.org/about-cancer](https://www.cancerresearchuk.org/about-cancer)",
        ),
        ("email info@netrf.org", "email info@netrf.org"),
        ("a NET, e.g. this", "a NET, e.g. this"),
        ("already [netrf.org](https://netrf.org)", "already [netrf.org](https://netrf.org)"),
    ],
)
def test_linkify(text, expected):
    assert linkify(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/start", "hello"),
        ("/start@net_info_bot", "hello"),
        ("/help", "what can you do?"),
        ("/START", "hello"),
        ('/ask_symptoms{"condition":"carcinoid_syndrome"}', '/ask_symptoms{"condition":"carcinoid_syndrome"}'),
        ("what is a NET?", "what is a NET?"),
        (None, ""),
    ],
)
def test_inbound_commands(text, expected):
    assert inbound_text(text) == expected


def test_unknown_channel_is_an_error():
    with pytest.raises(ValueError):
        shape("carrier-pigeon", {"text": "hi"})

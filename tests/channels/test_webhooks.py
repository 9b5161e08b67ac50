"""Messaging channels end to end: each platform's real webhook format, signed as the platform signs
it, posted to the real Rasa server (real NLU, real action server); the replies are caught by a
local stand-in for the platform's API (the connectors' API base address points at it).

Runs from `make channels` (part of `make test`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import requests
from twilio.request_validator import RequestValidator

from bot.evidence import cached_evidence
from bot.knowledge import get_knowledge_base
from bot.referral import referral_text
from bot.shaping import PLATFORMS
from tests.channels.stacks import (
    FACEBOOK_APP_SECRET,
    FACEBOOK_VERIFY,
    SLACK_SIGNING_SECRET,
    TELEGRAM_SECRET,
    TWILIO_NUMBER,
    TWILIO_SID,
    TWILIO_TOKEN,
)
from tests.channels.standins import StandIn

PAYLOADS = Path(__file__).parent / "payloads"
KB = get_knowledge_base()
REFERRAL = referral_text(KB, None)
FIRST = "Carcinoid syndrome is a group of symptoms"
FOLLOW_UP = KB.entries["carcinoid_syndrome_symptoms"].answer[:60]
SYMPTOMS_PAYLOAD = '/ask_symptoms{"condition":"carcinoid_syndrome"}'


def payload(name: str) -> Dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def assert_safe_ending(text: str) -> None:
    assert "not a doctor" in text, text[-500:]
    assert text.rstrip().endswith(REFERRAL), text[-300:]


def assert_carcinoid_answer(text: str) -> None:
    assert text.startswith(FIRST), text[:200]
    assert "Sources:" in text
    assert_safe_ending(text)


# ---- Telegram ------------------------------------------------------------------------------


def telegram(stack, update: Dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return requests.post(f"{stack.url}/webhooks/telegram/webhook", json=update, headers=headers, timeout=60)


def telegram_update(name: str, chat_id: int, text: str | None = None) -> Dict[str, Any]:
    update = payload(name)
    update["update_id"] = random.randint(1, 2**31)
    message = update["message"] if "message" in update else update["callback_query"]["message"]
    message["chat"]["id"] = chat_id
    if "message" in update:
        update["message"]["from"]["id"] = chat_id
        if text is not None:
            update["message"]["text"] = text
    else:
        update["callback_query"]["from"]["id"] = chat_id
        if text is not None:
            update["callback_query"]["data"] = text
    return update


def sent_to_chat(chat_id: int):
    return lambda r: r.platform == "telegram" and r.method_name == "sendMessage" and r.form.get("chat_id") == str(chat_id)


def test_telegram_webhook_is_registered_with_the_secret_token(channel_stack, stand_in: StandIn):
    calls = stand_in.wait_for(lambda r: r.platform == "telegram" and r.method_name == "setWebhook")
    form = calls[0].form
    assert form["url"] == "https://bot.example.org/webhooks/telegram/webhook"
    assert form["secret_token"] == TELEGRAM_SECRET
    assert calls[0].path.startswith("/telegram/bot7702155314:")


def test_telegram_message_gets_the_answer_with_inline_buttons(channel_stack, stand_in: StandIn):
    chat = random.randint(10**9, 2 * 10**9)
    response = telegram(channel_stack, telegram_update("telegram_message.json", chat))
    assert response.status_code == 200, response.text
    (sent,) = stand_in.wait_for(sent_to_chat(chat))
    assert_carcinoid_answer(sent.form["text"])
    assert "parse_mode" not in sent.form  # plain text: nothing in a reply is read as markup
    keyboard = json.loads(sent.form["reply_markup"])["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard][0] == SYMPTOMS_PAYLOAD
    assert all(len(row) == 1 for row in keyboard) and len(keyboard) == 6
    assert keyboard[3][0] == {"text": "Show the source", "callback_data": "/ask_source"}
    assert [row[0] for row in keyboard[4:]] == [
        {"text": "Helpful", "callback_data": '/feedback_helpful{"rated_entry":"carcinoid_syndrome"}'},
        {"text": "Not helpful", "callback_data": '/feedback_not_helpful{"rated_entry":"carcinoid_syndrome"}'},
    ]
    assert keyboard[0][0]["text"] == "Symptoms of carcinoid syndrome"


def test_telegram_button_press_answers_the_follow_up(channel_stack, stand_in: StandIn):
    chat = random.randint(10**9, 2 * 10**9)
    telegram(channel_stack, telegram_update("telegram_message.json", chat))
    stand_in.wait_for(sent_to_chat(chat))
    response = telegram(channel_stack, telegram_update("telegram_callback_query.json", chat, SYMPTOMS_PAYLOAD))
    assert response.status_code == 200
    replies = stand_in.wait_for(sent_to_chat(chat), count=2)
    assert replies[1].form["text"].startswith(FOLLOW_UP)
    assert_safe_ending(replies[1].form["text"])
    acknowledged = stand_in.recorded(lambda r: r.method_name == "answerCallbackQuery")
    assert any(r.form.get("callback_query_id") == "4471960431584012843" for r in acknowledged)


def assert_carcinoid_sources(text: str) -> None:
    """The "where does it say that?" reply to the carcinoid syndrome answer: quoted passages under
    their publisher, title and address, as plain quoted lines (no Markdown quote marker)."""
    assert text.startswith(KB.messages["source_intro"]), text[:200]
    assert "From Ipsen (pharmaceutical company, US site)" in text
    assert "(the web address is not recorded):" in text
    quoted = [line for line in text.split("\n") if line.startswith("\u201c")]
    assert quoted, text
    assert not any(line.startswith(">") or line.startswith("&gt;") for line in text.split("\n"))
    assert_safe_ending(text)


# The passages behind the carcinoid syndrome answer, by source (the evidence file the reply quotes).
CARCINOID_QUOTES: Dict[str, List[str]] = {}
for _record in cached_evidence().records("carcinoid_syndrome") or ():
    for _quote in _record.evidence:
        CARCINOID_QUOTES.setdefault(_quote.source, [])
        if " ".join(_quote.quote.split()) not in CARCINOID_QUOTES[_quote.source]:
            CARCINOID_QUOTES[_quote.source].append(" ".join(_quote.quote.split()))
# A passage that is part of a longer passage of the same source is shown once, inside the longer.
CARCINOID_QUOTES = {
    sid: [q for q in quotes if not any(q != other and q in other for other in quotes)] for sid, quotes in CARCINOID_QUOTES.items()
}
# What SMS makes of typographic punctuation (GSM-7 has none of it).
SMS_ASCII = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2014": "-", "\u2013": "-"})


def assert_carcinoid_passages(text: str, sms: bool = False) -> None:
    """Every passage behind the carcinoid answer is quoted, whole and once, on its own line right
    under the "From <publisher>, "<title>" (<address>):" line of its source; `sms`: with plain
    ASCII quotation marks and dashes."""
    lines = text.split("\n")
    assert len(CARCINOID_QUOTES) == 3, CARCINOID_QUOTES  # CRUK, Ipsen, the NET Cancer Day article
    for sid, quotes in CARCINOID_QUOTES.items():
        source = KB.sources[sid]
        header = KB.messages["source_from"].format(
            publisher=source.publisher, title=source.title, address=source.url or KB.messages["source_no_address"]
        )
        expected = [f"\u201c{q}\u201d" for q in quotes]
        if sms:
            header, expected = header.translate(SMS_ASCII), [q.translate(SMS_ASCII) for q in expected]
        assert lines.count(header) == 1, (header, text)
        block = []
        for line in lines[lines.index(header) + 1 :]:
            if not line.startswith('"' if sms else "\u201c"):
                break
            block.append(line)
        assert sorted(block) == sorted(expected), (sid, block)


def test_telegram_show_the_source_button_quotes_the_passages(channel_stack, stand_in: StandIn):
    chat = random.randint(10**9, 2 * 10**9)
    telegram(channel_stack, telegram_update("telegram_message.json", chat))
    (first,) = stand_in.wait_for(sent_to_chat(chat))
    keyboard = json.loads(first.form["reply_markup"])["inline_keyboard"]
    assert keyboard[3][0]["callback_data"] == "/ask_source"
    telegram(channel_stack, telegram_update("telegram_callback_query.json", chat, "/ask_source"))
    replies = stand_in.wait_for(sent_to_chat(chat), count=2)
    assert_carcinoid_sources(replies[1].form["text"])


def test_telegram_start_command_is_greeted(channel_stack, stand_in: StandIn):
    chat = random.randint(10**9, 2 * 10**9)
    telegram(channel_stack, telegram_update("telegram_message.json", chat, "/start"))
    (sent,) = stand_in.wait_for(sent_to_chat(chat))
    assert sent.form["text"].startswith("Hello")
    assert_safe_ending(sent.form["text"])


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", TELEGRAM_SECRET + "x"], ids=["missing", "empty", "wrong", "longer"])
def test_telegram_update_without_the_secret_is_refused(channel_stack, stand_in: StandIn, secret):
    chat = random.randint(10**9, 2 * 10**9)
    response = telegram(channel_stack, telegram_update("telegram_message.json", chat), secret=secret)
    assert response.status_code == 403
    # Telegram updates are handled before the response: had it been accepted, the reply
    # would already be at the stand-in.
    assert stand_in.recorded(sent_to_chat(chat)) == []


def test_telegram_malformed_update_is_a_400(channel_stack):
    response = requests.post(
        f"{channel_stack.url}/webhooks/telegram/webhook",
        data=b"[1, 2",
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400


# ---- Slack ---------------------------------------------------------------------------------


def slack_signed(body: bytes, secret: str = SLACK_SIGNING_SECRET, timestamp: int | None = None) -> Dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def slack_post(stack, body: bytes, content_type: str, headers: Dict[str, str]) -> requests.Response:
    return requests.post(
        f"{stack.url}/webhooks/slack/webhook", data=body, headers={"Content-Type": content_type, **headers}, timeout=60
    )


def slack_event(user: str, channel: str, text: str = "what is carcinoid syndrome?") -> bytes:
    event = payload("slack_event_message.json")
    event["event"].update({"user": user, "channel": channel, "text": text, "ts": f"{time.time():.6f}"})
    event["event_id"] = f"Ev{random.randint(10**8, 10**9)}"
    return json.dumps(event).encode()


def posted_to_slack(channel: str):
    return lambda r: r.platform == "slack" and r.method_name == "chat.postMessage" and (r.json or {}).get("channel") == channel


def slack_ids() -> Tuple[str, str]:
    n = random.randint(10**6, 10**7)
    return f"U{n}", f"D{n}"


def test_slack_url_verification_echoes_the_challenge(channel_stack):
    body = json.dumps(payload("slack_url_verification.json")).encode()
    response = slack_post(channel_stack, body, "application/json", slack_signed(body))
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_slack_message_gets_the_answer_with_buttons(channel_stack, stand_in: StandIn):
    user, channel = slack_ids()
    body = slack_event(user, channel)
    response = slack_post(channel_stack, body, "application/json", slack_signed(body))
    assert response.status_code == 200
    (sent,) = stand_in.wait_for(posted_to_slack(channel))
    assert sent.headers.get("Authorization", "").startswith("Bearer xoxb-")
    message = sent.json
    section, actions = message["blocks"]
    assert section["text"]["type"] == "mrkdwn"
    assert_carcinoid_answer(section["text"]["text"])
    assert message["text"] == section["text"]["text"]
    values = [element["value"] for element in actions["elements"]]
    assert values[0] == SYMPTOMS_PAYLOAD and len(values) == 6
    assert (
        values[3] == "/ask_source" and values[4].startswith("/feedback_helpful") and values[5].startswith("/feedback_not_helpful")
    )
    assert all(len(e["text"]["text"]) <= PLATFORMS["slack"].max_button_title for e in actions["elements"])


def test_slack_button_click_answers_the_follow_up(channel_stack, stand_in: StandIn):
    user, channel = slack_ids()
    body = slack_event(user, channel)
    slack_post(channel_stack, body, "application/json", slack_signed(body))
    stand_in.wait_for(posted_to_slack(channel))
    action = payload("slack_block_actions.json")
    action["user"]["id"] = user
    action["channel"]["id"] = channel
    action["container"]["channel_id"] = channel
    form = f"payload={requests.utils.quote(json.dumps(action))}".encode()
    response = slack_post(channel_stack, form, "application/x-www-form-urlencoded", slack_signed(form))
    assert response.status_code == 200
    replies = stand_in.wait_for(posted_to_slack(channel), count=2)
    text = replies[1].json["blocks"][0]["text"]["text"]
    assert text.startswith(FOLLOW_UP)
    assert_safe_ending(text)


def test_slack_where_does_it_say_that_in_words_quotes_the_passages(channel_stack, stand_in: StandIn):
    user, channel = slack_ids()
    first = slack_event(user, channel)
    slack_post(channel_stack, first, "application/json", slack_signed(first))
    stand_in.wait_for(posted_to_slack(channel))
    asked = slack_event(user, channel, "where does it say that?")
    assert slack_post(channel_stack, asked, "application/json", slack_signed(asked)).status_code == 200
    replies = stand_in.wait_for(posted_to_slack(channel), count=2)
    assert_carcinoid_sources(replies[1].json["blocks"][0]["text"]["text"])


@pytest.mark.parametrize("how", ["wrong-secret", "no-signature", "stale-timestamp", "tampered-body"])
def test_slack_request_with_a_bad_signature_is_refused(channel_stack, stand_in: StandIn, how):
    user, channel = slack_ids()
    body = slack_event(user, channel)
    headers = {
        "wrong-secret": slack_signed(body, secret="not-the-signing-secret"),
        "no-signature": {},
        "stale-timestamp": slack_signed(body, timestamp=int(time.time()) - 60 * 10),
        "tampered-body": slack_signed(slack_event(user, channel, "hello")),
    }[how]
    response = slack_post(channel_stack, body, "application/json", headers)
    assert response.status_code == 400
    # Slack messages are handled in the background: send a valid one after it and wait for its
    # reply; by then a reply to the refused one would have been sent too, had it been accepted.
    other_user, other_channel = slack_ids()
    valid = slack_event(other_user, other_channel, "hello")
    assert slack_post(channel_stack, valid, "application/json", slack_signed(valid)).status_code == 200
    stand_in.wait_for(posted_to_slack(other_channel))
    assert stand_in.recorded(posted_to_slack(channel)) == []


# ---- Facebook Messenger --------------------------------------------------------------------


def facebook_body(name: str, psid: str) -> bytes:
    event = payload(name)
    for entry in event["entry"]:
        for messaging in entry["messaging"]:
            messaging["sender"]["id"] = psid
    return json.dumps(event).encode()


def facebook_post(stack, body: bytes, headers: Dict[str, str]) -> requests.Response:
    return requests.post(
        f"{stack.url}/webhooks/facebook/webhook", data=body, headers={"Content-Type": "application/json", **headers}, timeout=60
    )


def fb_signature(body: bytes, algorithm: str = "sha256", secret: str = FACEBOOK_APP_SECRET) -> Dict[str, str]:
    digest = hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()
    header = "X-Hub-Signature-256" if algorithm == "sha256" else "X-Hub-Signature"
    return {header: f"{algorithm}={digest}"}


def messages_to(psid: str):
    return lambda r: (
        r.platform == "facebook"
        and r.path.endswith("/me/messages")
        and ((r.json or {}).get("recipient") or {}).get("id") == psid
        and "message" in (r.json or {})
    )


def test_facebook_subscription_check(channel_stack):
    url = f"{channel_stack.url}/webhooks/facebook/webhook"
    ok = requests.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": FACEBOOK_VERIFY, "hub.challenge": "1158201444"}, timeout=30
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    wrong = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}, timeout=30)
    assert wrong.status_code == 403


@pytest.mark.parametrize("algorithm", ["sha256", "sha1"])
def test_facebook_message_gets_the_answer_with_quick_replies(channel_stack, stand_in: StandIn, algorithm):
    psid = str(random.randint(10**15, 10**16))
    body = facebook_body("facebook_message.json", psid)
    response = facebook_post(channel_stack, body, fb_signature(body, algorithm))
    assert response.status_code == 200, response.text
    (sent,) = stand_in.wait_for(messages_to(psid))
    assert sent.query["access_token"] == ["EAAGm0PX4ZCpsBAKZCZCZAZAZA1234567890"]
    assert "appsecret_proof" in sent.query
    message = sent.json["message"]
    assert sent.json["messaging_type"] == "RESPONSE"
    assert len(message["text"]) <= 2000
    assert_carcinoid_answer(message["text"])
    assert "More on this:\n1. Symptoms of carcinoid syndrome" in message["text"]
    replies = message["quick_replies"]
    assert [r["payload"] for r in replies][0] == SYMPTOMS_PAYLOAD
    assert all(len(r["title"]) <= 20 for r in replies)
    actions = [
        r.json.get("sender_action") for r in stand_in.recorded(lambda r: (r.json or {}).get("recipient", {}).get("id") == psid)
    ]
    assert "typing_on" in actions and "mark_seen" in actions


def test_facebook_quick_reply_answers_the_follow_up(channel_stack, stand_in: StandIn):
    psid = str(random.randint(10**15, 10**16))
    first = facebook_body("facebook_message.json", psid)
    facebook_post(channel_stack, first, fb_signature(first))
    stand_in.wait_for(messages_to(psid))
    reply = facebook_body("facebook_quick_reply.json", psid)
    assert facebook_post(channel_stack, reply, fb_signature(reply)).status_code == 200
    sent = stand_in.wait_for(messages_to(psid), count=2)
    text = sent[1].json["message"]["text"]
    assert text.startswith(FOLLOW_UP)
    assert_safe_ending(text)


def facebook_press(psid: str, how: str, title: str, payload_text: str) -> bytes:
    """A press of a quick reply (a message with its payload) or of a button (a postback)."""
    name = {"quick-reply": "facebook_quick_reply.json", "postback": "facebook_postback.json"}[how]
    event = json.loads(facebook_body(name, psid))
    messaging = event["entry"][0]["messaging"][0]
    if how == "quick-reply":
        messaging["message"].update({"text": title, "quick_reply": {"payload": payload_text}})
    else:
        messaging["postback"].update({"title": title, "payload": payload_text})
    return json.dumps(event).encode()


@pytest.mark.parametrize("how", ["quick-reply", "postback"])
def test_facebook_show_the_source_quotes_the_passages_and_ends_with_the_closing(channel_stack, stand_in: StandIn, how):
    psid = str(random.randint(10**15, 10**16))
    first = facebook_body("facebook_message.json", psid)
    facebook_post(channel_stack, first, fb_signature(first))
    (answer,) = stand_in.wait_for(messages_to(psid))
    offered = answer.json["message"]["quick_replies"]
    # The other titles are too long for Messenger's 20 characters, so every quick reply is numbered.
    assert offered[3] == {"content_type": "text", "title": "4. Show the source", "payload": "/ask_source"}
    assert [o["title"] for o in offered[4:]] == ["5. Helpful", "6. Not helpful"]
    assert "\n4. Show the source\n" in answer.json["message"]["text"]
    press = facebook_press(psid, how, offered[3]["title"], offered[3]["payload"])
    assert facebook_post(channel_stack, press, fb_signature(press)).status_code == 200
    # Messenger events are handled before the response: the whole reply is at the stand-in.
    replies = [r.json["message"] for r in stand_in.recorded(messages_to(psid))[1:]]
    assert replies, "no reply to the Show the source press"
    texts = [m["text"] for m in replies]
    assert all(len(t) <= PLATFORMS["facebook"].max_chars for t in texts), [len(t) for t in texts]
    # Split between lines when too long for one message: read back as one text.
    whole = "\n".join(texts)
    assert_carcinoid_sources(whole)
    assert_carcinoid_passages(whole)
    assert "Sources: " in whole
    # The closing travels whole in the last message, and only there.
    assert_safe_ending(texts[-1])
    assert not any("not a doctor" in t for t in texts[:-1])
    assert whole.count(REFERRAL) == 1


@pytest.mark.parametrize("how", ["wrong-secret", "no-signature", "md5", "tampered-body"])
def test_facebook_bad_signature_is_refused(channel_stack, stand_in: StandIn, how):
    psid = str(random.randint(10**15, 10**16))
    body = facebook_body("facebook_message.json", psid)
    headers = {
        "wrong-secret": fb_signature(body, secret="not-the-app-secret"),
        "no-signature": {},
        "md5": {"X-Hub-Signature": "md5=" + hmac.new(FACEBOOK_APP_SECRET.encode(), body, hashlib.md5).hexdigest()},
        "tampered-body": fb_signature(body.replace(b"carcinoid", b"carcinoma")),
    }[how]
    response = facebook_post(channel_stack, body, headers)
    assert response.status_code == 403
    # Facebook events are handled before the response: nothing was or will be sent.
    assert stand_in.recorded(lambda r: (r.json or {}).get("recipient", {}).get("id") == psid) == []


# ---- Twilio SMS ----------------------------------------------------------------------------


def twilio_post(stack, params: Dict[str, str], signature: str | None, headers: Dict[str, str] | None = None) -> requests.Response:
    all_headers = dict(headers or {})
    if signature is not None:
        all_headers["X-Twilio-Signature"] = signature
    return requests.post(f"{stack.url}/webhooks/twilio/webhook", data=params, headers=all_headers, timeout=60)


def twilio_sign(url: str, params: Dict[str, str], token: str = TWILIO_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def sms(sender: str, body: str) -> Dict[str, str]:
    params = payload("twilio_sms.json")
    sid = "SM" + "".join(random.choice("0123456789abcdef") for _ in range(32))
    params.update({"From": sender, "Body": body, "MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid})
    return params


def texts_to(number: str):
    return lambda r: r.platform == "twilio" and r.path.endswith("/Messages.json") and r.form.get("To") == number


def phone() -> str:
    return f"+1415{random.randint(10**6, 10**7 - 1)}"


def test_twilio_sms_gets_the_answer_with_numbered_options(channel_stack, stand_in: StandIn):
    number = phone()
    params = sms(number, "what is carcinoid syndrome?")
    url = f"{channel_stack.url}/webhooks/twilio/webhook"
    response = twilio_post(channel_stack, params, twilio_sign(url, params))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml") and "<Response>" in response.text
    sent = stand_in.wait_for(texts_to(number))
    assert sent[0].path == f"/twilio/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert sent[0].headers["Authorization"] == "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    bodies: List[str] = [r.form["Body"] for r in sent]
    assert all(r.form["From"] == TWILIO_NUMBER for r in sent)
    assert all(len(b) <= 1600 for b in bodies)
    whole = "\n\n".join(bodies)
    assert FIRST in whole
    assert "Reply with a number for more:\n1. Symptoms of carcinoid syndrome\n2. " in bodies[-1]
    assert_safe_ending(bodies[-1])


def twilio_answer_then_choose(channel_stack, stand_in: StandIn, option: str) -> Tuple[str, List[Any]]:
    """Ask "what is carcinoid syndrome?" by SMS, then reply with a number: the sender and the
    messages the answer took (those after them are the reply to the choice)."""
    number = phone()
    url = f"{channel_stack.url}/webhooks/twilio/webhook"
    first = sms(number, "what is carcinoid syndrome?")
    twilio_post(channel_stack, first, twilio_sign(url, first))
    answer = stand_in.wait_for(texts_to(number))
    choice = sms(number, option)
    assert twilio_post(channel_stack, choice, twilio_sign(url, choice)).status_code == 200
    return number, answer


def test_twilio_numbered_reply_picks_the_option(channel_stack, stand_in: StandIn):
    number, answer = twilio_answer_then_choose(channel_stack, stand_in, "1")
    before = len(answer)
    sent = stand_in.wait_for(texts_to(number), count=before + 1)
    reply = "\n\n".join(r.form["Body"] for r in sent[before:])
    assert FOLLOW_UP in reply
    assert_safe_ending(sent[-1].form["Body"])


def test_twilio_reply_6_rates_the_answer_not_helpful_and_gets_the_starter_suggestions(channel_stack, stand_in: StandIn):
    number, answer = twilio_answer_then_choose(channel_stack, stand_in, "6")
    assert "\n5. Helpful\n6. Not helpful\n" in answer[-1].form["Body"]
    sent = stand_in.wait_for(texts_to(number), count=len(answer) + 1)
    reply = "\n\n".join(r.form["Body"] for r in sent[len(answer) :])
    assert reply.startswith("Thank you for telling me")
    assert "Sources:" not in reply  # never a second medical answer
    assert "1. What a neuroendocrine tumour" in reply  # the starter suggestions, numbered
    assert_safe_ending(sent[-1].form["Body"])


def test_twilio_reply_4_shows_the_source_with_plain_quote_marks(channel_stack, stand_in: StandIn):
    number, answer = twilio_answer_then_choose(channel_stack, stand_in, "4")
    assert "\n4. Show the source\n" in answer[-1].form["Body"]
    # Twilio messages are handled before the response: the whole reply is at the stand-in.
    bodies = [r.form["Body"] for r in stand_in.recorded(texts_to(number))[len(answer) :]]
    assert bodies, "no reply to option 4"
    assert all(len(b) <= PLATFORMS["twilio"].max_chars for b in bodies), [len(b) for b in bodies]
    # Plain ASCII only (GSM-7, the cheap SMS encoding): no typographic quotes or dashes.
    assert all(b.isascii() for b in bodies), [ch for b in bodies for ch in b if not ch.isascii()]
    if len(bodies) > 1:
        parts = [re.match(r"\((\d+)/(\d+)\) ", b) for b in bodies]
        assert [(m.group(1), m.group(2)) if m else None for m in parts] == [
            (str(i), str(len(bodies))) for i in range(1, len(bodies) + 1)
        ]
        bodies = [b[m.end() :] for b, m in zip(bodies, parts, strict=True) if m]
    whole = "\n".join(bodies)
    assert whole.startswith(KB.messages["source_intro"]), whole[:200]
    assert_carcinoid_passages(whole, sms=True)
    assert "\u201c" not in whole and not any(line.startswith(">") for line in whole.split("\n"))
    # The closing whole in the last SMS, and only there; the source reply offers no numbered options.
    assert_safe_ending(bodies[-1])
    assert not any("not a doctor" in b for b in bodies[:-1])
    assert "Reply with a number" not in whole


def test_twilio_picture_without_text_is_answered_not_left_in_silence(channel_stack, stand_in: StandIn):
    """An MMS with only a picture has an empty Body: the "no text" reply, with the disclaimer."""
    number = phone()
    params = {
        **sms(number, ""),
        "NumMedia": "1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0",
    }
    url = f"{channel_stack.url}/webhooks/twilio/webhook"
    assert twilio_post(channel_stack, params, twilio_sign(url, params)).status_code == 200
    sent = stand_in.wait_for(texts_to(number))
    body = sent[-1].form["Body"]
    assert body.startswith("I didn't receive any text."), body[:200]
    assert_safe_ending(body)


def test_twilio_signature_over_the_public_url_behind_a_proxy(channel_stack, stand_in: StandIn):
    number = phone()
    params = sms(number, "hello")
    public = "https://bot.example.org/webhooks/twilio/webhook"
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "bot.example.org"}
    response = twilio_post(channel_stack, params, twilio_sign(public, params), headers)
    assert response.status_code == 200
    (sent,) = stand_in.wait_for(texts_to(number))
    assert sent.form["Body"].startswith("Hello")


@pytest.mark.parametrize("how", ["wrong-token", "no-signature", "other-url", "tampered-body"])
def test_twilio_bad_signature_is_refused(channel_stack, stand_in: StandIn, how):
    number = phone()
    params = sms(number, "what is carcinoid syndrome?")
    url = f"{channel_stack.url}/webhooks/twilio/webhook"
    signature = {
        "wrong-token": twilio_sign(url, params, token="0" * 32),
        "no-signature": None,
        "other-url": twilio_sign("https://evil.example.org/webhooks/twilio/webhook", params),
        "tampered-body": twilio_sign(url, {**params, "Body": "hello"}),
    }[how]
    response = twilio_post(channel_stack, params, signature)
    assert response.status_code == 403
    # Twilio messages are handled before the response: nothing was or will be sent.
    assert stand_in.recorded(texts_to(number)) == []


# ---- channels off --------------------------------------------------------------------------


def test_unconfigured_channels_are_off_and_the_server_still_starts(bare_stack, stand_in: StandIn):
    for channel in ("telegram", "slack", "facebook", "twilio"):
        response = requests.post(f"{bare_stack.url}/webhooks/{channel}/webhook", json={}, timeout=30)
        assert response.status_code == 404, channel
    assert requests.get(f"{bare_stack.url}/webhooks/socketio/", timeout=30).status_code == 200
    reply = bare_stack.say("bare-user", "what is carcinoid syndrome?")
    assert reply.status_code == 200
    assert_carcinoid_answer(reply.json()[0]["text"])


def test_every_configured_channel_is_up(channel_stack):
    for channel in ("rest", "socketio", "telegram", "slack", "facebook", "twilio"):
        assert requests.get(f"{channel_stack.url}/webhooks/{channel}/", timeout=30).json() == {"status": "ok"}, channel


# ---- the action server down: every channel still answers safely -----------------------------

APOLOGY = KB.messages["error"].split(".")[0]


def assert_apology(text: str) -> None:
    assert text.startswith(APOLOGY), text[:200]
    assert_safe_ending(text)


def test_telegram_answers_safely_with_the_action_server_down(down_stack, stand_in: StandIn):
    chat = random.randint(10**9, 2 * 10**9)
    assert telegram(down_stack, telegram_update("telegram_message.json", chat)).status_code == 200
    (sent,) = stand_in.wait_for(sent_to_chat(chat))
    assert_apology(sent.form["text"])


def test_slack_answers_safely_with_the_action_server_down(down_stack, stand_in: StandIn):
    user, channel = slack_ids()
    body = slack_event(user, channel)
    assert slack_post(down_stack, body, "application/json", slack_signed(body)).status_code == 200
    (sent,) = stand_in.wait_for(posted_to_slack(channel))
    assert_apology(sent.json["blocks"][0]["text"]["text"])


def test_facebook_answers_safely_with_the_action_server_down(down_stack, stand_in: StandIn):
    psid = str(random.randint(10**15, 10**16))
    body = facebook_body("facebook_message.json", psid)
    assert facebook_post(down_stack, body, fb_signature(body)).status_code == 200
    (sent,) = stand_in.wait_for(messages_to(psid))
    assert_apology(sent.json["message"]["text"])


def test_twilio_answers_safely_with_the_action_server_down(down_stack, stand_in: StandIn):
    number = phone()
    params = sms(number, "what is carcinoid syndrome?")
    url = f"{down_stack.url}/webhooks/twilio/webhook"
    assert twilio_post(down_stack, params, twilio_sign(url, params)).status_code == 200
    sent = stand_in.wait_for(texts_to(number))
    assert_apology("\n".join(r.form["Body"] for r in sent))


def test_rest_answers_safely_with_the_action_server_down(down_stack):
    reply = down_stack.say(f"down-{random.randint(1, 10**9)}", "what is carcinoid syndrome?")
    assert reply.status_code == 200
    assert_apology(reply.json()[0]["text"])

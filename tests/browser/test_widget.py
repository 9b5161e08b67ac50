"""The website widget in headless Chromium: the demo page (bot/web) served as `make run` serves it,
rasa-webchat talking socket.io to the real Rasa server and action server.

Runs from `make browser` (part of `make test`). Saves results/widget.png on every run.
"""

from __future__ import annotations

import json
import re
import sqlite3

from playwright.sync_api import Page, expect

from bot.knowledge import get_knowledge_base
from bot.referral import referral_text

KB = get_knowledge_base()
FIRST = "Carcinoid syndrome is a group of symptoms"
FOLLOW_UP = KB.entries["carcinoid_syndrome_symptoms"].answer[:50]
SYMPTOMS_PAYLOAD = '/ask_symptoms{"condition":"carcinoid_syndrome"}'
LAUNCHER = "Open the chat with the NET information assistant"


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Not medical advice")).to_be_visible()
    page.get_by_role("button", name=LAUNCHER).click()
    expect(page.get_by_role("dialog", name="Chat with the NET information assistant")).to_be_visible()
    # The greeting (initPayload /greet) arrives over socket.io.
    expect(page.locator(".rw-response").first).to_contain_text("Hello")


def ask(page: Page, question: str) -> None:
    box = page.get_by_role("textbox", name="Your question")
    box.fill(question)
    box.press("Enter")


def user_texts(db, sender: str) -> list:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "select data from events where sender_id = ? and type_name = 'user' order by id", (sender,)
        ).fetchall()
    return [json.loads(row[0]).get("text") for row in rows]


def bot_bubble(page: Page, starting: str):
    return page.locator(".rw-response", has_text=starting).last


def test_ask_follow_up_and_reload(page: Page, page_url: str, results_dir, widget_stack):
    screenshot = results_dir / "widget.png"
    try:
        open_chat(page, page_url)
        ask(page, "what is carcinoid syndrome?")
        answer = bot_bubble(page, FIRST)
        expect(answer).to_be_visible()
        expect(answer).to_contain_text("Sources:")
        expect(answer).to_contain_text("not a doctor")
        expect(answer).to_contain_text("Find a NET specialist")
        # The referral's address is a real link that opens in a new tab.
        link = answer.get_by_role("link", name="netrf.org")
        expect(link).to_have_attribute("href", "https://netrf.org")
        expect(link).to_have_attribute("target", "_blank")
        expect(link).to_have_attribute("rel", re.compile("noopener"))
        # Follow-up buttons render; clicking one asks it.
        follow_up = page.get_by_role("button", name="Symptoms of carcinoid syndrome")
        expect(follow_up).to_be_visible()
        page.screenshot(path=str(screenshot))
        follow_up.click()
        expect(bot_bubble(page, FOLLOW_UP)).to_be_visible()
        expect(bot_bubble(page, FOLLOW_UP)).to_contain_text("not a doctor")
        page.screenshot(path=str(screenshot))

        # Reload: the conversation is still there, and it is the same conversation for Rasa.
        session = page.evaluate("() => JSON.parse(localStorage.getItem('chat_session') || '{}').session_id")
        page.reload()
        # Wait for the widget to be mounted (app.js names the launcher then); it may come back open.
        launcher = page.locator(".rw-launcher[aria-expanded]")
        expect(launcher).to_be_visible()
        if launcher.get_attribute("aria-expanded") != "true":
            launcher.click()
        expect(bot_bubble(page, FIRST)).to_be_visible()
        expect(bot_bubble(page, FOLLOW_UP)).to_be_visible()
        expect(page.locator(".rw-client", has_text="what is carcinoid syndrome?")).to_be_visible()
        assert session and page.evaluate("() => JSON.parse(localStorage.getItem('chat_session')).session_id") == session
        # After the reload the widget goes on with the same Rasa conversation (sender = session id).
        ask(page, "what is a NET?")
        expect(bot_bubble(page, "A neuroendocrine tumour (NET) is")).to_be_visible()
        said = user_texts(widget_stack.db, session)
        assert said[-3:] == ["what is carcinoid syndrome?", SYMPTOMS_PAYLOAD, "what is a NET?"], said
    finally:
        page.screenshot(path=str(screenshot))
    assert page.errors == [], page.errors  # type: ignore[attr-defined]
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_html_typed_in_the_chat_is_shown_as_text(page: Page, page_url: str):
    open_chat(page, page_url)
    attempts = ['<img src=x onerror="window.__xss=1;alert(1)">', "<script>window.__xss=2;alert(2)</script>"]
    for text in attempts:
        replies = page.locator(".rw-response").count()
        ask(page, text)
        expect(page.locator(".rw-client", has_text=text)).to_be_visible()
        expect(page.locator(".rw-response")).not_to_have_count(replies)
    messages = page.locator(".rw-messages-container")
    expect(messages.locator("img[src='x']")).to_have_count(0)
    expect(messages.locator("script")).to_have_count(0)
    assert page.evaluate("() => window.__xss") is None
    assert page.dialogs == []  # type: ignore[attr-defined]
    # The bot still answers (and ends with the referral).
    expect(page.locator(".rw-response").last).to_contain_text("Find a NET specialist")


def test_keyboard_only(page: Page, page_url: str):
    page.goto(page_url)
    # The widget renders its launcher after the page has loaded: tab once it is there.
    page.locator(".rw-launcher").wait_for()
    # Tab from the top of the page reaches the launcher; Enter opens the chat.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('rw-launcher')"):
            break
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == LAUNCHER
    page.keyboard.press("Enter")
    expect(page.locator(".rw-response").first).to_contain_text("Hello")
    expect(page.get_by_role("button", name="Close the chat").first).to_be_visible()
    expect(page.get_by_role("log", name="Conversation")).to_be_visible()
    # The question box has the focus; type and send with Enter.
    box = page.get_by_role("textbox", name="Your question")
    expect(box).to_be_focused()
    page.keyboard.type("what is carcinoid syndrome?")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.keyboard.press("Enter")
    expect(bot_bubble(page, FIRST)).to_be_visible()
    # Shift+Tab back from the box to the follow-up buttons; Enter asks the focused one.
    expect(page.get_by_role("button", name="Symptoms of carcinoid syndrome")).to_be_visible()
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("() => document.activeElement.textContent") == "Complications of carcinoid syndrome":
            break
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "button"
    page.keyboard.press("Enter")
    expect(page.locator(".rw-client", has_text="Complications of carcinoid syndrome")).to_be_visible()
    expect(page.locator(".rw-response").last).to_contain_text("Find a NET specialist")
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_show_the_source_button_quotes_the_passages_as_blockquotes(page: Page, page_url: str, widget_stack):
    open_chat(page, page_url)
    ask(page, "what is carcinoid syndrome?")
    expect(bot_bubble(page, FIRST)).to_be_visible()
    page.get_by_role("button", name="Show the source").click()
    bubble = bot_bubble(page, KB.messages["source_intro"])
    expect(bubble).to_be_visible()
    # One blockquote a source, right under its "From <publisher>, "<title>" (<address>):" line.
    quotes = bubble.locator("blockquote")
    expect(quotes).to_have_count(3)
    expect(quotes.nth(0)).to_contain_text("Carcinoid syndrome is a group of symptoms including flushing of the skin")
    expect(quotes.nth(1)).to_contain_text("Carcinoid syndrome can affect almost 20% of people with NETs.")
    expect(quotes.nth(2)).to_contain_text("It is an urgent condition that requires immediate attention")
    headers = bubble.evaluate(
        "b => [...b.querySelectorAll('blockquote')].map(q => (q.previousElementSibling || {}).innerText || '')"
    )
    from_line = KB.messages["source_from"]
    sources = [KB.sources[s] for s in ("cruk-2025", "ipsen-2019", "netday-article")]
    expected = [
        from_line.format(publisher=s.publisher, title=s.title, address=s.url or KB.messages["source_no_address"]) for s in sources
    ]
    assert [h.strip().splitlines()[-1].strip() for h in headers] == expected, headers
    # Nothing of the Markdown marker shows; the quotes keep their quotation marks.
    expect(bubble).not_to_contain_text("> \u201c")
    expect(quotes.nth(1)).to_contain_text("\u201cCarcinoid syndrome can affect almost 20% of people with NETs.\u201d")
    # The closing follows the last blockquote: disclaimer, then the referral with its link.
    after = bubble.evaluate(
        "b => { const qs = b.querySelectorAll('blockquote'); let n = qs[qs.length - 1].nextElementSibling, t = '';"
        " for (; n; n = n.nextElementSibling) t += n.innerText + '\\n'; return t; }"
    )
    assert "Sources: Cancer Research UK;" in after, after
    assert "not a doctor" in after and after.index("not a doctor") < after.index("Find a NET specialist"), after
    assert after.rstrip().endswith(referral_text(KB, None)), after[-300:]
    expect(bubble.get_by_role("link", name="netrf.org")).to_have_attribute("href", "https://netrf.org")
    # The button sent its payload (not its title) to Rasa.
    session = page.evaluate("() => JSON.parse(localStorage.getItem('chat_session') || '{}').session_id")
    assert user_texts(widget_stack.db, session)[-1] == "/ask_source"
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_the_closing_is_set_apart_and_smaller_than_the_answer(page: Page, page_url: str):
    open_chat(page, page_url)
    ask(page, "what is carcinoid syndrome?")
    answer = bot_bubble(page, FIRST)
    expect(answer).to_be_visible()
    # A rule between the answer and its closing; the closing's text is smaller than the answer's.
    sizes = answer.evaluate(
        "b => { const hr = b.querySelector('hr'); if (!hr) return null;"
        " const size = e => parseFloat(getComputedStyle(e).fontSize);"
        " const after = []; for (let n = hr.nextElementSibling; n; n = n.nextElementSibling) after.push([n.innerText, size(n)]);"
        " return {answer: size(b.querySelector('p')), closing: after}; }"
    )
    assert sizes is not None, "no rule between the answer and its closing"
    closing_text = " ".join(text for text, _ in sizes["closing"])
    assert "not a doctor" in closing_text and "Find a NET specialist" in closing_text, closing_text
    assert FIRST not in closing_text
    assert all(size < sizes["answer"] for _, size in sizes["closing"]), sizes

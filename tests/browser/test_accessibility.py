"""WCAG 2.1 A and AA for the website widget: axe-core's rules on the page in each state of the chat,
at a desktop width and at 320 CSS px (WCAG 1.4.10 reflow), plus what axe cannot check by itself:
new messages reach an aria-live region (4.1.3), the focus stays in the question box (2.4.3),
and at 200% zoom the chat still works without horizontal scrolling (1.4.4, 1.4.10).

axe-core is the exact version pinned in package.json; it is evaluated in the page through the
DevTools protocol, which the page's Content-Security-Policy (scripts from its own origin only)
does not apply to, so the page is tested with its real policy.
"""

from __future__ import annotations

import json
import re
from typing import Iterator, List

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import WAIT_MS
from tests.browser.test_widget import FIRST, FOLLOW_UP, LAUNCHER, ask, bot_bubble, open_chat
from tests.servers import PROJECT_ROOT

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = [1200, 320]
HEIGHT = 800
FOLLOW_UP_BUTTON = "Symptoms of carcinoid syndrome"
FEEDBACK_BUTTONS = ["Helpful", "Not helpful"]
# Buttons that come with an answer arrive with it (or a message delay after it): a short wait.
BUTTONS_WAIT_MS = 10_000
# Chromium's zoom to 200% of a 1280 x 900 window: the page is laid out in 640 x 450 CSS px,
# each CSS px drawn with 2 device px (window.devicePixelRatio 2; media queries see 640 px).
# CSS `zoom: 2` on the page would not model it: the layout viewport would stay 1280 px wide, so
# media queries, vw units and position: fixed (the widget) would behave as at 100%.
ZOOMED = {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}

# Violations, each with the nodes that fail and why, as a readable list for the failure message.
RUN_AXE = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(r => r.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200), why: n.failureSummary}))
  })))"""


def axe_violations(page: Page) -> List[dict]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(RUN_AXE, WCAG_21_AA)


def assert_no_violations(page: Page, state: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core, WCAG 2.1 A/AA, {state}: {len(violations)} violation(s)\n" + json.dumps(
        violations, indent=2
    )


def test_axe_finds_a_violation_it_should(page: Page, page_url: str):
    """The check can fail: the question box without its name breaks WCAG 4.1.2 / 1.3.1 (rule `label`)."""
    open_chat(page, page_url)
    page.evaluate(
        """() => { const box = document.querySelector('.rw-new-message');
             box.removeAttribute('aria-label'); box.removeAttribute('placeholder'); }"""
    )
    found = {violation["rule"] for violation in axe_violations(page)}
    assert "label" in found, found


def answer_with_buttons(page: Page) -> None:
    ask(page, "what is carcinoid syndrome?")
    expect(bot_bubble(page, FIRST)).to_be_visible()
    expect(page.get_by_role("button", name=FOLLOW_UP_BUTTON, exact=True)).to_be_visible()


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def sized_page(request, page: Page) -> Page:
    page.set_viewport_size({"width": request.param, "height": HEIGHT})
    return page


def test_axe_widget_closed(sized_page: Page, page_url: str):
    sized_page.goto(page_url)
    expect(sized_page.locator(".rw-launcher[aria-expanded='false']")).to_be_visible()
    assert_no_violations(sized_page, "widget closed")


def test_axe_widget_open(sized_page: Page, page_url: str):
    open_chat(sized_page, page_url)
    assert_no_violations(sized_page, "widget open")


def test_axe_after_an_answer_with_buttons(sized_page: Page, page_url: str, results_dir):
    open_chat(sized_page, page_url)
    answer_with_buttons(sized_page)
    width = sized_page.evaluate("() => window.innerWidth")
    sized_page.screenshot(path=str(results_dir / f"widget-{width}px.png"))
    assert_no_violations(sized_page, "after an answer with buttons")


def test_axe_with_the_feedback_buttons(sized_page: Page, page_url: str):
    open_chat(sized_page, page_url)
    answer_with_buttons(sized_page)
    for title in FEEDBACK_BUTTONS:
        button = sized_page.get_by_role("button", name=title, exact=True).last
        expect(button).to_be_visible(timeout=BUTTONS_WAIT_MS)
    assert_no_violations(sized_page, "with the feedback buttons")


def test_the_header_title_clears_the_close_button_at_320px(page: Page, page_url: str):
    """Text run under a button is lost content at 320 px (WCAG 1.4.10); axe does not look at layout."""
    page.set_viewport_size({"width": 320, "height": HEIGHT})
    open_chat(page, page_url)
    close = page.locator(".rw-header .rw-close-button").bounding_box()
    assert close is not None
    for text in (page.locator(".rw-header .rw-title"), page.locator(".rw-header.rw-with-subtitle span")):
        box = text.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= close["x"] or box["y"] >= close["y"] + close["height"], (box, close)


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two computed colours ("rgb(r, g, b)")."""

    def luminance(colour: str) -> float:
        channels = [int(part) / 255 for part in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_question_box_hint_has_aa_contrast(page: Page, page_url: str):
    """axe-core does not measure placeholder text; WCAG 1.4.3 still asks 4.5:1 of it."""
    open_chat(page, page_url)
    colours = page.get_by_role("textbox", name="Your question").evaluate(
        "box => [getComputedStyle(box, '::placeholder').color, getComputedStyle(box).backgroundColor]"
    )
    assert contrast(*colours) >= 4.5, colours


def test_a_new_bot_message_is_announced(page: Page, page_url: str):
    """The message lands inside a live region that was already there (regions added with their
    text are not announced), and no aria-hidden ancestor hides it from screen readers."""
    open_chat(page, page_url)
    page.evaluate(
        """() => { window.__liveRegions = [...document.querySelectorAll(
             '[aria-live]:not([aria-live="off"]), [role="log"], [role="status"], [role="alert"]')]; }"""
    )
    ask(page, "what is carcinoid syndrome?")
    bubble = bot_bubble(page, FIRST)
    expect(bubble).to_be_visible()
    announced = bubble.evaluate(
        """b => { let region = null, hidden = false;
             for (let n = b; n; n = n.parentElement) {
               if (n.getAttribute('aria-hidden') === 'true') hidden = true;
               if (!region && window.__liveRegions.includes(n)) region = n;
             }
             return {text: region ? region.innerText : null, hidden}; }"""
    )
    assert announced["text"] is not None, "the new message is in no live region that existed before it arrived"
    assert not announced["hidden"], "the new message is under aria-hidden"
    message = " ".join(bubble.inner_text().split())
    assert message.startswith(FIRST)
    assert message in " ".join(announced["text"].split())


def test_focus_stays_in_the_question_box(page: Page, page_url: str):
    open_chat(page, page_url)
    box = page.get_by_role("textbox", name="Your question")
    box.focus()
    page.keyboard.type("what is carcinoid syndrome?")
    page.keyboard.press("Enter")
    expect(bot_bubble(page, FIRST)).to_be_visible()
    expect(box).to_be_focused()
    # A click on a follow-up button asks it; the focus comes back to the box for the next question.
    page.get_by_role("button", name=FOLLOW_UP_BUTTON, exact=True).click()
    expect(bot_bubble(page, FOLLOW_UP)).to_be_visible()
    expect(box).to_be_focused()


@pytest.fixture
def zoomed_page(browser) -> Iterator[Page]:
    context = browser.new_context(**ZOOMED)
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.errors = []  # type: ignore[attr-defined]
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))  # type: ignore[attr-defined]
    try:
        yield tab
    finally:
        context.close()


def horizontal_overflow(page: Page) -> dict:
    """How far the page, and the chat's message list, are wider than their box (0 when they reflow)."""
    return page.evaluate(
        """() => { const root = document.scrollingElement, log = document.querySelector('.rw-messages-container');
             return {page: root.scrollWidth - root.clientWidth,
                     messages: log ? log.scrollWidth - log.clientWidth : 0}; }"""
    )


def test_at_200_percent_zoom(zoomed_page: Page, page_url: str, results_dir):
    page = zoomed_page
    page.goto(page_url)
    assert page.evaluate("() => [window.devicePixelRatio, window.innerWidth]") == [2, 640]
    assert horizontal_overflow(page) == {"page": 0, "messages": 0}
    page.get_by_role("button", name=LAUNCHER).click()
    expect(page.get_by_role("dialog", name="Chat with the NET information assistant")).to_be_visible()
    expect(page.locator(".rw-response").first).to_contain_text("Hello")
    assert horizontal_overflow(page) == {"page": 0, "messages": 0}
    box = page.get_by_role("textbox", name="Your question")
    box.click()
    page.keyboard.type("what is carcinoid syndrome?")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.keyboard.press("Enter")
    answer = bot_bubble(page, FIRST)
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("Find a NET specialist")
    expect(page.get_by_role("button", name=FOLLOW_UP_BUTTON, exact=True)).to_be_visible()
    page.screenshot(path=str(results_dir / "widget-zoom-200.png"))
    assert horizontal_overflow(page) == {"page": 0, "messages": 0}
    assert page.errors == [], page.errors  # type: ignore[attr-defined]

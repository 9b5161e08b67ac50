"""Shape one bot reply for one channel: message length limits, buttons, numbered options.

Pure Python, no Rasa: the connectors in bot/serving/channels/ call `shape` and only do the sending.

Every reply from bot.answers.finish ends with its closing: the disclaimer, then the specialist
referral. The closing is never cut: when a reply is too long for a platform it is split into
several messages between lines, then sentences, then words, and the disclaimer + referral
always travel together in the last message (buttons go there too).

Platforms with native buttons get them (shortened where the platform limits their titles,
with the full titles listed in the text); SMS gets a numbered list instead and a reply of
"1", "2" ... is turned back into the button's payload by `choose`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

LINE = "\n"
# The key of a bot message that carries its parts (bot.answers.Reply.parts()): body, citation,
# closing, kind, entry, sources. Rasa passes a bot message's unknown keys on to the output channel.
REPLY_KEY = "reply"
# A body line that starts with this is a verbatim quotation from a source (the "where does it say
# that?" reply): the widget shows it as a Markdown blockquote, the other channels as a plain line
# in quotation marks (the marker removed: `plain_quotes`).
QUOTE_MARK = "> "


@dataclass(frozen=True)
class Platform:
    name: str
    max_chars: int  # longest text of one message the platform accepts
    native_buttons: bool
    max_buttons: int
    max_button_title: int = 0  # 0: no limit worth applying
    max_payload_bytes: int = 0  # 0: no limit worth applying
    numbered_parts: bool = False  # prefix "(1/2) " when a reply is split (SMS may arrive out of order)
    escape: Optional[str] = None  # "slack": escape &, <, > for Slack's mrkdwn
    ascii_punctuation: bool = False  # SMS: typographic quotes/dashes cost a UCS-2 encoding


PLATFORMS: Dict[str, Platform] = {
    # Bot API sendMessage: 1-4096 characters; callback_data: 1-64 bytes.
    "telegram": Platform("telegram", 4096, True, 8, max_payload_bytes=64),
    # A section block's text: at most 3000 characters; an actions block: at most 25 elements
    # (we keep 6: three related topics, the source, and the feedback pair); button text 75, value 2000.
    "slack": Platform("slack", 3000, True, 6, max_button_title=75, max_payload_bytes=2000, escape="slack"),
    # Send API: text up to 2000 characters; quick replies: at most 13, title 20 chars, payload 1000.
    "facebook": Platform("facebook", 2000, True, 13, max_button_title=20, max_payload_bytes=1000),
    # Twilio Messages API: Body up to 1600 characters (sent as up to 10-11 concatenated SMS).
    "twilio": Platform("twilio", 1600, False, 9, numbered_parts=True, ascii_punctuation=True),
    # The website widget (socket.io): one bubble per reply, Markdown rendered by the widget.
    "socketio": Platform("socketio", 20_000, True, 8),
}


@dataclass
class OutMessage:
    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)  # [{"title", "payload"}]


# ---- helpers -------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")
# Typographic quote marks and the no-break space as plain ASCII (also what the grounding check
# of bot/evidence.py lets a quote differ by).
PLAIN_QUOTES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u00a0": " ",
}
_TYPOGRAPHIC = str.maketrans(
    {
        **PLAIN_QUOTES,
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2009": " ",
        "\u202f": " ",
        "\u2022": "-",
    }
)
# The GSM 03.38 default alphabet and its extension table (extension characters cost two).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def platform(name: Union[str, Platform]) -> Platform:
    if isinstance(name, Platform):
        return name
    try:
        return PLATFORMS[name]
    except KeyError:
        raise ValueError(f"unknown channel {name!r}; known: {', '.join(PLATFORMS)}") from None


def sms_segments(text: str) -> int:
    """How many SMS segments a text costs (GSM-7: 160/153 per segment, else UCS-2: 70/67)."""
    if not text:
        return 1
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def escape_slack(text: str) -> str:
    """Slack mrkdwn: only &, < and > need escaping (and must be, or <!channel> etc. would work)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_BARE_DOMAIN = re.compile(
    r"(?<![\w@/.:\[-])((?:[a-z0-9-]+\.)+(?:org|com|ca|uk|net|gov|info|eu))(?![\w@-]|\.[a-z0-9])(/[^\s)\]]*[^\s)\].,;:!?])?"
)


def linkify(text: str) -> str:
    """Markdown links for bare web addresses ("netrf.org") so the widget makes them clickable.

    Addresses written with http(s):// are left alone: the widget's Markdown links those itself.
    """
    return _BARE_DOMAIN.sub(lambda m: f"[{m.group(0)}](https://{m.group(0)})", text)


def is_quote_line(line: str) -> bool:
    return line.startswith(QUOTE_MARK)


def plain_quotes(text: str) -> str:
    """`text` with the quotation marker taken off its quote lines (they keep their quotation marks)."""
    return LINE.join(line[len(QUOTE_MARK) :] if is_quote_line(line) else line for line in text.split(LINE))


def _markdown_lines(text: str) -> str:
    """Lines as Markdown hard breaks; a run of quote lines is a blockquote of its own, set apart
    by blank lines (a line right after a blockquote would otherwise continue it)."""
    lines = text.split(LINE)
    out = lines[0] if lines else ""
    for previous, line in zip(lines, lines[1:], strict=False):
        out += ("\n\n" if is_quote_line(previous) != is_quote_line(line) else "  \n") + line
    return out


def _shorten(title: str, limit: int) -> str:
    title = " ".join(title.split())
    if not limit or len(title) <= limit:
        return title
    return title[: limit - 1].rstrip() + "\u2026"


def _fits_bytes(value: str, limit: int) -> bool:
    return not limit or len(value.encode("utf-8")) <= limit


def _split_long(text: str, limit: int) -> List[str]:
    """Pieces of at most `limit` characters: sentence boundaries first, then words, then a hard cut."""
    if len(text) <= limit:
        return [text]
    pieces: List[str] = []
    for unit_pattern in (_SENTENCE_END, re.compile(r"\s+")):
        units = [u for u in unit_pattern.split(text) if u]
        if all(len(u) <= limit for u in units):
            return _greedy_join(units, limit, " ")
    # A single "word" longer than the limit (a very long address): cut it.
    words = re.split(r"(\s+)", text)
    current = ""
    for word in words:
        while len(word) > limit:
            if current.strip():
                pieces.append(current.strip())
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        if len(current) + len(word) <= limit:
            current += word
        else:
            if current.strip():
                pieces.append(current.strip())
            current = word.lstrip()
    if current.strip():
        pieces.append(current.strip())
    return pieces


def _greedy_join(units: Iterable[str], limit: int, separator: str) -> List[str]:
    """Units (each at most `limit` long) joined in order into as few pieces of at most `limit`."""
    pieces: List[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}{separator}{unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return pieces


def _pack(blocks: Sequence[str], limit: int) -> List[str]:
    """Join blocks (lines) into as few messages as fit in `limit` characters each."""
    return _greedy_join((piece for block in blocks for piece in _split_long(block, limit)), limit, LINE)


def numbered_options(titles: Sequence[str], intro: str = "Reply with a number for more:") -> str:
    return "\n".join([intro, *(f"{i}. {t}" for i, t in enumerate(titles, 1))])


# ---- the shaping ---------------------------------------------------------------------------


def _buttons(spec: Platform, buttons: Sequence[Mapping[str, Any]]) -> List[Dict[str, str]]:
    out = []
    for button in list(buttons)[: spec.max_buttons]:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if not title or not payload:
            continue
        out.append({"title": title, "payload": payload})
    return out


def message_parts(message: Mapping[str, Any]) -> Tuple[str, str, List[Mapping[str, Any]]]:
    """(what comes before the closing, the closing, the buttons) of one bot message.

    The bot's messages carry their parts (bot.answers.Reply.as_message, under REPLY_KEY): the
    body and the citation, then the closing (disclaimer + referral). A message without parts
    (none of ours) is shaped as one block with no closing of its own.
    """
    parts = message.get(REPLY_KEY)
    buttons = list(message.get("buttons") or [])
    if isinstance(parts, Mapping):
        head = LINE.join(str(parts.get(k) or "").strip() for k in ("body", "citation") if parts.get(k))
        return head, str(parts.get("closing") or "").strip(), buttons
    return str(message.get("text") or "").strip(), "", buttons


def shape(channel: Union[str, Platform], message: Mapping[str, Any]) -> List[OutMessage]:
    """The messages to send for one bot message on `channel`, in order.

    Each message fits the platform's limit; the reply's closing (disclaimer + referral) is whole
    and in the last message, which also carries the buttons. Lines are kept; a reply is split
    between lines first, then between sentences, then between words.
    """
    spec = platform(channel)
    head, closing, buttons = message_parts(message)
    head = head.replace("\r\n", "\n")

    def local(part: str) -> str:
        if spec.ascii_punctuation:
            part = part.translate(_TYPOGRAPHIC)
        if spec.escape == "slack":
            part = escape_slack(part)
        return part

    head, closing = local(plain_quotes(head)), local(closing)
    body = head.split(LINE) if head else []

    choices = _buttons(spec, buttons)
    native: List[Dict[str, str]] = []
    options = ""
    if choices and spec.native_buttons:
        shortened = [_shorten(b["title"], spec.max_button_title) for b in choices]
        if shortened != [b["title"] for b in choices]:
            # Titles too long for the platform's buttons: list them in full, number the buttons.
            options = numbered_options([b["title"] for b in choices], intro="More on this:")
            shortened = [_shorten(f"{i}. {b['title']}", spec.max_button_title) for i, b in enumerate(choices, 1)]
        for title, button in zip(shortened, choices, strict=True):
            payload = button["payload"]
            if not _fits_bytes(payload, spec.max_payload_bytes):
                # Too long to carry back (Telegram's 64 bytes): the title is understood by the NLU.
                payload = button["title"]
                while not _fits_bytes(payload, spec.max_payload_bytes):
                    payload = payload[:-1]
            native.append({"title": title, "payload": payload})
    elif choices:
        options = numbered_options([b["title"] for b in choices])
    options = local(options)

    tail_blocks = [b for b in (options, closing) if b]
    messages = _assemble(body, tail_blocks, spec.max_chars)
    if spec.numbered_parts and len(messages) > 1:
        reserve = len(f"({len(messages) + 9}/{len(messages) + 9}) ")
        messages = _assemble(body, tail_blocks, spec.max_chars - reserve)
        total = len(messages)
        messages = [f"({i}/{total}) {m}" for i, m in enumerate(messages, 1)]
    out = [OutMessage(m) for m in messages]
    out[-1].buttons = native
    return out


def _assemble(body: Sequence[str], tail_blocks: Sequence[str], limit: int) -> List[str]:
    tail = LINE.join(tail_blocks)
    if len(tail) > limit:
        # Only with absurdly small limits: the closing still comes last, over several messages.
        return _pack([*body, *tail_blocks], limit)
    chunks = _pack(body, limit) if body else []
    if chunks and len(chunks[-1]) + len(LINE) + len(tail) <= limit:
        chunks[-1] = f"{chunks[-1]}{LINE}{tail}"
    else:
        chunks.append(tail)
    return chunks


_UNSAFE_LINK = re.compile(r"\]\(\s*(?!https?://|mailto:|tel:)[^)]*\)", re.IGNORECASE)


def safe_markdown(text: str) -> str:
    """Markdown the widget may render: no raw HTML or <autolinks>, links only to web, mail, phone.

    (rasa-webchat escapes HTML but turns off react-markdown's URL check.)
    """
    return _UNSAFE_LINK.sub("]", text.replace("<", "&lt;"))


# Between the answer and its closing in the widget: a thematic break, after which the page's
# style sheet sets the closing smaller (bot/web/style.css), so that it does not bury the answer.
# ("***", not "---": after a text line "---" would make that line a heading.)
WEB_CLOSING_BREAK = "\n\n***\n\n"


def web_messages(message: Mapping[str, Any]) -> List[OutMessage]:
    """The website widget: the reply in one bubble (Markdown), bare addresses linked, lines kept,
    source quotations (QUOTE_MARK lines) as blockquotes, the closing set apart after a break."""
    spec = PLATFORMS["socketio"]
    head, closing, buttons = message_parts(message)
    blocks = [_markdown_lines(linkify(safe_markdown(x.replace("\r\n", "\n")))) for x in (head, closing) if x]
    return [OutMessage(WEB_CLOSING_BREAK.join(blocks), _buttons(spec, buttons))]


# ---- inbound -------------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*#?(\d{1,2})\s*[.)]?\s*$")
_COMMAND = re.compile(r"^/(start|help)(?:@\w+)?(?:\s.*)?$", re.IGNORECASE | re.DOTALL)
COMMANDS = {"start": "hello", "help": "what can you do?"}


def choose(channel: Union[str, Platform], text: str, offered: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """The payload of the numbered option the user picked ("2") among the last buttons offered."""
    match = _NUMBER.match(text or "")
    if not match:
        return None
    choices = _buttons(platform(channel), offered)
    index = int(match.group(1))
    if 1 <= index <= len(choices):
        return choices[index - 1]["payload"]
    return None


def inbound_text(text: Optional[str]) -> str:
    """Chat-app commands (/start, /help) become what the bot understands; other text unchanged."""
    text = text or ""
    match = _COMMAND.match(text.strip())
    if match:
        return COMMANDS[match.group(1).lower()]
    return text

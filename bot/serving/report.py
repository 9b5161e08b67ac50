"""The operator's report: what the bot was asked and how it replied, read from the tracker store,
written as one self-contained HTML page (inline CSS and SVG charts; no script, nothing fetched).

    python -m bot.serving.report [--out build/report.html] [--endpoints FILE]   # or: make report

The store is the one the server uses, found the way `make purge-old` finds it
(bot/serving/retention.py: the endpoints file bot/serving/launcher.py would pick, its ${VARIABLES}
filled like Rasa fills them). It is only read: SQLite with `PRAGMA query_only`, PostgreSQL in
read-only transactions (any other dialect gets SELECTs only); a missing SQLite file is reported,
never created.

What a reply was comes from the bot event itself. The action sends the reply's parts
(bot.answers.Reply.parts: kind, entry, sources ...) under bot.shaping.REPLY_KEY, and Rasa keeps
them in the stored bot event's `metadata` (the event's JSON: {"event": "bot", "text": ...,
"metadata": {"reply": {"kind": "answer", "entry": "what_is_net", ...}}}). A user message's outcome
is the kinds of the bot replies after it, up to the conversation's next user message. Feedback
("Helpful" / "Not helpful": the intents feedback_helpful / feedback_not_helpful, the button's
entity rated_entry, or for typed feedback the last answer) is what the action records for it: the
SlotSet event of the slot bot.answers.FEEDBACK_SLOT, "<helpful|not_helpful> <entry key>". A message
that set it is counted per entry rated, not as a question.

Privacy: no sender id appears. Message texts appear only for unanswered messages (not understood,
not in the sources), only with NETBOT_REPORT_TEXTS=1, and only those newer than
NETBOT_RETENTION_DAYS (bot/config.py). Days are UTC days.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # also run as a file (python bot/serving/report.py)
    sys.path.insert(0, str(ROOT))

from bot.answers import FEEDBACK_INTENTS, FEEDBACK_SLOT  # noqa: E402
from bot.shaping import REPLY_KEY  # noqa: E402

DEFAULT_OUT = ROOT / "build" / "report.html"
HELPFUL, NOT_HELPFUL = FEEDBACK_INTENTS["feedback_helpful"], FEEDBACK_INTENTS["feedback_not_helpful"]
FALLBACK, UNCOVERED, EMERGENCY = "fallback", "uncovered", "emergency"
UNANSWERED = (FALLBACK, UNCOVERED)
NO_REPLY = "(no reply stored)"
NO_PARTS = "(reply without parts)"
# What each reply kind (bot.answers.Reply.kind) means, for the operator.
KIND_LABELS = {
    "answer": "answered from an entry",
    "retrieval": "answered by the search over the entries",
    UNCOVERED: "not in my sources",
    FALLBACK: "not sure I understood",
    EMERGENCY: "urgent-care advice",
    "diagnosis": "no diagnosis (with a general answer where one was asked)",
    "source": "where does it say that?",
    "review_date": "how up to date is this?",
    "feedback": "thanks for the feedback",
    "other_language": "written in another language",
    "region": "region noted",
    "smalltalk": "small talk",
    "out_of_scope": "not about NETs",
    "empty": "empty message",
    "restart": "conversation restarted",
    "command": "command",
    "error": "apology: something failed",
    "throttled": "asked to wait: messages too fast",
    NO_REPLY: "no bot reply stored for the message",
    NO_PARTS: "a bot message without the reply's parts",
}


@dataclass(frozen=True)
class StoredEvent:
    """One row of Rasa's `events` table (data: the event's JSON, decoded)."""

    sender_id: str
    type_name: str
    timestamp: float
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Unanswered:
    timestamp: float
    kind: str
    topics: Tuple[str, ...]
    text: str


@dataclass
class Day:
    conversations: Set[str] = field(default_factory=set)
    messages: int = 0
    emergencies: int = 0


@dataclass
class Report:
    """Everything the page shows, counted from the events."""

    days: Dict[str, Day] = field(default_factory=lambda: defaultdict(Day))
    conversations: Set[str] = field(default_factory=set)
    messages: int = 0  # user messages, feedback included
    questions: int = 0  # user messages that are not feedback
    outcomes: Counter = field(default_factory=Counter)  # question -> each kind of its replies, once
    answers: Counter = field(default_factory=Counter)  # entry key -> bot replies naming it
    answer_kinds: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    feedback: Dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # entry -> helpful / not_helpful
    uncovered_topics: Counter = field(default_factory=Counter)
    unanswered_recent: int = 0  # unanswered messages inside the retention period
    unanswered_texts: List[Unanswered] = field(default_factory=list)  # only when texts are shown

    def rate(self, kind: str) -> float:
        return self.outcomes[kind] / self.questions if self.questions else 0.0

    @property
    def emergencies(self) -> int:
        return self.outcomes[EMERGENCY]


@dataclass
class _Pending:
    """A user message waiting for the bot replies that follow it."""

    sender_id: str
    timestamp: float
    text: str
    intent: str
    entities: List[Mapping[str, Any]]
    replies: List[Mapping[str, Any]] = field(default_factory=list)
    feedback: List[str] = field(default_factory=list)  # values the feedback slot was set to


@dataclass(frozen=True)
class Vocabulary:
    """What the page needs from the knowledge base: entry titles, the uncovered topics' titles and
    the sentence that names them (messages.yml `uncovered`)."""

    entry_titles: Mapping[str, str]
    topic_titles: Mapping[str, str]  # subject value -> title (label `uncovered`)
    uncovered_message: str = ""

    @classmethod
    def from_knowledge(cls) -> Vocabulary:
        from bot.knowledge import get_knowledge_base

        kb = get_knowledge_base()
        return cls(
            {key: entry.title for key, entry in kb.entries.items()},
            {key: subject.title for key, subject in kb.subjects.items() if subject.label == UNCOVERED},
            kb.messages.get(UNCOVERED, ""),
        )

    def entry_title(self, key: str) -> str:
        entry, _, variant = key.partition(":")
        title = self.entry_titles.get(entry, "")
        return f"{title} ({variant})" if title and variant else title

    def topics_named(self, body: str) -> List[str]:
        """The uncovered topics an uncovered reply names, in its order ("My sources don't cover X or Y")."""
        before, found, after = self.uncovered_message.partition("{what}")
        if not found:
            return []
        pattern = re.escape(" ".join(before.split())) + r"(.+?)" + re.escape(" ".join(after.split())[:12])
        match = re.search(pattern, " ".join(body.split()))
        if not match:
            return []
        named = match.group(1)
        titles = [title for title in self.topic_titles.values() if title in named]
        return sorted(titles, key=named.index)


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).date().isoformat()


def _parts(event: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    metadata = event.get("metadata")
    parts = metadata.get(REPLY_KEY) if isinstance(metadata, Mapping) else None
    return parts if isinstance(parts, Mapping) else None


def aggregate(
    events: Iterable[StoredEvent],
    vocabulary: Vocabulary,
    *,
    now: float,
    retention_days: float,
    with_texts: bool,
) -> Report:
    """Count the events (ordered by conversation, then as stored) into a Report."""
    report = Report()
    cutoff = now - retention_days * 86400
    pending: Optional[_Pending] = None

    def close(message: Optional[_Pending]) -> None:
        if message is not None:
            _count(report, message, vocabulary, cutoff, with_texts)

    for event in events:
        if pending is not None and event.sender_id != pending.sender_id:
            close(pending)
            pending = None
        if event.type_name == "user":
            close(pending)
            parse = event.data.get("parse_data") or {}
            intent = (parse.get("intent") or {}).get("name") or ""
            entities = [e for e in parse.get("entities") or [] if isinstance(e, Mapping)]
            pending = _Pending(event.sender_id, event.timestamp, str(event.data.get("text") or ""), str(intent), entities)
        elif event.type_name == "bot" and pending is not None:
            pending.replies.append(_parts(event.data) or {})
        elif event.type_name == "slot" and event.data.get("name") == FEEDBACK_SLOT and pending is not None:
            if event.data.get("value"):
                pending.feedback.append(str(event.data["value"]))
    close(pending)
    return report


def _count(report: Report, message: _Pending, vocabulary: Vocabulary, cutoff: float, with_texts: bool) -> None:
    day = report.days[_day(message.timestamp)]
    day.conversations.add(message.sender_id)
    day.messages += 1
    report.conversations.add(message.sender_id)
    report.messages += 1
    if message.feedback:
        for value in message.feedback:
            choice, _, rated = value.partition(" ")
            report.feedback[rated.strip() or "unknown"][choice] += 1
        return
    report.questions += 1
    kinds = list(dict.fromkeys(str(parts.get("kind") or NO_PARTS) for parts in message.replies)) or [NO_REPLY]
    report.outcomes.update(kinds)
    for parts in message.replies:
        if parts.get("entry"):
            entry = str(parts["entry"])
            report.answers[entry] += 1
            report.answer_kinds[entry][str(parts.get("kind") or NO_PARTS)] += 1
    if EMERGENCY in kinds:
        day.emergencies += 1
    topics: Tuple[str, ...] = ()
    if UNCOVERED in kinds:
        bodies = " ".join(str(p.get("body") or "") for p in message.replies if p.get("kind") == UNCOVERED)
        named = vocabulary.topics_named(bodies)
        if not named:  # the message's own entities, when the reply's sentence was changed
            values = dict.fromkeys(str(e.get("value")) for e in message.entities if e.get("entity") == UNCOVERED)
            named = [vocabulary.topic_titles.get(value, value) for value in values]
        topics = tuple(named) or ("(topic not recorded)",)
        report.uncovered_topics.update(topics)
    unanswered = next((kind for kind in kinds if kind in UNANSWERED), None)
    if unanswered and message.timestamp >= cutoff:
        report.unanswered_recent += 1
        if with_texts:
            report.unanswered_texts.append(Unanswered(message.timestamp, unanswered, topics, message.text))


# ---- reading the store ------------------------------------------------------------------------


@contextmanager
def read_only(url: Any) -> Iterator[Any]:
    """A connection to the store that cannot write (SQLite: query_only; PostgreSQL: read-only
    transactions). A SQLite file that does not exist is an error, not a new empty database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, hide_parameters=True)
    dialect = engine.dialect.name
    database = engine.url.database
    if dialect == "sqlite" and database and database != ":memory:" and not Path(database).is_file():
        engine.dispose()
        raise SystemExit(f"report: there is no tracker store at {Path(database).resolve()} (no conversation yet?)")

    @sa.event.listens_for(engine, "connect")
    def refuse_writes(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if dialect == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        elif dialect == "postgresql":
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()
        cursor.close()

    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def stored_events(connection: Any) -> Iterator[StoredEvent]:
    """The user and bot events and the feedback slot's events (Rasa's SQL store keeps a slot's
    name in `action_name`) of every conversation, conversation by conversation, as stored."""
    import sqlalchemy as sa

    if not sa.inspect(connection).has_table("events"):
        return
    query = sa.text(
        "SELECT sender_id, type_name, timestamp, data FROM events "
        "WHERE type_name IN ('user', 'bot') OR (type_name = 'slot' AND action_name = :slot) ORDER BY sender_id, id"
    )
    rows = connection.execution_options(stream_results=True).execute(query, {"slot": FEEDBACK_SLOT})
    for sender_id, type_name, timestamp, data in rows:
        try:
            decoded = json.loads(data) if data else {}
        except ValueError:
            decoded = {}
        yield StoredEvent(str(sender_id), str(type_name), float(timestamp or 0.0), decoded if isinstance(decoded, dict) else {})


# ---- the page --------------------------------------------------------------------------------

BLUE, ORANGE, RED, GREEN = "#2b6cb0", "#dd6b20", "#c53030", "#2f855a"
CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a202c;margin:0;background:#f7fafc}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #cbd5e0;padding-bottom:4px}
.meta{color:#4a5568;margin:0 0 16px}
.stats{display:flex;flex-wrap:wrap;gap:12px}
.stat{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:10px 14px;min-width:130px}
.stat .value{display:block;font-size:24px;font-weight:600}.stat .label{color:#4a5568;font-size:13px}
table{border-collapse:collapse;background:#fff;margin:8px 0;min-width:50%}
th,td{border:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:13px}svg{background:#fff;border:1px solid #e2e8f0;border-radius:6px;max-width:100%;height:auto}
.note{background:#fffbea;border:1px solid #f6e05e;padding:8px 12px;border-radius:6px}
.text{white-space:pre-wrap;word-break:break-word}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _axis(value: int) -> Tuple[int, int]:
    """(top, step) of a count axis: whole-number steps of 1, 2 or 5 x 10^n, at most 5 of them."""
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            ticks = max(1, -(-value // step))
            if ticks <= 5:
                return step * ticks, step
        scale *= 10


def _legend(series: Sequence[Tuple[str, str]]) -> str:
    items = "".join(f'<span><i style="background:{color}"></i>{_e(name)}</span>' for name, color in series)
    return f'<p class="legend">{items}</p>'


def column_chart(title: str, labels: Sequence[str], series: Sequence[Tuple[str, Sequence[int], str]]) -> str:
    """Grouped vertical bars, one group per label (a day), as inline SVG."""
    width, height, left, bottom, top = 900, 260, 44, 46, 14
    plot_w, plot_h = width - left - 12, height - bottom - top
    peak, step = _axis(max((v for _, values, _ in series for v in values), default=0))
    group = plot_w / max(len(labels), 1)
    bar = max(min(group * 0.8 / max(len(series), 1), 40), 1)
    out = [
        f'<svg role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(title)}</title>",
    ]
    for value in range(0, peak + 1, step):
        y = top + plot_h - plot_h * value / peak
        out.append(f'<line x1="{left}" x2="{width - 12}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#4a5568">{value}</text>')
    every = max(1, -(-len(labels) // 12))  # at most about 12 day labels
    for i, label in enumerate(labels):
        x0 = left + group * i + (group - bar * len(series)) / 2
        for j, (name, values, color) in enumerate(series):
            h = plot_h * values[i] / peak
            out.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{_e(label)}: {values[i]} {_e(name)}</title></rect>"
            )
        if i % every == 0:
            x = left + group * (i + 0.5)
            out.append(
                f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle" fill="#4a5568">{_e(label[5:])}</text>'
            )
    out.append(f'<line x1="{left}" x2="{width - 12}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#a0aec0"/>')
    if labels:
        out.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" fill="#4a5568">'
            f"{_e(labels[0])} to {_e(labels[-1])} (UTC days, month-day)</text>"
        )
    out.append("</svg>")
    return "".join(out)


def bar_chart(title: str, rows: Sequence[Tuple[str, Sequence[Tuple[int, str]]]]) -> str:
    """Horizontal bars, one row per label, each row one or more stacked segments (value, colour)."""
    row_h, label_w, width = 22, 300, 900
    height = row_h * len(rows) + 16
    plot_w = width - label_w - 60
    peak = max((sum(v for v, _ in segments) for _, segments in rows), default=0) or 1
    out = [
        f'<svg role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(title)}</title>",
    ]
    for i, (label, segments) in enumerate(rows):
        y = 8 + i * row_h
        shown = label if len(label) <= 46 else label[:45] + "\u2026"
        out.append(f'<text x="{label_w - 8}" y="{y + 15}" font-size="12" text-anchor="end" fill="#1a202c">{_e(shown)}</text>')
        x = float(label_w)
        for value, color in segments:
            w = plot_w * value / peak
            out.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{color}"/>')
            x += w
        total = sum(v for v, _ in segments)
        out.append(f'<text x="{x + 6:.1f}" y="{y + 15}" font-size="12" fill="#1a202c">{total}</text>')
    out.append("</svg>")
    return "".join(out)


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    numeric: Sequence[int] = (),
    table_id: str = "",
    text: Sequence[int] = (),
) -> str:
    """A table; `numeric` columns right-aligned, `text` columns keep their line breaks."""
    classes = {**{i: ' class="text"' for i in text}, **{i: ' class="n"' for i in numeric}}
    head = "".join(f"<th{classes.get(i, '')}>{_e(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{classes.get(i, '')}>{_e(cell)}</td>" for i, cell in enumerate(row)) + "</tr>" for row in rows
    )
    ident = f' id="{_e(table_id)}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _stat(ident: str, value: object, label: str) -> str:
    return (
        f'<div class="stat" id="stat-{ident}"><span class="value">{_e(value)}</span><span class="label">{_e(label)}</span></div>'
    )


def _all_days(report: Report) -> List[str]:
    if not report.days:
        return []
    first, last = date.fromisoformat(min(report.days)), date.fromisoformat(max(report.days))
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Page:
    """What every section needs: the counts, the titles, and the days from the first to the last."""

    report: Report
    vocabulary: Vocabulary
    days: List[str]
    per_day: List[Day]
    retention_days: float
    with_texts: bool

    def ratings(self, choice: str) -> int:
        return sum(counts[choice] for counts in self.report.feedback.values())


def _summary(page: Page) -> str:
    report = page.report
    return (
        '<section id="summary"><div class="stats">'
        + _stat("conversations", len(report.conversations), "conversations")
        + _stat("messages", report.messages, "user messages")
        + _stat("fallback-rate", _percent(report.rate(FALLBACK)), "not sure I understood")
        + _stat("uncovered-rate", _percent(report.rate(UNCOVERED)), "not in my sources")
        + _stat("emergencies", report.emergencies, "emergencies detected")
        + _stat("helpful", page.ratings(HELPFUL), "rated helpful")
        + _stat("not-helpful", page.ratings(NOT_HELPFUL), "rated not helpful")
        + "</div></section>"
    )


def _per_day(page: Page) -> str:
    out = ['<section id="per-day"><h2>Conversations and messages per day</h2>']
    if not page.days:
        return out[0] + "<p>No user messages in the store.</p></section>"
    conversations = [len(day.conversations) for day in page.per_day]
    messages = [day.messages for day in page.per_day]
    out.append(
        column_chart(
            "Conversations and messages per day",
            page.days,
            [("conversations", conversations, BLUE), ("user messages", messages, ORANGE)],
        )
    )
    out.append(_legend([("conversations (with a message that day)", BLUE), ("user messages", ORANGE)]))
    rows = [
        (d, len(c.conversations), c.messages, c.emergencies) for d, c in zip(page.days, page.per_day, strict=True) if c.messages
    ]
    out.append(_table(["day (UTC)", "conversations", "user messages", "emergencies"], rows, numeric=(1, 2, 3), table_id="days"))
    return "".join(out) + "</section>"


def _outcomes(page: Page) -> str:
    report = page.report
    rows = [
        (kind, KIND_LABELS.get(kind, ""), n, _percent(n / report.questions) if report.questions else "")
        for kind, n in report.outcomes.most_common()
    ]
    return (
        '<section id="outcomes"><h2>How the bot replied</h2>'
        f"<p>Of {report.questions} questions (user messages other than feedback), each counted once per kind of reply it got.</p>"
        + _table(["reply kind", "meaning", "messages", "share"], rows, numeric=(2, 3), table_id="kinds")
        + "</section>"
    )


def _entries(page: Page) -> str:
    out = '<section id="entries"><h2>Answers per entry</h2>'
    if not page.report.answers:
        return out + "<p>No reply named an entry.</p></section>"
    ranked = page.report.answers.most_common()
    rows = [
        (key, page.vocabulary.entry_title(key), n, ", ".join(f"{k} {c}" for k, c in page.report.answer_kinds[key].most_common()))
        for key, n in ranked
    ]
    return (
        out
        + bar_chart("Bot replies per entry", [(key, [(n, BLUE)]) for key, n in ranked])
        + _table(["entry", "title", "replies", "of which (reply kind)"], rows, numeric=(2,), table_id="answers")
        + "</section>"
    )


def _feedback(page: Page) -> str:
    out = '<section id="feedback"><h2>Helpful / not helpful per entry</h2>'
    if not page.report.feedback:
        return out + "<p>No feedback yet (the Helpful / Not helpful buttons after an answer, or typed feedback).</p></section>"
    rated = sorted(page.report.feedback.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    rows = [(key, page.vocabulary.entry_title(key), c[HELPFUL], c[NOT_HELPFUL]) for key, c in rated]
    return (
        out
        + bar_chart("Ratings per entry", [(key, [(c[HELPFUL], GREEN), (c[NOT_HELPFUL], RED)]) for key, c in rated])
        + _legend([("helpful", GREEN), ("not helpful", RED)])
        + _table(["entry", "title", "helpful", "not helpful"], rows, numeric=(2, 3), table_id="ratings")
        + "</section>"
    )


def _unanswered(page: Page) -> str:
    report = page.report
    out = [
        '<section id="unanswered"><h2>Not understood and not in my sources</h2><div class="stats">',
        _stat("fallback", report.outcomes[FALLBACK], f"not sure I understood ({_percent(report.rate(FALLBACK))})"),
        _stat("uncovered", report.outcomes[UNCOVERED], f"not in my sources ({_percent(report.rate(UNCOVERED))})"),
        "</div>",
    ]
    if report.uncovered_topics:
        topics = report.uncovered_topics.most_common()
        out.append("<p>Topics asked for that the sources do not cover:</p>")
        out.append(bar_chart("Uncovered topics asked for", [(t, [(n, ORANGE)]) for t, n in topics]))
        out.append(_table(["topic", "messages"], topics, numeric=(1,), table_id="topics"))
    return "".join(out) + "</section>"


def _emergencies(page: Page) -> str:
    out = '<section id="emergencies"><h2>Emergencies detected per day</h2>'
    if not page.report.emergencies:
        return out + "<p>No emergency detected.</p></section>"
    counts = [day.emergencies for day in page.per_day]
    rows = [(d, n) for d, n in zip(page.days, counts, strict=True) if n]
    return (
        out
        + column_chart("Emergencies detected per day", page.days, [("emergencies", counts, RED)])
        + _table(["day (UTC)", "emergencies"], rows, numeric=(1,), table_id="emergency-days")
        + "</section>"
    )


def _texts(page: Page) -> str:
    report, days = page.report, f"{page.retention_days:g}"
    out = f'<section id="texts"><h2>Unanswered messages from the last {days} days</h2>'
    if not page.with_texts:
        return out + (
            f'<p class="note" id="texts-hidden">Texts are hidden ({report.unanswered_recent} unanswered messages in the last '
            f"{days} days). To show them, run <code>NETBOT_REPORT_TEXTS=1 make report</code> (or set NETBOT_REPORT_TEXTS=1 "
            "in .env); only messages newer than NETBOT_RETENTION_DAYS are shown.</p></section>"
        )
    rows = [
        (datetime.fromtimestamp(u.timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M"), u.kind, ", ".join(u.topics), u.text)
        for u in sorted(report.unanswered_texts, key=lambda u: -u.timestamp)
    ]
    return (
        out + f"<p>{report.unanswered_recent} messages, newest first (NETBOT_REPORT_TEXTS=1; older ones are past "
        "NETBOT_RETENTION_DAYS and not shown).</p>"
        + _table(["time (UTC)", "reply", "topics", "message"], rows, table_id="unanswered-texts", text=(3,))
        + "</section>"
    )


SECTIONS = (_summary, _per_day, _outcomes, _entries, _feedback, _unanswered, _emergencies, _texts)


def render(report: Report, vocabulary: Vocabulary, *, store: str, now: float, retention_days: float, with_texts: bool) -> str:
    """The whole page."""
    days = _all_days(report)
    page = Page(report, vocabulary, days, [report.days.get(d) or Day() for d in days], retention_days, with_texts)
    generated = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    period = f"{days[0]} to {days[-1]}" if days else "no messages yet"
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>NET FAQ assistant: operator's report</title><style>{CSS}</style></head><body><main>\n"
        "<h1>NET FAQ assistant: operator's report</h1>\n"
        f'<p class="meta">Generated {_e(generated)} from {_e(store)}. Messages from {_e(period)}.</p>'
    )
    return "\n".join([head, *(section(page) for section in SECTIONS), "</main></body></html>"]) + "\n"


def describe_store(store: Mapping[str, Any], endpoints: Path) -> str:
    """Which store, without its password: `sqlite conversations.db (endpoints.yml)`."""
    dialect = str(store.get("dialect", "sqlite"))
    where = store.get("db", "") if dialect == "sqlite" else f"{store.get('url', '')}/{store.get('db', '')}"
    return f"the {dialect} tracker store {where} ({endpoints.name})"


def main(argv: Optional[List[str]] = None) -> int:
    from bot.config import load_env_file, settings
    from bot.serving import retention
    from bot.serving.launcher import endpoints_source, quiet_library_warnings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT.relative_to(ROOT)}")
    parser.add_argument("--endpoints", type=Path, default=None, help="default: what bot/serving/launcher.py would use")
    args = parser.parse_args(argv)
    load_env_file()
    quiet_library_warnings(os.environ)
    config = settings()
    out = args.out.resolve()
    endpoints = (args.endpoints.resolve() if args.endpoints else None) or endpoints_source(os.environ)
    os.chdir(ROOT)  # a relative SQLite path means the same file as for the server
    store = retention.tracker_store_config(endpoints)
    vocabulary = Vocabulary.from_knowledge()
    now = time.time()
    with read_only(retention.database_url(store)) as connection:
        report = aggregate(
            stored_events(connection), vocabulary, now=now, retention_days=config.retention_days, with_texts=config.report_texts
        )
    page = render(
        report,
        vocabulary,
        store=describe_store(store, endpoints),
        now=now,
        retention_days=config.retention_days,
        with_texts=config.report_texts,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, out)
    texts = "texts shown" if config.report_texts else "texts hidden (NETBOT_REPORT_TEXTS=1 shows them)"
    print(
        f"report: {out} ({len(report.conversations)} conversations, {report.messages} messages, "
        f"{report.emergencies} emergencies; {texts})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

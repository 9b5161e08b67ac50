"""Dated, reviewed content: who checked each knowledge-base entry, against which source versions,
when, and when it is due again (data/knowledge/reviews.yml); each source's retrieval date and its
own printed date (data/knowledge/sources.yml).

Kept apart from bot/knowledge.py, which routes questions to answers: these records change on a
calendar, not with the answers. Loading validates everything that can be malformed (a missing
record, a date that does not parse, a review of a source text that has changed since); the
calendar itself never makes loading fail, only the report (`python -m bot.content report`) says
what is due.
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot import answers
from bot.answers import Reply
from bot.config import PROJECT_ROOT, settings
from bot.knowledge import KnowledgeBase, KnowledgeBaseError, get_knowledge_base

SOURCES_DIR = PROJECT_ROOT / "data" / "sources"
REPORT_PATH = PROJECT_ROOT / "results" / "content-report.md"
# A source version is this many hex digits of the SHA-256 of its text.
VERSION_DIGITS = 16
RECORD_KEYS = ("reviewed", "reviewed_by", "checked_against", "next_review", "clinical_approval")
_VERSION = re.compile(rf"^([a-z0-9-]+)@([0-9a-f]{{{VERSION_DIGITS}}})$")


class ContentError(ValueError):
    """reviews.yml or the dates in sources.yml are malformed; the message lists every problem."""


@dataclass(frozen=True)
class ClinicalApproval:
    by: str
    on: date


@dataclass(frozen=True)
class Review:
    """One entry's review record."""

    entry: str
    reviewed: date
    reviewed_by: str
    checked_against: Tuple[str, ...]  # "<source id>@<version>"
    next_review: date
    clinical_approval: Optional[ClinicalApproval]

    @property
    def sources(self) -> Tuple[str, ...]:
        return tuple(item.split("@", 1)[0] for item in self.checked_against)


@dataclass(frozen=True)
class SourceDates:
    """What is known of a source's dates and address (sources.yml)."""

    id: str
    publisher: str
    url: Optional[str]
    retrieved: Optional[date]
    published: Optional[str]  # the page's own date, as its text prints it
    version: str  # text_version of the current text
    url_printed: bool  # the address's host appears in the source text


@dataclass(frozen=True)
class Content:
    """The review records of every entry and the dates of every source, validated."""

    interval_months: int
    due_soon_days: int  # the report lists an entry as due this many days before its next review
    reviews: Mapping[str, Review]
    sources: Mapping[str, SourceDates]

    @property
    def last_reviewed(self) -> date:
        """The date by which every entry had been checked (the earliest of their last reviews):
        a later date would claim a check some entries have not had."""
        return min(r.reviewed for r in self.reviews.values())

    @property
    def latest_reviewed(self) -> date:
        return max(r.reviewed for r in self.reviews.values())

    @property
    def next_review(self) -> date:
        """When the first entry is due again."""
        return min(r.next_review for r in self.reviews.values())

    def due(self, today: date) -> List[Review]:
        """Entries whose next review is on or before `today` + due_soon_days, soonest first."""
        limit = today + timedelta(days=self.due_soon_days)
        return sorted((r for r in self.reviews.values() if r.next_review <= limit), key=lambda r: (r.next_review, r.entry))

    def without_clinical_approval(self) -> List[Review]:
        return [r for r in self.reviews.values() if r.clinical_approval is None]

    def review_for(self, key: str) -> Optional[Review]:
        """The record of an evidence key: `entry` or `entry:variant` (a variant is part of its entry)."""
        return self.reviews.get(key.split(":", 1)[0])


# ------------------------------------------------------------------------------------ loading
def text_version(path: Path) -> str:
    """The version of a source text: the first VERSION_DIGITS hex digits of its SHA-256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_DIGITS]


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months (the 31st becomes the month's last day where it has none)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _date(value: Any, where: str, problems: List[str]) -> Optional[date]:
    """A date from YAML (a bare 2026-12-01 is already one) or an ISO string; a problem otherwise."""
    if isinstance(value, datetime):
        problems.append(f"{where}: {value!r} has a time of day; give a date (YYYY-MM-DD)")
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
        return None


def _read(path: Path) -> Dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping at the top level")
    return data


def _flat(text: str) -> str:
    return " ".join(text.split())


def _source_dates(kb: KnowledgeBase, raw: Mapping[str, Any], sources_dir: Path, problems: List[str]) -> Dict[str, SourceDates]:
    out: Dict[str, SourceDates] = {}
    for sid, source in kb.sources.items():
        where = f"sources.yml {sid}"
        fields = raw.get(sid) or {}
        path = sources_dir / source.file
        if not path.is_file():
            problems.append(f"{where}: {path} is missing")
            continue
        text = _flat(path.read_text(encoding="utf-8"))
        for key in ("retrieved", "published"):
            if key not in fields:
                problems.append(f"{where}: no `{key}` (null when it is not known)")
        retrieved = None if fields.get("retrieved") is None else _date(fields["retrieved"], f"{where} retrieved", problems)
        published = fields.get("published")
        if published is not None and (not isinstance(published, str) or _flat(published) not in text):
            problems.append(f"{where}: published {published!r} is not printed in {source.file}")
            published = None
        host = re.sub(r"^https?://(www\.)?", "", source.url or "").split("/")[0]
        out[sid] = SourceDates(
            id=sid,
            publisher=source.publisher,
            url=source.url,
            retrieved=retrieved,
            published=published,
            version=text_version(path),
            url_printed=bool(host) and host in text,
        )
    return out


def _review(
    entry_id: str, raw: Any, kb: KnowledgeBase, sources: Mapping[str, SourceDates], interval: int, problems: List[str]
) -> Optional[Review]:
    where = f"reviews.yml {entry_id}"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: expected a mapping with {', '.join(RECORD_KEYS)}")
        return None
    for key in RECORD_KEYS:
        if key not in raw:
            problems.append(
                f"{where}: no `{key}`" + (" (null until a clinician approves it)" if key == "clinical_approval" else "")
            )
    for key in sorted(set(raw) - set(RECORD_KEYS)):
        problems.append(f"{where}: unknown key `{key}`")
    reviewed = _date(raw.get("reviewed"), f"{where} reviewed", problems)
    next_review = _date(raw.get("next_review"), f"{where} next_review", problems)
    if reviewed and next_review:
        if next_review <= reviewed:
            problems.append(f"{where}: next_review {next_review} is not after reviewed {reviewed}")
        elif next_review > add_months(reviewed, interval):
            problems.append(f"{where}: next_review {next_review} is more than {interval} months after reviewed {reviewed}")
    reviewed_by = raw.get("reviewed_by")
    if not isinstance(reviewed_by, str) or not reviewed_by.strip():
        problems.append(f"{where}: reviewed_by must say who checked it")
    checked = raw.get("checked_against")
    if not isinstance(checked, list) or not checked:
        problems.append(f"{where}: checked_against must list `<source id>@<version>`")
        checked = []
    for item in checked:
        found = _VERSION.match(str(item))
        if not found:
            problems.append(f"{where}: {item!r} is not `<source id>@<{VERSION_DIGITS} hex digits>`")
        elif found.group(1) not in kb.sources:
            problems.append(f"{where}: unknown source id {found.group(1)}")
        elif found.group(1) in sources and found.group(2) != sources[found.group(1)].version:
            problems.append(
                f"{where}: stale: checked against {item}, but the text of {found.group(1)} is now version "
                f"{sources[found.group(1)].version} (review the entry against the new text)"
            )
    entry = kb.entries.get(entry_id)
    checked_ids = {str(item).split("@", 1)[0] for item in checked}
    if entry is not None:
        cited = set(entry.sources) | {sid for variant in entry.variants.values() for sid in variant.sources}
        for sid in sorted(cited - checked_ids):
            problems.append(f"{where}: cites {sid} but was not checked against it")
    approval_raw = raw.get("clinical_approval")
    approval = None
    if approval_raw is not None:
        if not isinstance(approval_raw, Mapping) or not str(approval_raw.get("by") or "").strip() or "on" not in approval_raw:
            problems.append(f"{where}: clinical_approval is null or {{by: <clinician>, on: YYYY-MM-DD}}")
        else:
            on = _date(approval_raw["on"], f"{where} clinical_approval.on", problems)
            approval = ClinicalApproval(str(approval_raw["by"]).strip(), on) if on else None
    if reviewed is None or next_review is None or not isinstance(reviewed_by, str):
        return None
    return Review(entry_id, reviewed, reviewed_by.strip(), tuple(str(i) for i in checked), next_review, approval)


def load(knowledge_dir: Optional[Path] = None, sources_dir: Path = SOURCES_DIR, kb: Optional[KnowledgeBase] = None) -> Content:
    """reviews.yml and the sources' dates, checked against the knowledge base and the source texts."""
    knowledge_dir = Path(knowledge_dir or settings().knowledge_dir)
    kb = kb or KnowledgeBase.load(knowledge_dir)
    problems: List[str] = []
    data = _read(knowledge_dir / "reviews.yml")
    interval = data.get("review_interval_months")
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 36:
        problems.append(f"reviews.yml: review_interval_months must be a whole number of months (1-36), not {interval!r}")
        interval = 12
    due_soon = data.get("due_soon_days")
    if not isinstance(due_soon, int) or isinstance(due_soon, bool) or not 0 <= due_soon <= 365:
        problems.append(f"reviews.yml: due_soon_days must be a whole number of days (0-365), not {due_soon!r}")
        due_soon = 0
    raw_sources = _read(knowledge_dir / "sources.yml").get("sources") or {}
    sources = _source_dates(kb, raw_sources, Path(sources_dir), problems)
    records = data.get("reviews")
    if not isinstance(records, Mapping):
        raise ContentError("reviews.yml: no `reviews` mapping")
    for entry_id in kb.entries:
        if entry_id not in records:
            problems.append(f"reviews.yml: no record for entry {entry_id}")
    for entry_id in records:
        if entry_id not in kb.entries:
            problems.append(f"reviews.yml: record for unknown entry {entry_id}")
    reviews = {}
    for entry_id, raw in records.items():
        review = _review(str(entry_id), raw, kb, sources, interval, problems)
        if review is not None:
            reviews[review.entry] = review
    if problems:
        raise ContentError("content records are malformed:\n- " + "\n- ".join(problems))
    return Content(interval, due_soon, reviews, sources)


@lru_cache(maxsize=4)
def _cached(knowledge_dir: str) -> Content:
    return load(Path(knowledge_dir), kb=get_knowledge_base(Path(knowledge_dir)))


def get_content(knowledge_dir: Optional[Path] = None) -> Content:
    """The content records, loaded and validated once per directory."""
    return _cached(str(knowledge_dir or settings().knowledge_dir))


# ------------------------------------------------------------------------------------ replies
def spoken_date(day: date) -> str:
    """ "1 December 2026": unambiguous on both sides of the Atlantic."""
    return f"{day.day} {day.strftime('%B %Y')}"


def _approval_text(kb: KnowledgeBase, reviews: Sequence[Review]) -> str:
    approved = [r.clinical_approval for r in reviews if r.clinical_approval is not None]
    if not approved:
        return kb.messages["review_clinical_none"]
    if len(approved) < len(reviews):
        return kb.messages["review_clinical_some"].format(approved=len(approved), total=len(reviews))
    names = "; ".join(dict.fromkeys(a.by for a in approved))
    return kb.messages["review_clinical_done"].format(by=names, on=spoken_date(max(a.on for a in approved)))


def _source_lines(kb: KnowledgeBase, content: Content, source_ids: Iterable[str]) -> List[str]:
    dated = [content.sources[sid] for sid in dict.fromkeys(source_ids) if sid in content.sources]
    printed = "; ".join(
        f'{s.publisher} ("{s.published}")' if s.published else f"{s.publisher} ({kb.messages['review_source_undated']})"
        for s in dated
    )
    lines = [kb.messages["review_sources"].format(source_dates=printed)]
    if all(s.retrieved is None for s in dated):
        lines.append(kb.messages["review_retrieved_unknown"])
    else:
        retrieved = "; ".join(
            f"{s.publisher}: {spoken_date(s.retrieved) if s.retrieved else kb.messages['review_retrieved_not_recorded']}"
            for s in dated
        )
        lines.append(kb.messages["review_retrieved"].format(retrieved=retrieved))
    return lines


def review_reply(kb: KnowledgeBase, keys: Sequence[str], region: Optional[str], content: Optional[Content] = None) -> Reply:
    """ "How up to date is this?": when the last answer (the entry of the first of `keys`, the
    `last_entry` slot) or, with none, the whole knowledge base was last checked, by whom, whether
    a clinician approved it, when it is due again, and the sources' own dates. Every line is a
    fixed, non-medical message (evidence.yml `non_medical`); the usual closing follows."""
    content = content or get_content()
    found = (content.review_for(key) for key in keys)
    review = next((r for r in found if r is not None and r.entry in kb.entries), None)
    if review is not None:
        reviews = [review]
        checked = kb.messages["review_date_entry"].format(
            title=kb.entries[review.entry].title, reviewed=spoken_date(review.reviewed), reviewed_by=review.reviewed_by
        )
        source_ids: Iterable[str] = review.sources
    else:
        reviews = list(content.reviews.values())
        by = "; ".join(dict.fromkeys(r.reviewed_by for r in reviews))
        if content.last_reviewed == content.latest_reviewed:
            checked = kb.messages["review_date_all"].format(reviewed=spoken_date(content.last_reviewed), reviewed_by=by)
        else:
            checked = kb.messages["review_date_span"].format(
                first=spoken_date(content.last_reviewed), last=spoken_date(content.latest_reviewed), reviewed_by=by
            )
        source_ids = content.sources
    next_review = min(r.next_review for r in reviews)
    parts = [checked, _approval_text(kb, reviews), kb.messages["review_next"].format(next_review=spoken_date(next_review))]
    parts += _source_lines(kb, content, source_ids)
    return answers.finish(kb, parts, kind="review_date", region=region)


def page_line(kb: KnowledgeBase, content: Optional[Content] = None) -> str:
    """The widget page's line on how current the information is (bot/web/server.py fills it in)."""
    content = content or get_content()
    reviews = list(content.reviews.values())
    return kb.messages["review_page_line"].format(
        reviewed=spoken_date(content.last_reviewed),
        next_review=spoken_date(content.next_review),
        approval=_approval_text(kb, reviews),
    )


# ------------------------------------------------------------------------------------ report
def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> List[str]:
    if not rows:
        return ["None.", ""]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines + [""]


def report(content: Content, today: date) -> str:
    """The content report: entries due for review (overdue, or due within due_soon_days days of
    `today`), entries without clinical approval, sources without an address or retrieval date."""
    due = content.due(today)
    lines = [
        "# Content review report",
        "",
        f"Written by `make content-report` (`python -m bot.content report`) on {today.isoformat()}. Review cycle: "
        f"{content.interval_months} months (data/knowledge/reviews.yml). Entries reviewed between "
        f"{content.last_reviewed.isoformat()} and {content.latest_reviewed.isoformat()}; the first next review is due "
        f"{content.next_review.isoformat()}. This report lists what is due; it never fails on the calendar.",
        "",
        f"## Entries due for review ({len(due)}): next review on or before {(today + timedelta(days=content.due_soon_days)).isoformat()}",
        "",
    ]
    lines += _table(
        ["entry", "reviewed", "next review", "status"],
        [
            [r.entry, r.reviewed.isoformat(), r.next_review.isoformat(), "overdue" if r.next_review <= today else "due soon"]
            for r in due
        ],
    )
    unapproved = content.without_clinical_approval()
    lines += [f"## Entries without clinical approval ({len(unapproved)} of {len(content.reviews)})", ""]
    lines += _table(["entry", "reviewed", "reviewed by"], [[r.entry, r.reviewed.isoformat(), r.reviewed_by] for r in unapproved])
    sources = list(content.sources.values())
    no_url = [s for s in sources if not s.url]
    lines += [f"## Sources without an address ({len(no_url)})", ""]
    lines += _table(["source", "publisher"], [[s.id, s.publisher] for s in no_url])
    unprinted = [s for s in sources if s.url and not s.url_printed]
    lines += [f"## Sources whose recorded address is not printed in their text ({len(unprinted)})", ""]
    lines += _table(["source", "address"], [[s.id, str(s.url)] for s in unprinted])
    no_date = [s for s in sources if s.retrieved is None]
    lines += [f"## Sources without a retrieval date ({len(no_date)})", ""]
    lines += _table(["source", "publisher"], [[s.id, s.publisher] for s in no_date])
    lines += ["## Sources", ""]
    lines += _table(
        ["source", "publisher", "address", "retrieved", "own date (as printed)", "text version"],
        [
            [
                s.id,
                s.publisher,
                s.url or "(none)",
                s.retrieved.isoformat() if s.retrieved else "(not recorded)",
                s.published or "(none printed)",
                s.version,
            ]
            for s in sources
        ],
    )
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.content", description=__doc__.split("\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("report", help="list entries due for review and sources without an address or date")
    run.add_argument("--out", type=Path, help=f"also write the report here (e.g. {REPORT_PATH.relative_to(PROJECT_ROOT)})")
    run.add_argument("--today", type=date.fromisoformat, default=None, help="the date to report for (default: today)")
    args = parser.parse_args(argv)
    try:
        content = load()
    except (ContentError, KnowledgeBaseError) as exc:
        print(exc, file=sys.stderr)
        return 1
    text = report(content, args.today or date.today())
    print(text, end="")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load, validate and query the knowledge base in data/knowledge/.

The knowledge base is the only place answer text lives. This module turns its YAML into typed
objects, checks it (schema, ids, source ids, routes, related links) and answers one question:
given a question kind (intent) and the subjects a person named, which entry (and variant) answers
it, and is that answer specific to what they asked or a more general one?
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

from bot.config import settings

ANY_KIND = "*"

# Labels whose subject stays in context for follow-up questions ("what are its symptoms?").
STICKY_LABELS = ("net_type", "condition", "organ", "hormone")
# Labels that can select an entry; `symptom`, `uncovered` and `region` never do on their own.
ROUTING_LABELS = ("condition", "net_type", "hormone", "organ", "concept", "symptom")
# When two subjects are equally specific, the earlier label wins.
LABEL_PRIORITY = {label: rank for rank, label in enumerate(ROUTING_LABELS)}

# The question kinds: Rasa intents that ask something the knowledge base answers.
QUESTION_KINDS = (
    "ask_definition",
    "ask_other_names",
    "ask_where_form",
    "ask_symptoms",
    "ask_causes",
    "ask_diagnosis",
    "ask_diagnosis_delay",
    "ask_treatment",
    "ask_outlook",
    "ask_types",
    "ask_hormones",
    "ask_is_cancer",
    "ask_statistics",
    "ask_triggers",
    "ask_self_care",
    "ask_complications",
    "ask_research",
    "ask_support",
    "find_specialist",
)


class KnowledgeBaseError(ValueError):
    """The knowledge base files are inconsistent; the message lists every problem."""


@dataclass(frozen=True)
class Subject:
    value: str
    label: str
    title: str
    parent: Optional[str]
    names: Tuple[str, ...]
    exact: Tuple[str, ...] = ()
    # Another word for NETs as a whole ("carcinoid"): when a message names something more
    # specific too, that decides the answer (subjects.yml `generic: true`).
    generic: bool = False


@dataclass(frozen=True)
class Source:
    id: str
    file: str
    publisher: str
    title: str
    url: Optional[str]


@dataclass(frozen=True)
class Variant:
    key: str
    answer: str
    sources: Tuple[str, ...]


@dataclass(frozen=True)
class Route:
    kinds: Tuple[str, ...]  # ("*",) for any question kind
    subject: Optional[str]
    variant: Optional[str] = None

    def accepts(self, kind: str) -> bool:
        return ANY_KIND in self.kinds or kind in self.kinds


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    answer: str
    sources: Tuple[str, ...]
    routes: Tuple[Route, ...]
    related: Tuple[str, ...] = ()
    covers: Tuple[str, ...] = ()
    variants: Mapping[str, Variant] = field(default_factory=dict)


@dataclass(frozen=True)
class Resolution:
    """The answer chosen for a question."""

    entry: Entry
    variant: Optional[Variant]
    asked_subject: Optional[str]  # the subject the person asked about (None = in general)
    answered_subject: Optional[str]  # the subject of the route that answered
    specific: bool  # False when the answer is more general than what was asked

    @property
    def answer(self) -> str:
        return self.variant.answer if self.variant else self.entry.answer

    @property
    def sources(self) -> Tuple[str, ...]:
        return self.variant.sources if self.variant else self.entry.sources

    @property
    def key(self) -> str:
        """`entry` or `entry:variant`, the id the question bank labels answers with."""
        return f"{self.entry.id}:{self.variant.key}" if self.variant else self.entry.id


def _tuple(value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _read_yaml(path: Path) -> Dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"{path}: expected a mapping at the top level")
    return data


class KnowledgeBase:
    """Typed, validated view of data/knowledge/*.yml."""

    def __init__(
        self,
        subjects: Sequence[Subject],
        sources: Mapping[str, Source],
        entries: Sequence[Entry],
        contacts: Mapping[str, Any],
        messages: Mapping[str, str],
    ) -> None:
        self.subjects: Dict[str, Subject] = {s.value: s for s in subjects}
        self.sources = dict(sources)
        self.entries: Dict[str, Entry] = {e.id: e for e in entries}
        self.contacts = dict(contacts)
        self.messages = dict(messages)
        self._entry_list = list(entries)
        problems = self.problems(subjects, entries)
        if problems:
            raise KnowledgeBaseError("knowledge base is inconsistent:\n- " + "\n- ".join(problems))

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, directory: Optional[Path] = None) -> KnowledgeBase:
        directory = directory or settings().knowledge_dir
        subjects = [
            Subject(
                value=str(raw["value"]),
                label=str(raw["label"]),
                title=str(raw.get("title", raw["value"])),
                parent=raw.get("parent"),
                names=_tuple(raw.get("names")),
                exact=_tuple(raw.get("exact")),
                generic=bool(raw.get("generic", False)),
            )
            for raw in _read_yaml(directory / "subjects.yml")["subjects"]
        ]
        sources = {
            sid: Source(
                id=sid,
                file=str(raw["file"]),
                publisher=str(raw["publisher"]),
                title=str(raw["title"]),
                url=raw.get("url"),
            )
            for sid, raw in _read_yaml(directory / "sources.yml")["sources"].items()
        }
        entries = [cls._entry(raw) for raw in _read_yaml(directory / "entries.yml")["entries"]]
        contacts = _read_yaml(directory / "contacts.yml")
        messages = _read_yaml(directory / "messages.yml")["messages"]
        return cls(subjects, sources, entries, contacts, messages)

    @staticmethod
    def _entry(raw: Mapping[str, Any]) -> Entry:
        routes = tuple(
            Route(kinds=_tuple(r.get("ask")), subject=r.get("subject"), variant=r.get("variant")) for r in raw.get("routes") or ()
        )
        variants = {
            str(key): Variant(key=str(key), answer=str(v.get("answer", "")).strip(), sources=_tuple(v.get("sources")))
            for key, v in (raw.get("variants") or {}).items()
        }
        return Entry(
            id=str(raw.get("id", "")),
            title=str(raw.get("title", "")),
            answer=str(raw.get("answer", "")).strip(),
            sources=_tuple(raw.get("sources")),
            routes=routes,
            related=_tuple(raw.get("related")),
            covers=_tuple(raw.get("covers")),
            variants=variants,
        )

    # ---------------------------------------------------------------- validation
    def problems(self, subjects: Sequence[Subject], entries: Sequence[Entry]) -> List[str]:
        """Every inconsistency in the knowledge base (empty when it is sound)."""
        found: List[str] = []
        if len(self.subjects) != len(subjects):
            found.append("duplicate subject values")
        if len(self.entries) != len(entries):
            found.append("duplicate entry ids")
        for subject in subjects:
            if subject.parent and subject.parent not in self.subjects:
                found.append(f"subject {subject.value}: unknown parent {subject.parent}")
            if not subject.names and not subject.exact:
                found.append(f"subject {subject.value}: no names")
            seen = set()
            node: Optional[str] = subject.value
            while node:
                if node in seen:
                    found.append(f"subject {subject.value}: parent cycle")
                    break
                seen.add(node)
                node = self.subjects[node].parent if node in self.subjects else None
        claimed: Dict[Tuple[str, Optional[str]], str] = {}
        for entry in entries:
            where = f"entry {entry.id or '?'}"
            if not entry.id or not entry.title:
                found.append(f"{where}: id and title are required")
            words = len(entry.answer.split())
            if words < 15 or words > 150:
                found.append(f"{where}: answer has {words} words (15-150 expected)")
            if not entry.sources:
                found.append(f"{where}: cites no source")
            if not entry.routes:
                found.append(f"{where}: has no route (unreachable)")
            for sid in entry.sources:
                if sid not in self.sources:
                    found.append(f"{where}: unknown source id {sid}")
            for rel in entry.related:
                if rel not in self.entries or rel == entry.id:
                    found.append(f"{where}: bad related id {rel}")
            for covered in entry.covers:
                if covered not in self.subjects:
                    found.append(f"{where}: covers unknown subject {covered}")
            for key, variant in entry.variants.items():
                if key not in self.subjects:
                    found.append(f"{where}: variant for unknown subject {key}")
                if not variant.answer or not variant.sources:
                    found.append(f"{where}: variant {key} needs answer and sources")
                for sid in variant.sources:
                    if sid not in self.sources:
                        found.append(f"{where}: variant {key} cites unknown source {sid}")
            for route in entry.routes:
                if not route.kinds:
                    found.append(f"{where}: route without `ask`")
                for kind in route.kinds:
                    if kind != ANY_KIND and kind not in QUESTION_KINDS:
                        found.append(f"{where}: route asks unknown kind {kind}")
                if route.subject is not None and route.subject not in self.subjects:
                    found.append(f"{where}: route for unknown subject {route.subject}")
                if route.variant and route.variant not in entry.variants:
                    found.append(f"{where}: route names missing variant {route.variant}")
                for kind in route.kinds:
                    key2 = (kind, route.subject)
                    if key2 in claimed and claimed[key2] != entry.id:
                        found.append(f"{where}: route {key2} already taken by {claimed[key2]}")
                    claimed[key2] = entry.id
        return found

    # ------------------------------------------------------------------ queries
    def chain(self, subject: Optional[str]) -> List[Optional[str]]:
        """`subject`, its parents up to the root, then None (the general answer)."""
        out: List[Optional[str]] = []
        node = subject if subject in self.subjects else None
        while node is not None and node not in out:
            out.append(node)
            node = self.subjects[node].parent
        out.append(None)
        return out

    def _route(self, kind: str, subject: Optional[str], exact_only: bool = False) -> Optional[Tuple[Entry, Route]]:
        exact = wildcard = None
        for entry in self._entry_list:
            for route in entry.routes:
                if route.subject != subject:
                    continue
                if kind in route.kinds and exact is None:
                    exact = (entry, route)
                elif ANY_KIND in route.kinds and wildcard is None and not exact_only:
                    wildcard = (entry, route)
        return exact or wildcard

    def _resolve_one(self, kind: str, subject: Optional[str], exact_only: bool = False) -> Optional[Tuple[int, Resolution]]:
        chain = self.chain(subject)
        for depth, node in enumerate(chain):
            found = self._route(kind, node, exact_only)
            if not found:
                continue
            entry, route = found
            variant = entry.variants.get(route.variant) if route.variant else None
            if variant is None:
                # The most specific variant on the way from the asked subject to the route.
                for narrower in chain[:depth]:
                    if narrower is not None and narrower in entry.variants:
                        variant = entry.variants[narrower]
                        break
            answered = variant.key if variant else node
            specific = (
                subject is None
                or depth == 0
                or subject in entry.covers
                or (variant is not None and variant.key == subject)
                or (route.variant is not None)
            )
            return depth, Resolution(entry, variant, subject, answered, specific)
        return None

    def resolve(self, kind: str, subjects: Iterable[str] = (), context: Optional[str] = None) -> Optional[Resolution]:
        """The entry answering question `kind` about `subjects` (or the context subject).

        With several subjects, the one with the most specific answer wins; ties go to the
        label priority (condition > NET type > hormone > organ > concept > symptom).
        Returns None when no entry answers this kind of question at all.
        """
        candidates: List[Optional[str]] = [
            s for s in dict.fromkeys(subjects) if s in self.subjects and self.subjects[s].label in ROUTING_LABELS
        ]
        if not candidates and context in self.subjects:
            # Only the conversation's subject: an entry for this kind of question about it or
            # anything more general ("how is it treated?" after VIP: treatment) before an entry
            # that answers everything about it (VIP's hormone answer).
            found = self._resolve_one(kind, context, exact_only=True)
            if found:
                return found[1]
        if not candidates:
            candidates = [context] if context in self.subjects else [None]
        best: Optional[Tuple[Tuple[int, int, int], Resolution]] = None
        # A generic name ("carcinoid") gives way to a condition, NET type or hormone named with it.
        specific_named = any(s and self.subjects[s].label in ("condition", "net_type", "hormone") for s in candidates)
        for order, subject in enumerate(candidates):
            found = self._resolve_one(kind, subject)
            if not found:
                continue
            depth, resolution = found
            label = self.subjects[subject].label if subject else "net_type"
            # The root subject `net` is the least specific of all.
            generic = 1 if subject in (None, "net") or (self.subjects[subject].generic and specific_named) else 0
            rank = (depth + generic * 10, LABEL_PRIORITY.get(label, 99), order)
            if best is None or rank < best[0]:
                best = (rank, resolution)
        return best[1] if best else None

    def resolution_for(self, key: str) -> Optional[Resolution]:
        """The answer `entry` or `entry:variant` as chosen directly (not by a route)."""
        entry_id, _, variant_key = key.partition(":")
        entry = self.entries.get(entry_id)
        if entry is None:
            return None
        variant = entry.variants.get(variant_key) if variant_key else None
        chosen = variant_key if variant else None
        return Resolution(entry, variant, chosen, chosen, True)

    def title(self, subject: Optional[str]) -> str:
        if subject is None or subject not in self.subjects:
            return "NETs in general"
        return self.subjects[subject].title

    def subjects_with_label(self, label: str) -> List[Subject]:
        return [s for s in self.subjects.values() if s.label == label]

    def entry_target(self, entry_id: str, variant: Optional[str] = None) -> Tuple[str, Optional[Subject]]:
        """A (question kind, subject) that leads back to this entry (or variant): for buttons."""
        entry = self.entries[entry_id]
        if variant:
            subject = self.subjects[variant]
            for route in entry.routes:
                if route.variant == variant:
                    kind = next(k for k in route.kinds if k != ANY_KIND)
                    return kind, self.subjects[route.subject] if route.subject else None
            for kind in ("ask_definition",) + QUESTION_KINDS:
                found = self.resolve(kind, [variant])
                if found and found.entry.id == entry_id and found.variant and found.variant.key == variant:
                    return kind, subject
            raise KnowledgeBaseError(f"variant {entry_id}:{variant} is unreachable")
        preferred = sorted(entry.routes, key=lambda r: (ANY_KIND in r.kinds, r.subject is None))
        for route in preferred:
            kinds = [k for k in route.kinds if k != ANY_KIND] or ["ask_definition"]
            subject_value = route.subject or "net"
            for kind in kinds:
                found = self.resolve(kind, [subject_value])
                if found and found.entry.id == entry_id and found.variant is None:
                    return kind, self.subjects[subject_value]
        raise KnowledgeBaseError(f"entry {entry_id} is unreachable by a button")


@lru_cache(maxsize=4)
def _load_cached(directory: str) -> KnowledgeBase:
    return KnowledgeBase.load(Path(directory))


def get_knowledge_base(directory: Optional[Path] = None) -> KnowledgeBase:
    """The knowledge base, loaded once per directory."""
    return _load_cached(str(directory or settings().knowledge_dir))

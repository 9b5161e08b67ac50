"""The project's own small spaCy pipeline: blank English, lookup lemmatizer, subject norms, entity ruler.

No pretrained English package can be downloaded here, so `build` makes one from code and saves
it; Rasa's SpacyNLP loads it by path and SpacyEntityExtractor reports the ruler's entities. The
same pipeline serves safety checks and retrieval in `bot/`.

    python -m bot.nlp build [--out DIR] [--synonyms FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import spacy  # noqa: E402
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc  # noqa: E402

from bot import vocabulary  # noqa: E402
from bot.config import settings  # noqa: E402
from bot.knowledge import KnowledgeBase, get_knowledge_base  # noqa: E402

PIPELINE_NAME = "en_netbot"
PIPELINE_VERSION = "1.1.0"


@dataclass(frozen=True)
class Mention:
    """A subject found in text."""

    label: str
    value: str
    text: str
    start: int
    end: int


def words_outside(text: str, mentions: Sequence[Mention]) -> List[str]:
    """The lower-cased words of `text` outside the spans of `mentions` found in it (what a
    message says besides the subjects it names)."""
    rest = text
    for m in sorted((m for m in mentions if m.start >= 0), key=lambda m: -m.start):
        rest = rest[: m.start] + " " + rest[m.end :]
    return re.findall(r"[\w']+", rest.lower())


def english_words() -> Set[str]:
    import spacy_lookups_data

    data_dir = Path(spacy_lookups_data.__file__).parent / "data"
    words: Set[str] = set()
    with gzip.open(data_dir / "en_lemma_lookup.json.gz", "rt", encoding="utf-8") as handle:
        lookup: Dict[str, str] = json.load(handle)
    words.update(k.lower() for k in lookup)
    words.update(v.lower() for v in lookup.values())
    with gzip.open(data_dir / "en_lemma_index.json.gz", "rt", encoding="utf-8") as handle:
        index: Dict[str, List[str]] = json.load(handle)
    for items in index.values():
        words.update(w.lower() for w in items)
    return words


NORMS = "subject_norms"


class SubjectNorms:
    """Sets the NORM of every token that is a form of a subject-name word (a spelling, plural or
    typo, bot/vocabulary.py `norm_table`) to that word's norm, so the entity ruler matches each
    name as one phrase on NORM: a dictionary look-up per token instead of a token pattern with
    thousands of alternatives per name (the ruler was most of a turn's CPU)."""

    FILE = "norms.json.gz"

    def __init__(self, table: Optional[Dict[str, str]] = None) -> None:
        self.table: Dict[str, str] = table or {}

    def __call__(self, doc: Doc) -> Doc:
        table = self.table
        for token in doc:
            norm = table.get(token.lower_)
            if norm is not None:
                token.norm_ = norm
        return doc

    def to_disk(self, path: Path, exclude: Sequence[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with gzip.open(path / self.FILE, "wt", encoding="utf-8") as handle:
            json.dump(self.table, handle, ensure_ascii=False, sort_keys=True)

    def from_disk(self, path: Path, exclude: Sequence[str] = ()) -> SubjectNorms:
        with gzip.open(Path(path) / self.FILE, "rt", encoding="utf-8") as handle:
            self.table = json.load(handle)
        return self


def make_subject_norms(nlp, name):  # type: ignore[no-untyped-def]
    """spaCy's factory for SubjectNorms (unannotated: spaCy validates a factory's arguments from
    its annotations, which `from __future__ import annotations` turns into strings)."""
    return SubjectNorms()


# Registered on import: spacy.load of the saved pipeline (here and in Rasa's SpacyNLP, whose
# process imports bot.serving.nlu first) needs the factory.
Language.factory(NORMS, func=make_subject_norms)


def build_pipeline(kb: Optional[KnowledgeBase] = None) -> Language:
    """Blank English + lookup lemmatizer + subject norms + entity ruler from the knowledge-base
    vocabulary."""
    kb = kb or get_knowledge_base()
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()

    def tokenize(text: str) -> List[str]:
        return [t.text for t in nlp.make_doc(text) if not t.is_space]

    norms = nlp.add_pipe(NORMS)
    norms.table = vocabulary.norm_table(kb, tokenize, english_words())  # type: ignore[attr-defined]
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True, "validate": False, "phrase_matcher_attr": "NORM"})
    ruler.add_patterns(vocabulary.build_patterns(kb, tokenize))  # type: ignore[attr-defined]
    nlp.meta["name"] = PIPELINE_NAME.replace("en_", "")
    nlp.meta["version"] = PIPELINE_VERSION
    nlp.meta["description"] = "NET FAQ bot vocabulary: lookup lemmas + subject norms + entity ruler (built by bot/nlp.py)"
    return nlp


def write_synonyms(kb: KnowledgeBase, nlp: Language, path: Path) -> None:
    """Rasa NLU synonyms (spellings and plurals -> canonical value), generated: do not edit."""

    def tokenize(text: str) -> List[str]:
        return [t.text for t in nlp.make_doc(text) if not t.is_space]

    table = vocabulary.synonym_table(kb, tokenize)
    lines = [
        "# Generated by `python -m bot.nlp build` from data/knowledge/subjects.yml: do not edit.",
        'version: "3.1"',
        "nlu:",
    ]
    for value, forms in table.items():
        if not forms:
            continue
        lines.append(f"- synonym: {value}")
        lines.append("  examples: |")
        lines.extend(f"    - {json.dumps(form, ensure_ascii=False)[1:-1]}" for form in forms)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@lru_cache(maxsize=2)
def _load(path: str) -> Language:
    if Path(path, "config.cfg").exists():
        return spacy.load(path)
    return build_pipeline()


def get_nlp(path: Optional[Path] = None) -> Language:
    """The saved pipeline (built in memory if it has not been built yet)."""
    return _load(str(path or settings().spacy_model_dir))


def mentions(text: str, nlp: Optional[Language] = None) -> List[Mention]:
    doc = (nlp or get_nlp())(text)
    return [Mention(e.label_, e.ent_id_ or e.text.lower(), e.text, e.start_char, e.end_char) for e in doc.ents]


def lemmas(text: str, nlp: Optional[Language] = None) -> List[str]:
    doc = (nlp or get_nlp())(text)
    return [t.lemma_.lower() for t in doc if not (t.is_punct or t.is_space)]


def analyse(text: str, nlp: Optional[Language] = None) -> Tuple[List[str], List[Mention]]:
    """Lemmas and subject mentions of `text` in one pass.

    With the saved pipeline the result is cached per text: FAQ questions repeat, and a turn
    that falls back to retrieval analyses its text twice (the entity ruler is most of a turn's
    time in bot/).
    """
    if nlp is None:
        lemmas_, found = _analyse_cached(text, str(settings().spacy_model_dir))
        return list(lemmas_), list(found)
    return _analyse(text, nlp)


def _analyse(text: str, nlp: Language) -> Tuple[List[str], List[Mention]]:
    doc = nlp(text)
    found = [Mention(e.label_, e.ent_id_ or e.text.lower(), e.text, e.start_char, e.end_char) for e in doc.ents]
    return [t.lemma_.lower() for t in doc if not (t.is_punct or t.is_space)], found


@lru_cache(maxsize=4096)
def _analyse_cached(text: str, path: str) -> Tuple[Tuple[str, ...], Tuple[Mention, ...]]:
    lemmas_, found = _analyse(text, _load(path))
    return tuple(lemmas_), tuple(found)


def normalise_value(value: Any, kb: Optional[KnowledgeBase] = None) -> Optional[str]:
    """Map an entity value (canonical id, or the text a user typed) to a subject value."""
    kb = kb or get_knowledge_base()
    if not isinstance(value, str) or not value.strip():
        return None
    if value in kb.subjects:
        return value
    found = mentions(value[:200])
    return found[0].value if found else None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build and save the spaCy pipeline and the Rasa synonyms")
    build.add_argument("--out", type=Path, default=settings().spacy_model_dir)
    build.add_argument("--synonyms", type=Path, default=Path("data/nlu/synonyms.yml"))
    args = parser.parse_args(argv)
    kb = get_knowledge_base()
    nlp = build_pipeline(kb)
    args.out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(args.out)
    write_synonyms(kb, nlp, args.synonyms)
    ruler = nlp.get_pipe("entity_ruler")
    print(f"built {args.out} ({len(ruler)} patterns); wrote {args.synonyms}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

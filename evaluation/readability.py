"""Readability of the knowledge-base answers: the Flesch-Kincaid grade of every answer (issue 14).

The answers are for patients and carers, so they should read at about school grade 6. This tool
measures each answer (the 36 entries and their variants, in entries.yml order, keyed as
evidence.yml keys them) and checks the bar in bot/thresholds.yml (`readability_median_max`,
`readability_answer_max`, read through bot/config.py):

    FK grade = 0.39 * words / sentences + 11.8 * syllables / words - 15.59

- sentences: bot/evidence.py's splitter, the one that ties every sentence to its source passage;
- words: alphabetic tokens (a hyphenated compound is one word, its parts' syllables added; a
  number is a word of 1 syllable);
- syllables: pyphen's en_GB hyphenation dictionary, hyphenation points + 1, at least 1 a word
  (what textstat's offline method counts), so the numbers need no network and never drift;
- known words: the names a patient must hear (data/knowledge/known_words.yml, with the UK/US
  spellings and plurals bot/vocabulary.py makes) count as 1 syllable in the graded column, so
  the grade measures the writing around them. The bar is checked on that column.

    python -m evaluation.readability [--out results/readability.md] [--check]

`--check` exits 1, listing the failing answers, when the median or any answer is over the bar.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, List, Optional, Sequence

import pyphen
import yaml

from bot.config import PROJECT_ROOT, settings
from bot.evidence import KNOWLEDGE_DIR, entry_texts, split_sentences
from bot.vocabulary import plural_forms, spelling_forms

KNOWN_WORDS_FILE = KNOWLEDGE_DIR / "known_words.yml"
REPORT_FILE = PROJECT_ROOT / "results" / "readability.md"
# The hyphenation dictionary the syllables come from (pyphen is pinned in requirements.txt).
HYPHENATION_LANGUAGE = "en_GB"
# A word: letters, possibly joined by hyphens or apostrophes ("gastrin-releasing", "don't"), or a number.
_TOKEN = re.compile(r"[A-Za-z]+(?:['\u2019-][A-Za-z]+)*|\d+(?:[.,]\d+)*")
# The grades the summary reports the share of answers at or below.
SHARE_GRADES = (6, 8)


@lru_cache(maxsize=1)
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=HYPHENATION_LANGUAGE)


@lru_cache(maxsize=4)
def known_words(path: Path = KNOWN_WORDS_FILE) -> FrozenSet[str]:
    """The listed names with their other spellings and plurals, lower case."""
    listed = yaml.safe_load(path.read_text(encoding="utf-8"))["words"]
    forms = set()
    for word in listed:
        for spelling in spelling_forms(str(word)):
            forms |= plural_forms(spelling)
    return frozenset(forms)


def words(text: str) -> List[str]:
    """The words of a text, as the grade counts them."""
    return _TOKEN.findall(text)


def _part_syllables(part: str) -> int:
    """Syllables of one hyphen-free part: pyphen's hyphenation points + 1."""
    letters = re.sub(r"['\u2019]", "", part.lower())
    return len(_hyphenator().positions(letters)) + 1


def syllables(word: str, known: FrozenSet[str] = frozenset()) -> int:
    """Syllables of one word; a number, and a part of the word that is in `known`, count 1."""
    if word[0].isdigit():
        return 1
    total = 0
    for part in word.split("-"):
        bare = re.sub(r"['\u2019]s$", "", part.lower())
        total += 1 if bare in known else _part_syllables(part)
    return max(total, 1)


def fk_grade(word_count: int, sentence_count: int, syllable_count: int) -> float:
    """The Flesch-Kincaid grade level."""
    if not word_count or not sentence_count:
        return 0.0
    return 0.39 * word_count / sentence_count + 11.8 * syllable_count / word_count - 15.59


@dataclass(frozen=True)
class Measure:
    """One answer's counts and grades (`grade_known`: known words as 1 syllable; the one checked)."""

    key: str
    words: int
    sentences: int
    syllables: int
    syllables_known: int

    @property
    def grade(self) -> float:
        return round(fk_grade(self.words, self.sentences, self.syllables), 1)

    @property
    def grade_known(self) -> float:
        return round(fk_grade(self.words, self.sentences, self.syllables_known), 1)


def measure(key: str, text: str, known: Optional[FrozenSet[str]] = None) -> Measure:
    known = known_words() if known is None else known
    tokens = words(text)
    return Measure(
        key=key,
        words=len(tokens),
        sentences=len(split_sentences(text)),
        syllables=sum(syllables(t) for t in tokens),
        syllables_known=sum(syllables(t, known) for t in tokens),
    )


def measure_answers(knowledge_dir: Path = KNOWLEDGE_DIR) -> List[Measure]:
    """Every entry and variant answer of entries.yml, in file order."""
    return [measure(t.key, t.text) for t in entry_texts(knowledge_dir)]


@dataclass(frozen=True)
class Bar:
    median_max: float
    answer_max: float


def current_bar() -> Bar:
    config = settings()
    return Bar(config.readability_median_max, config.readability_answer_max)


def failures(measures: Sequence[Measure], bar: Bar) -> List[str]:
    """What misses the bar, one line each (empty: the bar is met)."""
    out = []
    median = statistics.median(m.grade_known for m in measures)
    if median > bar.median_max:
        out.append(f"median grade {median:.1f} > {bar.median_max:g}")
    out += [f"{m.key}: grade {m.grade_known:.1f} > {bar.answer_max:g}" for m in measures if m.grade_known > bar.answer_max]
    return out


def _summary(grades: Sequence[float], keys: Sequence[str]) -> List[str]:
    worst = max(range(len(grades)), key=lambda i: grades[i])
    shares = [
        f"{sum(g <= limit for g in grades)}/{len(grades)} ({sum(g <= limit for g in grades) / len(grades):.0%})"
        for limit in SHARE_GRADES
    ]
    return [f"{statistics.median(grades):.1f}", f"{grades[worst]:.1f} (`{keys[worst]}`)", *shares]


def render(measures: Sequence[Measure], bar: Bar) -> str:
    keys = [m.key for m in measures]
    plain = _summary([m.grade for m in measures], keys)
    known = _summary([m.grade_known for m in measures], keys)
    problems = failures(measures, bar)
    lines = [
        "# Readability of the answers",
        "",
        "Flesch-Kincaid grade of every knowledge-base answer (`python -m evaluation.readability`):",
        "0.39 x words/sentence + 11.8 x syllables/word - 15.59; sentences split as bot/evidence.py splits",
        f'them, syllables from pyphen ({HYPHENATION_LANGUAGE}). "Known words": the medical names in',
        "data/knowledge/known_words.yml count as 1 syllable (the bar is checked on that column).",
        "",
        "| answer | words | sentences | grade | grade, known words |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| `{m.key}` | {m.words} | {m.sentences} | {m.grade:.1f} | {m.grade_known:.1f} |" for m in measures]
    lines += [
        "",
        "| | grade | grade, known words |",
        "|---|---:|---:|",
        f"| median | {plain[0]} | {known[0]} |",
        f"| worst | {plain[1]} | {known[1]} |",
    ]
    lines += [f"| at grade <= {limit} | {p} | {k} |" for limit, p, k in zip(SHARE_GRADES, plain[2:], known[2:], strict=True)]
    lines += [
        "",
        f"Bar (bot/thresholds.yml): median <= {bar.median_max:g}, no answer above {bar.answer_max:g}, known words counted.",
        "",
        "**Met.**" if not problems else "**Not met:**",
    ]
    lines += [f"- {p}" for p in problems]
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="write the markdown table here (default: print it)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the bar of bot/thresholds.yml is not met")
    args = parser.parse_args(argv)
    measures = measure_answers()
    bar = current_bar()
    report = render(measures, bar)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
        median = statistics.median(m.grade_known for m in measures)
        worst = max(measures, key=lambda m: m.grade_known)
        print(
            f"readability: {len(measures)} answers, median grade {median:.1f}, worst {worst.grade_known:.1f} ({worst.key}); wrote {args.out}"
        )
    else:
        print(report, end="")
    problems = failures(measures, bar)
    if args.check and problems:
        print(f"readability bar not met ({len(problems)}):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

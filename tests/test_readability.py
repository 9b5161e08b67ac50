"""evaluation/readability.py: the Flesch-Kincaid grade of every answer, and the plain-language bar.

The grade is checked against a hand computation, known medical names count as 1 syllable (with
their other spellings and plurals), the sentences are bot/evidence.py's, every answer of
entries.yml is measured, and `--check` fails when the bar of bot/thresholds.yml is missed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot import evidence as ev
from bot.config import PROJECT_ROOT, settings, thresholds
from evaluation import readability as rd

KNOWLEDGE = PROJECT_ROOT / "data" / "knowledge"


def test_a_known_text_has_the_grade_computed_by_hand():
    # a(1) tumour(2) can(1) grow(1). Hormones(2) make(1) symptoms(2): 7 words, 2 sentences, 10 syllables.
    measured = rd.measure("hand", "A tumour can grow. Hormones make symptoms.", known=frozenset())
    assert (measured.words, measured.sentences, measured.syllables) == (7, 2, 10)
    by_hand = 0.39 * 7 / 2 + 11.8 * 10 / 7 - 15.59  # 2.632
    assert measured.grade == pytest.approx(by_hand, abs=0.05)
    assert rd.fk_grade(7, 2, 10) == pytest.approx(2.632, abs=0.001)


def test_syllables_are_pyphens_hyphenation_points_plus_one():
    assert rd.syllables("hormones") == 2  # hor-mones
    assert rd.syllables("releasing") == 3  # re-leas-ing
    assert rd.syllables("the") == 1
    # a hyphenated compound is one word, its parts added; a number is 1 syllable
    assert rd.words("Gastrin-releasing tumours, 58% of 171,000") == ["Gastrin-releasing", "tumours", "58", "of", "171,000"]
    assert rd.syllables("gastrin-releasing") == rd.syllables("gastrin") + rd.syllables("releasing")
    assert rd.syllables("171,000") == 1


def test_known_words_count_as_one_syllable_with_their_spellings_and_plurals():
    known = rd.known_words()
    assert rd.syllables("serotonin") > 1 and rd.syllables("serotonin", known) == 1
    assert rd.syllables("Insulinomas", known) == 1  # plural, capitalised
    assert rd.syllables("esophagus", known) == 1  # the US spelling of the listed "oesophagus"
    assert rd.syllables("insulin-releasing", known) == 1 + rd.syllables("releasing")
    assert rd.syllables("approximately", known) > 1  # an ordinary hard word stays hard
    text = "Serotonin and somatostatin are named. Pancreatic tumours make insulin."
    plain, counted = rd.measure("t", text, known=frozenset()), rd.measure("t", text, known=known)
    assert counted.syllables_known < plain.syllables_known
    assert counted.grade_known < counted.grade == plain.grade


def test_every_known_word_is_a_word_of_a_subject_name():
    """The list is a part of the bot's own vocabulary of medical names, not a place for hard words."""
    listed = yaml.safe_load((KNOWLEDGE / "known_words.yml").read_text(encoding="utf-8"))["words"]
    subjects = yaml.safe_load((KNOWLEDGE / "subjects.yml").read_text(encoding="utf-8"))["subjects"]
    vocabulary = {w.lower() for s in subjects for name in s.get("names", []) for w in re.findall(r"[A-Za-z]+", str(name))}
    assert listed and len(listed) == len(set(listed))
    assert [w for w in listed if w.lower() not in vocabulary] == []


def test_sentences_are_split_as_bot_evidence_splits_them():
    assert rd.split_sentences is ev.split_sentences
    text = "NETs are rare, e.g. in the U.S. they are uncommon. Some grow slowly! Do they spread? 58% do."
    assert rd.measure("t", text).sentences == len(ev.split_sentences(text)) == 4
    # and for every answer, as many sentences as evidence.yml records for it
    records = ev.load_evidence().entries
    for answer in ev.entry_texts():
        assert rd.measure(answer.key, answer.text).sentences == len(records[answer.key]), answer.key


def test_every_answer_in_entries_yml_is_measured():
    entries = yaml.safe_load((KNOWLEDGE / "entries.yml").read_text(encoding="utf-8"))["entries"]
    expected = [e["id"] for e in entries]
    expected += [f"{e['id']}:{v}" for e in entries for v in (e.get("variants") or {})]
    measured = rd.measure_answers()
    assert sorted(m.key for m in measured) == sorted(expected)
    assert all(m.words > 0 and m.sentences > 0 for m in measured)


def test_the_bar_lives_in_the_thresholds_file_and_the_environment_overrides_it(monkeypatch):
    assert settings().readability_median_max == thresholds()["readability_median_max"]
    assert settings().readability_answer_max == thresholds()["readability_answer_max"]
    monkeypatch.setenv("NETBOT_READABILITY_ANSWER_MAX", "3.5")
    assert rd.current_bar().answer_max == 3.5


def test_check_fails_and_lists_the_answers_over_the_bar(monkeypatch, tmp_path: Path, capsys):
    measures = rd.measure_answers()
    hardest = max(measures, key=lambda m: m.grade_known)
    monkeypatch.setenv("NETBOT_READABILITY_ANSWER_MAX", str(hardest.grade_known - 0.1))
    monkeypatch.setenv("NETBOT_READABILITY_MEDIAN_MAX", "99")
    out = tmp_path / "readability.md"
    assert rd.main(["--check", "--out", str(out)]) == 1
    assert f"{hardest.key}: grade {hardest.grade_known:.1f}" in capsys.readouterr().err
    report = out.read_text(encoding="utf-8")
    assert f"| `{hardest.key}` |" in report and "**Not met:**" in report
    assert len([line for line in report.splitlines() if line.startswith("| `")]) == len(measures)
    monkeypatch.setenv("NETBOT_READABILITY_ANSWER_MAX", "99")
    assert rd.main(["--check", "--out", str(out)]) == 0
    assert "**Met.**" in out.read_text(encoding="utf-8")
    monkeypatch.setenv("NETBOT_READABILITY_MEDIAN_MAX", "0")
    assert rd.main(["--check", "--out", str(out)]) == 1
    assert "median grade" in capsys.readouterr().err

"""Every wire-notes citation in the packages points at a section that exists in docs/wire-notes.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
NOTES = ROOT / "docs" / "wire-notes.md"
PACKAGES = ("glm_transport", "langchain_glm", "llamaindex_glm")
# In the packages every "§" cites the wire notes ("wire notes §3.1", "wire notes §3.1, §12.3",
# "docs/wire-notes.md §8b", "§11.2-3"), so every one is checked; a range cites its first section.
SECTION = re.compile(r"§([0-9]+[a-z]?(?:\.[0-9]+)*)")
HEADING = re.compile(r"^#{2,4} (?:([0-9]+[a-z]?(?:\.[0-9]+)*)\.? |(Ex[0-9]+) )")
# The notes' section numbering: every heading other helpers and the code cite.
REQUIRED = (
    *("0", "1", "1.1", "1.2", "2", "2.1", "2.2", "3", "3.1", "3.2", "3.3", "3.4", "3.5", "4"),
    *("5", "5.1", "5.2", "5.3", "5.4", "5.5", "6", "6.1", "6.2", "6.3", "6.4", "7", "8", "8b"),
    *("9", "9.1", "9.2", "9.3", "9.4", "10", "11", *(f"11.{i}" for i in range(1, 9))),
    *("12", *(f"12.{i}" for i in range(1, 18))),
    *("13", *(f"13.{i}" for i in range(9))),
    *(f"Ex{i}" for i in range(1, 10)),
)


def headings() -> set[str]:
    found = set()
    for line in NOTES.read_text(encoding="utf-8").splitlines():
        match = HEADING.match(line)
        if match:
            found.add(match.group(1) or match.group(2))
    return found


def citations() -> list[tuple[str, str]]:
    """(where, section) for every cited section in the packages' Python files."""
    out = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for match in SECTION.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                out.append((f"{path.relative_to(ROOT)}:{line}", match.group(1)))
    return out


def test_the_notes_keep_the_spec_numbering() -> None:
    missing = [section for section in REQUIRED if section not in headings()]
    assert missing == []


def test_every_citation_in_the_packages_names_an_existing_section() -> None:
    found = citations()
    assert len(found) > 50  # the packages do cite the notes; a broken pattern would find none
    known = headings()
    assert [(where, section) for where, section in found if section not in known] == []


@pytest.mark.parametrize(
    ("text", "sections"),
    [
        ("(wire notes §3.1, §12.3)", ["3.1", "12.3"]),
        ("docs/wire-notes.md §6.4, §12.15", ["6.4", "12.15"]),
        ("wire notes §8b.", ["8b"]),
        ("wire notes §11.2-3", ["11.2"]),
        ("wire notes §3.1/§3.5", ["3.1", "3.5"]),
        ("(wire notes §5.5.)", ["5.5"]),
    ],
)
def test_the_section_pattern_reads_each_citation_form(text: str, sections: list[str]) -> None:
    assert SECTION.findall(text) == sections


def test_the_notes_cite_no_outside_research_file() -> None:
    text = NOTES.read_text(encoding="utf-8")
    outside = ("glm-api-" + "spec", ".." + "/shared")  # spelled in parts, so this file names no outside path
    assert not any(name in text for name in outside)

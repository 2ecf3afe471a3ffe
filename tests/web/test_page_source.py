"""The page's source, read as text: every word it shows exists in English and in Chinese,
and every word the code asks for exists; no markup is built from strings."""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "web" / "frontend" / "src"


def catalogue(language: str) -> set[str]:
    text = (SOURCE / "i18n.js").read_text("utf-8")
    block = re.search(rf"\n  {language}: \{{(.*?)\n  \}},", text, re.S)
    assert block is not None, language
    return set(re.findall(r"(\w+): \"", block.group(1)))


def test_both_languages_have_every_word() -> None:
    english, chinese = catalogue("en"), catalogue("zh")
    assert len(english) > 80
    assert english == chinese, english ^ chinese


def test_every_word_asked_for_exists() -> None:
    asked: set[str] = set()
    for path in sorted(SOURCE.glob("*.js")):
        text = path.read_text("utf-8")
        asked |= set(re.findall(r"\bt\(\"(\w+)\"", text))
        asked |= {f"status_{s}" for s in ("queued", "running", "done", "failed", "cancelled")}
    assert asked - catalogue("en") == set()


def test_no_markup_from_strings() -> None:
    """Text from the data is never parsed as HTML (no innerHTML, outerHTML,
    insertAdjacentHTML or document.write in the page's code)."""
    for path in sorted(SOURCE.glob("*.js")):
        text = re.sub(r"//[^\n]*|/\*.*?\*/", "", path.read_text("utf-8"), flags=re.S)
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", text), path

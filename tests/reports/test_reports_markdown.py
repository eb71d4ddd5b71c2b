"""Markdown step summary: parsed with markdown-it (CommonMark) to prove student text stays inert."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from reports_fixtures import WEIRD_OUTPUT, all_passed, grader_error, mixed

from grader.reports import render
from grader.reports.markdown import fenced, inline

MD = MarkdownIt("commonmark").enable("table")


def _html(md_text: str) -> str:
    return MD.render(md_text)


def test_student_text_cannot_escape_its_code_block() -> None:
    html = _html(render(mixed(), "markdown"))
    assert "<script>" not in html and "<img" not in html
    # The student's "# Injected heading" stays code, never becomes a heading.
    assert "<h1>Injected heading</h1>" not in html
    assert "# Injected heading" in html
    tokens = MD.parse(render(mixed(), "markdown"))
    fences = [t.content for t in tokens if t.type == "fence"]
    weird = [f for f in fences if "pwned" in f]
    assert len(weird) == 1
    assert "```\n# Injected heading\n```" in weird[0]
    assert "| pipe | table |" in weird[0]


@pytest.mark.parametrize("text", ["```", "a ```` b\n`````", "~~~\n```", ""])
def test_fenced_is_closed_only_by_its_own_fence(text: str) -> None:
    tokens = MD.parse(fenced(text) + "\n\nafter")
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1
    assert fences[0].content == text + "\n"
    assert any(t.type == "inline" and t.content == "after" for t in tokens)


def test_inline_text_renders_literally() -> None:
    nasty = "*bold* _it_ <b>x</b> [link](http://e.x) | `code` & &amp; # h"
    html = _html(inline(nasty))
    assert html == "<p>*bold* _it_ &lt;b&gt;x&lt;/b&gt; [link](http://e.x) | `code` &amp; &amp;amp; # h</p>\n"


def test_summary_table_and_failed_checks() -> None:
    text = render(mixed(), "markdown")
    html = _html(text)
    assert "<table>" in html
    assert "<td>linear</td>" in html and "<td>0.00 / 5.00</td>" in html
    assert "### Checks that did not pass" in text
    assert "**`bias-gradient-not-summed`**" in text
    assert "Sum the bias gradient over the batch axis" in text
    assert "Score on the checks shown: 6.50 / 23.00" in text  # hidden checks not counted
    assert "SECRET" not in text and "AFTER-DUE" not in text and "PUBLISHED-ONLY" not in text
    assert "bob/\\<b\\>mlp\\</b\\>.py" in text


def test_after_due_date_reveals_after_due_date_checks_only() -> None:
    text = render(mixed(), "markdown", after_due_date=True)
    assert "| performance | 3.00 / 3.00 | 1 / 1 |" in text
    assert "PUBLISHED-ONLY" not in text and "SECRET" not in text


def test_all_passed_and_grader_error() -> None:
    ok = render(all_passed(), "markdown")
    assert "**Score: 28.00 / 28.00 (100%)**" in ok
    assert "All checks shown passed" in ok
    assert "did not pass" not in ok
    err = render(grader_error(), "markdown")
    assert "**Score: 0.00 / 5.00** (grader error)" in err
    assert "BrokenPipeError" in err
    assert "All checks shown passed" not in err


def test_no_raw_control_characters() -> None:
    text = render(mixed(), "markdown")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    assert WEIRD_OUTPUT not in text  # it was cleaned, not pasted

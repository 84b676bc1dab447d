"""The README's Python snippets run as written: every ```python block, each in a fresh
interpreter in an empty folder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    """The body of every fenced block whose info string is `python` (or `py`)."""
    fence = re.compile(r"^(`{3,}|~{3,})[ \t]*(python|py)3?\b[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
    return [match[3] for match in fence.finditer(text)]


def test_the_extractor_finds_every_python_block_and_nothing_else():
    text = "```python\na = 1\n```\n```\nnot python\n```\n````py\nb = 2\n````\n```toml\nc = 3\n```\n"
    assert python_blocks(text) == ["a = 1\n", "b = 2\n"]


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_snippets():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i + 1}" for i in range(len(BLOCKS))])
def test_a_readme_snippet_runs_as_written(code, tmp_path):
    ran = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "None" not in ran.stdout, ran.stdout  # a number the snippet meant to show

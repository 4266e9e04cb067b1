"""The one reader of Python blocks in the README and the docs pages, for the tests that run
them.

A fenced block opened with three backticks and ``python`` is run by ``tests/test_docs.py``,
page by page in one namespace, in order; a block preceded by the line
``<!-- illustrative: why -->`` is shown but not run (it needs data or hardware a test
machine lacks, and the line says so). ``<!-- test: NAME -->`` before a block names it for a test that
runs it with its own substitutions (:func:`named_block`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ILLUSTRATIVE = "<!-- illustrative"


@dataclass(frozen=True)
class Block:
    """One fenced Python block: where it is, its code, and the marker line before it."""

    path: Path
    line: int
    code: str
    marker: str | None

    @property
    def illustrative(self) -> bool:
        return self.marker is not None and self.marker.startswith(ILLUSTRATIVE)

    def compiled(self, code: str | None = None):
        """The block compiled with its file and line, so a traceback points into the page."""
        source = "\n" * (self.line - 1) + (self.code if code is None else code)
        return compile(source, str(self.path), "exec")


def pages() -> list[Path]:
    """README.md, CONTRIBUTING.md and every Markdown page of the docs."""
    return [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").rglob("*.md"))]


def python_blocks(path: Path, heading: str | None = None) -> list[Block]:
    """The Python blocks of ``path`` (only those under ``heading``, a whole heading line such
    as ``## Losses``, up to the next heading of the same or a higher level, when given)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start, stop = 0, len(lines)
    if heading is not None:
        level = len(heading) - len(heading.lstrip("#"))
        start = lines.index(heading)
        for number in range(start + 1, len(lines)):
            match = re.match(r"^(#+) ", lines[number])
            if match and len(match.group(1)) <= level and not _in_fence(lines, number):
                stop = number
                break
    blocks, number = [], start
    while number < stop:
        if lines[number].strip() == "```python":
            end = number + 1
            while lines[end].strip() != "```":
                end += 1
            before = lines[number - 1].strip() if number else ""
            marker = before if before.startswith("<!--") else None
            blocks.append(Block(path, number + 2, "\n".join(lines[number + 1 : end]) + "\n", marker))
            number = end
        number += 1
    return blocks


def named_block(path: Path, name: str) -> Block:
    """The block after ``<!-- test: NAME -->`` in ``path``.

    Raises:
        LookupError: no such block.
    """
    for block in python_blocks(path):
        if block.marker == f"<!-- test: {name} -->":
            return block
    raise LookupError(f"{path.name} has no ```python block right after <!-- test: {name} -->")


def _in_fence(lines: list[str], number: int) -> bool:
    return sum(1 for line in lines[:number] if line.strip().startswith("```")) % 2 == 1

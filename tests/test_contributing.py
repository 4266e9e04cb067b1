"""CONTRIBUTING.md's index of named notes is the one the code holds."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# a definition: "NOTE [name]:" anywhere, or "NOTE [name]" alone on a (comment) line
DEFINITION = re.compile(r"NOTE \[([^\]]+)\]:|^[ \t#]*NOTE \[([^\]]+)\][ \t]*$", re.MULTILINE)


def notes_index() -> str:
    defined: dict[str, str] = {}
    for path in sorted((REPO / "imbalance_torch").rglob("*.py")):
        for match in re.finditer(DEFINITION, path.read_text(encoding="utf-8")):
            defined.setdefault(match.group(1) or match.group(2), str(path.relative_to(REPO)))
    return "\n".join(f"- `NOTE [{k}]`: `{defined[k]}`" for k in sorted(defined, key=str.lower))


def test_the_notes_index_lists_every_note_where_it_is_written():
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    begin = text.index("<!-- notes index: generated -->\n") + len("<!-- notes index: generated -->\n")
    end = text.index("\n<!-- end of notes index -->")
    assert text[begin:end] == notes_index(), "regenerate the notes index of CONTRIBUTING.md (tests/test_contributing.py::notes_index)"


def test_every_cited_note_is_written_somewhere():
    cited: set[str] = set()
    for path in (REPO / "imbalance_torch").rglob("*.py"):
        # a name may wrap onto the next (comment or docstring) line
        names = re.findall(r"NOTE \[([^\]]+)\]", path.read_text(encoding="utf-8"))
        cited |= {re.sub(r"\s*(?:#:?|`)?\s+", " ", name).strip() for name in names}
    defined = set(re.findall(r"`NOTE \[([^\]]+)\]`", notes_index()))
    assert sorted(cited - defined) == []

"""The README's wrapped-dataset example runs as written (the block after its marker)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- test: wrapped-dataset -->"


def test_wrapped_dataset_example_runs(capsys):
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(MARKER) + r"\n```python\n(.*?)```", text, re.S)
    assert found, f"README.md has no ```python block right after {MARKER}"
    exec(compile(found.group(1), str(README), "exec"), {})
    assert "made from card" in capsys.readouterr().out

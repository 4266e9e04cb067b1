"""The README's core example runs as written."""

import re
from pathlib import Path

import torch

README = Path(__file__).resolve().parents[1] / "README.md"


def test_core_example_runs():
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Fresh synthetic rows every epoch\n(.*?)(?=^## )", text, re.M | re.S)
    assert section, "README.md has no core example section"
    blocks = re.findall(r"```python\n(.*?)```", section.group(1), re.S)
    assert blocks
    torch.manual_seed(0)
    exec(compile("\n".join(blocks), str(README), "exec"), {})

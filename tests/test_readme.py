"""The README's core example runs as written (its blocks also run in tests/test_docs.py with
the rest of the page; this names the section the README must keep)."""

import torch
from doc_blocks import REPO, python_blocks

README = REPO / "README.md"


def test_core_example_runs():
    blocks = python_blocks(README, heading="## Fresh synthetic rows every epoch")
    assert blocks, "README.md has no core example section"
    torch.manual_seed(0)
    namespace: dict = {}
    for block in blocks:
        exec(block.compiled(), namespace)

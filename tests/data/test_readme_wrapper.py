"""The wrapped-dataset example of docs/guide/datasets.md runs as written (the block after its
marker)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from doc_blocks import REPO, named_block  # noqa: E402

PAGE = REPO / "docs" / "guide" / "datasets.md"


def test_wrapped_dataset_example_runs(capsys):
    exec(named_block(PAGE, "wrapped-dataset").compiled(), {})
    assert "made from card" in capsys.readouterr().out

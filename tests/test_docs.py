"""Every Python block of the README and the docs pages runs as written (page by page, in
order, in one namespace, in a fresh folder), the API reference lists every public name, and
the strategy table page is the generated one."""

from __future__ import annotations

import importlib
import re

import pytest
import torch
from doc_blocks import REPO, pages, python_blocks

RUN = [p for p in pages() if any(not b.illustrative for b in python_blocks(p))]


@pytest.mark.parametrize("page", RUN, ids=[str(p.relative_to(REPO)) for p in RUN])
def test_every_python_block_of_the_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    torch.manual_seed(0)
    namespace: dict = {"__name__": "__docs__"}
    for block in python_blocks(page):
        if not block.illustrative:
            exec(block.compiled(), namespace)


def test_illustrative_blocks_say_why():
    for page in pages():
        for block in python_blocks(page):
            if block.illustrative:
                assert re.match(r"<!-- illustrative: .+ -->", block.marker), f"{page}:{block.line}"


def test_the_api_reference_lists_every_public_name():
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    for package in ("imbalance_torch.data", "imbalance_torch.oversample", "imbalance_torch.undersample",
                    "imbalance_torch.targets", "imbalance_torch.neighbors", "imbalance_torch.losses",
                    "imbalance_torch.mixing", "imbalance_torch.mixing", "imbalance_torch.embedding", "imbalance_torch.lightning"):
        module = importlib.import_module(package)
        section = text[text.index(f".. currentmodule:: {package}"):]
        section = section[: section.find("## ", 1) if "## " in section[1:] else len(section)]
        missing = [n for n in module.__all__ if f"   {n}\n" not in section and f"`{package}.{n}`" not in section]
        assert missing == [], f"docs/api.md leaves out {package}: {missing}"
    top = importlib.import_module("imbalance_torch")
    documented = set(re.findall(r"^   (\w+)$", text, re.M)) | set(re.findall(r"`imbalance_torch\.\w+\.(\w+)`", text))
    assert [n for n in top.__all__ if n != "__version__" and n not in documented] == []

"""Files we write survive a crash, and files we read never run code.

Reports and checkpoints are written through a temporary file in the same folder and renamed
over the target: a write that fails midway leaves the previous file untouched and no
temporary file behind. Configs are read with safe YAML loading, ours and LightningCLI's.
"""

from __future__ import annotations

import os
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from imbalance_torch.lightning import AtomicCheckpointIO, _files
from imbalance_torch.lightning.compare.arms import load_strategy_config
from imbalance_torch.lightning.compare.report import (
    atomic_write_text,
    plot_auprc_bars,
    summarize,
    write_csv,
    write_json,
)

ROWS = [{"arm": "none", "strategy": "none", "seed": 0, "test_auprc": 0.5, "val_auprc": 0.4}]


def _fail_midway(monkeypatch):
    """Make the next atomic write die after writing part of its content."""
    real = os.fdopen

    class Broken:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[: max(1, len(data) // 2)])
            self.handle.flush()
            raise OSError("disk died midway")

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    monkeypatch.setattr(_files.os, "fdopen", lambda *a, **k: Broken(real(*a, **k)))


WRITERS = {
    "text": lambda path: atomic_write_text(path, "new report\n" * 100),
    "csv": lambda path: write_csv(path, ROWS * 50),
    "json": lambda path: write_json(path, {"runs": ROWS * 50}),
    "png": lambda path: plot_auprc_bars(path, summarize(ROWS), ROWS, title="t"),
    "checkpoint": lambda path: AtomicCheckpointIO().save_checkpoint({"weights": torch.ones(1000)}, path),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path, monkeypatch, kind):
    path = tmp_path / f"report.{kind}"
    path.write_bytes(b"old complete file")
    _fail_midway(monkeypatch)
    with pytest.raises(OSError, match="disk died midway"):
        WRITERS[kind](path)
    assert path.read_bytes() == b"old complete file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_a_complete_write_replaces_the_file_with_a_normal_mode(tmp_path, kind):
    path = tmp_path / "out" / f"report.{kind}"
    WRITERS[kind](path)
    WRITERS[kind](path)  # over an existing file
    assert path.stat().st_size > 100
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
    if kind == "checkpoint":
        assert torch.equal(AtomicCheckpointIO().load_checkpoint(path)["weights"], torch.ones(1000))


def test_an_interrupt_while_writing_removes_the_temporary(tmp_path):
    path = tmp_path / "summary.md"
    path.write_text("old")

    def interrupted(out):
        out.write("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _files.atomic_write(path, interrupted, binary=False)
    assert path.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


def test_trainer_writes_checkpoints_through_the_atomic_plugin(tmp_path, monkeypatch):
    from imbalance_torch.lightning import ImbalanceDataModule, TabularClassifier

    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.2).astype(np.int64)
    x = rng.standard_normal((300, 3)).astype(np.float32)
    data = ImbalanceDataModule.from_arrays(x, y, batch_size=64)
    model = TabularClassifier(**data.model_arguments())
    written = []
    real = _files.atomic_write
    monkeypatch.setattr("imbalance_torch.lightning.datamodule.resume.atomic_write", lambda p, w, **k: written.append(Path(p).name) or real(p, w, **k))
    trainer = pl.Trainer(
        max_epochs=1, accelerator="cpu", logger=False, enable_progress_bar=False,
        enable_model_summary=False, default_root_dir=tmp_path, plugins=[AtomicCheckpointIO()],
    )
    trainer.fit(model, datamodule=data)
    assert written and written[-1].endswith(".ckpt")
    # Our checkpoint state is plain values: torch's restricted (no-code) unpickler reads it.
    checkpoint = torch.load(trainer.checkpoint_callback.best_model_path, weights_only=True)
    assert checkpoint["ImbalanceDataModule"]["train_loader"]["epoch"] == 0


PYTHON_TAG = "trainer:\n  max_epochs: !!python/object/apply:os.system ['touch {marker}']\n"


def test_strategy_configs_are_read_with_safe_yaml(tmp_path):
    marker = tmp_path / "code_ran"
    bad = tmp_path / "evil.yaml"
    bad.write_text(PYTHON_TAG.format(marker=marker))
    with pytest.raises(ValueError, match=r"evil.yaml: not a valid YAML config \(could not determine a constructor for the tag .*python/object/apply:os.system.*safe YAML loading"):
        load_strategy_config(bad)
    bad.write_text("data: [unclosed\n")
    with pytest.raises(ValueError, match=r"evil.yaml: not a valid YAML config \(while parsing"):
        load_strategy_config(bad)
    assert not marker.exists()


@pytest.mark.filterwarnings("ignore:LightningCLI's args parameter")
def test_lightning_cli_reads_configs_with_a_safe_loader(tmp_path, capsys):
    """LightningCLI parses --config files with jsonargparse's loader, a CSafeLoader subclass."""
    import yaml
    from jsonargparse._loaders_dumpers import get_yaml_default_loader

    from imbalance_torch.lightning.cli import ImbalanceCLI

    loader = get_yaml_default_loader()  # (C)SafeLoader subclass: SafeConstructor only
    assert issubclass(loader, yaml.constructor.SafeConstructor)
    assert not issubclass(loader, yaml.constructor.FullConstructor)
    marker = tmp_path / "code_ran"
    bad = tmp_path / "evil.yaml"
    bad.write_text(PYTHON_TAG.format(marker=marker))
    with pytest.raises(SystemExit):
        ImbalanceCLI(args=["--config", str(bad)], run=False)
    assert "python/object/apply:os.system" in capsys.readouterr().err
    assert not marker.exists()


def test_no_unsafe_yaml_load_anywhere():
    root = Path(__file__).resolve().parents[2]
    sources = [p for d in ("imbalance_torch", "recipes", "benchmarks") for p in (root / d).rglob("*.py")]
    assert sources
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for unsafe in ("yaml.load(", "yaml.unsafe_load", "yaml.full_load", "FullLoader", "UnsafeLoader", "pickle.load", "allow_pickle=True"):
            assert unsafe not in text, f"{source}: {unsafe}"

"""`last.ckpt` from the shipped configs is the latest state after every epoch, also when the
monitored metric stops improving (issue 9 case g)."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from logged_fit import shipped_callbacks

from imbalance_torch.lightning import BatchSeeder, ImbalanceDataModule, TabularClassifier


class EpochsTrained(pl.Callback):
    def __init__(self) -> None:
        self.epochs: list[int] = []

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.epochs.append(trainer.current_epoch)


def separable(rows=400, seed=0):
    """Validation AUPRC is 1.0 from the first epoch on, so the best checkpoint never improves."""
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.2).astype(np.int64)
    return (rng.standard_normal((rows, 3)) * 0.1 + 6.0 * y[:, None]).astype(np.float32), y


def fit(root: Path, epochs: int, config: str, ckpt_path=None) -> tuple[pl.Trainer, EpochsTrained]:
    pl.seed_everything(0, verbose=False)
    data = ImbalanceDataModule.from_arrays(*separable(), batch_size=64)
    model = TabularClassifier(**data.model_arguments())
    recorder = EpochsTrained()
    callbacks = shipped_callbacks(config)
    trainer = pl.Trainer(
        max_epochs=epochs, accelerator="cpu", logger=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, default_root_dir=root,
        callbacks=[BatchSeeder(), recorder, *callbacks],
    )
    trainer.fit(model, datamodule=data, ckpt_path=ckpt_path)
    return trainer, recorder


@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
@pytest.mark.parametrize("config", ["trainer.yaml", "keel.yaml"])
def test_last_checkpoint_is_the_latest_epoch_when_the_best_does_not_improve(tmp_path, config):
    epochs = 4
    trainer, _ = fit(tmp_path, epochs, config)
    history = trainer.lightning_module.val_history
    assert [h["auprc"] for h in history] == [1.0] * epochs  # never improves after epoch 0
    folder = tmp_path / "checkpoints"
    assert sorted(p.name for p in folder.glob("*.ckpt")) == ["best-epoch=0.ckpt", "last.ckpt"]
    assert trainer.checkpoint_callback.best_model_path.endswith("best-epoch=0.ckpt")
    last = torch.load(folder / "last.ckpt", weights_only=False)
    assert last["epoch"] == epochs - 1
    assert len(last["val_history"]) == epochs


@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
def test_fit_from_last_resumes_after_the_last_completed_epoch(tmp_path):
    full, _ = fit(tmp_path / "full", 4, "trainer.yaml")
    fit(tmp_path / "cut", 3, "trainer.yaml")
    resumed, recorder = fit(tmp_path / "cut", 4, "trainer.yaml", ckpt_path="last")
    assert recorder.epochs == [3]  # epochs 0-2 come from last.ckpt, only epoch 3 is trained
    for a, b in zip(full.lightning_module.state_dict().values(), resumed.lightning_module.state_dict().values()):
        assert torch.equal(a, b)
    assert full.lightning_module.val_history == resumed.lightning_module.val_history

"""`recipes/train.py fit --ckpt_path last` continues a run exactly (with BatchSeeder)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def load_train():
    spec = importlib.util.spec_from_file_location("recipe_train", REPO / "recipes" / "train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore:LightningCLI's args parameter")
@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
def test_train_recipe_resumes_from_last_checkpoint_exactly(tmp_path):
    train = load_train()

    def fit(root, epochs, *extra):
        return train.main([
            "fit", "--strategy", "smote",
            "--data.rows", "20000", "--trainer.max_epochs", str(epochs),
            "--trainer.default_root_dir", str(root), "--trainer.enable_progress_bar", "false",
            "--trainer.callbacks+=imbalance_torch.lightning.BatchSeeder", *extra,
        ])

    full = fit(tmp_path / "full", 2)
    fit(tmp_path / "cut", 1)
    assert (tmp_path / "cut" / "checkpoints" / "last.ckpt").is_file()
    resumed = fit(tmp_path / "cut", 2, "--ckpt_path", "last")
    assert resumed.trainer.current_epoch == 2
    for a, b in zip(full.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    assert full.model.val_history == resumed.model.val_history

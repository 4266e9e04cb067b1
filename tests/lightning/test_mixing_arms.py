"""Remix and MAMix as strategies: derived from their loss entries (opt-in), mixing every
training batch before the forward pass with probability targets, keyed by (epoch, batch)."""

from __future__ import annotations

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from imbalance_torch.lightning import ImbalanceDataModule, TabularClassifier
from imbalance_torch.lightning.compare.arms import list_strategies
from imbalance_torch.lightning.strategies import CONFIG_DIR


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    y = (rng.random(600) < 0.1).astype(np.int64)
    return rng.standard_normal((600, 4)) + y[:, None], y


def test_mixing_strategies_are_derived_and_opt_in():
    strategies = list_strategies(CONFIG_DIR)
    for name in ("remix", "mamix"):
        assert (strategies[name].resampling, strategies[name].loss) == ("none", name)
        assert strategies[name].default_run() == "opt-in"


@pytest.mark.parametrize("loss", ["remix", "mamix"])
def test_training_batches_are_mixed_with_probability_targets(loss, small):
    pl.seed_everything(3)
    dm = ImbalanceDataModule.from_arrays(*small, batch_size=64)
    model = TabularClassifier(**dm.model_arguments(), loss=loss)
    seen = []
    original = model.criterion.forward

    def record(logits, target):
        seen.append(target)
        return original(logits, target)

    model.criterion.forward = record
    trainer = pl.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu")
    trainer.fit(model, dm)
    assert seen and all(t.dim() == 2 and t.shape[1] == 2 for t in seen)
    torch.testing.assert_close(seen[0].sum(1), torch.ones(len(seen[0]), dtype=seen[0].dtype))
    assert bool(((seen[0] > 0) & (seen[0] < 1)).any())  # soft: some rows carry two classes
    x = torch.randn(8, 4)
    y = torch.tensor([0, 1] * 4)
    a = model.criterion.mix(x, y, epoch=2, batch=5)
    b = model.criterion.mix(x, y, epoch=2, batch=5)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_mixing_options_are_checked_by_the_transform(small):
    dm = ImbalanceDataModule.from_arrays(*small)
    with pytest.raises(ValueError, match=r"loss_options: 'power' is not an argument of Remix \(loss='remix'\); known: alpha, kappa, tau"):
        TabularClassifier(**dm.model_arguments(), loss="remix", loss_options={"power": 1.0})
    with pytest.raises(ValueError, match="kappa"):
        TabularClassifier(**dm.model_arguments(), loss="remix", loss_options={"kappa": 0.5})

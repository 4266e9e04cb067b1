"""The ranking and margin losses as strategies (issue 23, the part without row ids): pauc
(top-k partial AUC), auc_margin (AUC-M with its dual variable maximised and projected) and
ldam_drw (DRW at a share of the step budget); each trains through TabularClassifier."""

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
    rng = np.random.default_rng(1)
    y = (rng.random(800) < 0.1).astype(np.int64)
    return rng.standard_normal((800, 4)) + y[:, None], y


def _fit(model, dm, steps=30):
    trainer = pl.Trainer(max_steps=steps, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu", num_sanity_val_steps=0)
    trainer.fit(model, dm)
    trainer.test(model, dm, verbose=False)
    return trainer


def test_the_arms_are_derived_and_opt_in():
    strategies = list_strategies(CONFIG_DIR)
    for name in ("pauc", "auc_margin", "ldam_drw"):
        assert (strategies[name].resampling, strategies[name].loss) == ("none", name)
        assert strategies[name].default_run() == "opt-in"


@pytest.mark.parametrize("loss", ["pauc", "auc_margin", "ldam_drw"])
def test_each_trains_and_is_evaluated(loss, small):
    pl.seed_everything(0)
    dm = ImbalanceDataModule.from_arrays(*small, batch_size=64)
    model = TabularClassifier(**dm.model_arguments(), loss=loss)
    _fit(model, dm)
    assert 0.0 <= model.test_results["auprc"] <= 1.0


def test_auc_margin_maximises_and_projects_its_dual_variable(small):
    pl.seed_everything(0)
    dm = ImbalanceDataModule.from_arrays(*small, batch_size=64)
    model = TabularClassifier(**dm.model_arguments(), loss="auc_margin")
    optimizer = model.configure_optimizers()
    dual = optimizer.param_groups[1]
    assert dual["maximize"] is True and dual["params"][0] is model.criterion.alpha
    assert all(p is not model.criterion.alpha for p in optimizer.param_groups[0]["params"])
    _fit(model, dm)
    assert float(model.criterion.alpha) >= 0.0


def test_ldam_drw_switches_at_its_share_of_the_budget(small):
    dm = ImbalanceDataModule.from_arrays(*small, batch_size=64)
    model = TabularClassifier(**dm.model_arguments(), loss="ldam_drw", loss_options={"drw_share": 0.5})
    _fit(model, dm, steps=40)
    assert model.criterion.drw_start_step == 20 and int(model.criterion.step) == 40
    with pytest.raises(ValueError, match=r"loss_options drw_share must be a number in \[0, 1\]"):
        TabularClassifier(**dm.model_arguments(), loss="ldam_drw", loss_options={"drw_share": 2})
    with pytest.raises(ValueError, match=r"loss_options: 'form' .* sets 'form' itself|'form' itself"):
        TabularClassifier(**dm.model_arguments(), loss="pauc", loss_options={"form": "dro"})

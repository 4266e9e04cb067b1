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
    assert dual["maximize"] is True and dual["params"][0] is model.criterion.loss.alpha
    assert all(p is not model.criterion.loss.alpha for p in optimizer.param_groups[0]["params"])
    _fit(model, dm)
    assert float(model.criterion.loss.alpha) >= 0.0


def test_ldam_drw_switches_at_its_share_of_the_budget(small):
    dm = ImbalanceDataModule.from_arrays(*small, batch_size=64)
    model = TabularClassifier(**dm.model_arguments(), loss="ldam_drw", loss_options={"drw_share": 0.5})
    _fit(model, dm, steps=40)
    assert model.criterion.drw_start_step == 20 and int(model.criterion.step) == 40
    with pytest.raises(ValueError, match=r"loss_options drw_share must be a number in \[0, 1\]"):
        TabularClassifier(**dm.model_arguments(), loss="ldam_drw", loss_options={"drw_share": 2})
    with pytest.raises(ValueError, match=r"loss_options: 'form' .* sets 'form' itself|'form' itself"):
        TabularClassifier(**dm.model_arguments(), loss="pauc", loss_options={"form": "dro"})


@pytest.mark.parametrize("resampling", ["none", "smote"])
def test_ap_gets_the_base_row_ids_of_every_batch(resampling, small):
    pl.seed_everything(0)
    dm = ImbalanceDataModule.from_arrays(*small, resampling=resampling, batch_size=64)
    model = TabularClassifier(**dm.model_arguments(), loss="ap")
    seen = []
    original = model.criterion.loss.forward

    def record(logits, target, index):
        seen.append((target.clone(), index.clone()))
        return original(logits, target, index)

    model.criterion.loss.forward = record
    _fit(model, dm, steps=12)
    train_rows = len(dm.split_tensors("train")[1])
    assert model.criterion.loss.num_rows == train_rows
    labels = dm.split_tensors("train")[1]
    for target, index in seen:
        assert int(index.min()) >= 0 and int(index.max()) < train_rows
        assert torch.equal(labels[index], target)  # a synthetic row's id is a real row of its class
    if resampling == "smote":
        assert sum(len(t) for t, _ in seen) > 0 and model.criterion.loss.u_all.abs().sum() > 0


def test_a_loss_with_row_state_needs_the_data_module_that_serves_ids(small):
    dm = ImbalanceDataModule.from_arrays(*small, batch_size=64)
    model = TabularClassifier(**dm.model_arguments(), loss="ap")
    x, y = (torch.as_tensor(a) for a in small)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x.float(), y), batch_size=64)
    trainer = pl.Trainer(max_steps=2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu")
    with pytest.raises(ValueError, match=r"loss='ap' keeps per-row state and needs each training batch's row ids"):
        trainer.fit(model, loader)


def test_the_warm_up_trains_cross_entropy_first_and_one_class_batches_too():
    from imbalance_torch.lightning.strategies.schedules import WarmupLoss
    from imbalance_torch.losses import PartialAUCLoss

    loss = WarmupLoss(PartialAUCLoss(form="topk", max_fpr=0.5), warmup_share=0.5)
    loss.set_budget(4)
    logits, target = torch.randn(6, 2), torch.tensor([0, 1, 0, 0, 1, 0])
    ce = torch.nn.functional.cross_entropy(logits, target)
    assert torch.equal(loss(logits, target), ce) and torch.equal(loss(logits, target), ce)  # steps 0, 1
    ranked = loss(logits, target)  # step 2: the ranking loss
    assert not torch.equal(ranked, ce) and int(loss.step) == 3
    only = torch.zeros(6, dtype=torch.long)
    assert torch.equal(loss(logits, only), torch.nn.functional.cross_entropy(logits, only)) and loss.one_class_batches == 1
    with pytest.raises(ValueError, match=r"loss_options warmup_share must be a number in \[0, 1\)"):
        WarmupLoss(PartialAUCLoss(form="topk", max_fpr=0.5), warmup_share=1.0)

"""Checkpoints of the shipped configs: `last.ckpt` is the latest state after every epoch, also
when the monitored metric stops improving (issue 9 case g); the best checkpoint breaks ties
in validation AUPRC by lower validation loss, then the later step (issue 10 item 2)."""

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
    kept = trainer.checkpoint_callback.best_model_epoch
    assert sorted(p.name for p in folder.glob("*.ckpt")) == [f"best-epoch={kept}.ckpt", "last.ckpt"]
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


@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
def test_saturated_auprc_keeps_a_later_model_by_the_stated_rule(tmp_path):
    trainer, _ = fit(tmp_path, 5, "trainer.yaml")
    history = trainer.lightning_module.val_history
    assert history[0]["auprc"] == 1.0  # saturated at the first evaluation
    best = trainer.checkpoint_callback
    # Rule: highest AUPRC, then lowest validation loss, then the later step.
    expected = max(range(len(history)), key=lambda i: (history[i]["auprc"], -history[i]["loss"], i))
    assert expected > 0 and best.best_model_epoch == expected
    assert best.best_model_step == int(history[expected]["step"])
    assert best.best_model_tie_value == pytest.approx(history[expected]["loss"])
    assert best.best_model_path.endswith(f"best-epoch={expected}.ckpt")
    kept = torch.load(best.best_model_path, weights_only=False)
    assert kept["epoch"] == expected


def test_ties_at_a_step_save_without_a_new_evaluation_do_not_replace_the_kept_model():
    from imbalance_torch.lightning import BestCheckpoint

    best = BestCheckpoint()
    best.best_k_models = {"a.ckpt": torch.tensor(1.0)}
    best.kth_best_model_path = "a.ckpt"
    best.best_model_tie_value = 0.2
    one = torch.tensor(1.0)
    assert best._wins(one, 0.1, fresh=True) and best._wins(one, 0.2, fresh=True)
    assert not best._wins(one, 0.3, fresh=True)
    assert not best._wins(one, 0.1, fresh=False)  # same metrics, no new evaluation
    assert best._wins(torch.tensor(1.5), 9.0, fresh=False)  # strictly better always wins
    assert not best._wins(torch.tensor(0.5), 0.0, fresh=True)
    assert not best._wins(torch.tensor(float("nan")), 0.0, fresh=True)


def test_kept_model_note():
    from imbalance_torch.lightning.compare.arms import kept_model_note

    history = [{"step": 10.0}, {"step": 20.0}, {"step": 30.0}]
    assert kept_model_note(10, history, 30) == "first evaluation"
    assert kept_model_note(30, history, 30) == "end of budget"
    assert kept_model_note(20, history, 30) == ""
    assert kept_model_note(None, history, 30) == "" and kept_model_note(10, [], 30) == ""


def test_floored_early_stopping_stops_only_on_evaluations_after_the_floor():
    """Patience run out before min_steps must not cut the run at the floor when validation
    improved meanwhile (Lightning's min_steps alone latches the stop)."""
    from types import SimpleNamespace

    import torch

    from imbalance_torch.lightning import FlooredEarlyStopping

    def trainer(step, value):
        return SimpleNamespace(
            min_steps=100, global_step=step, fast_dev_run=False, should_stop=False, current_epoch=0,
            callback_metrics={"val_auprc": torch.tensor(value)},
            strategy=SimpleNamespace(reduce_boolean_decision=lambda decision, all=False: decision),
        )

    stopping = FlooredEarlyStopping(monitor="val_auprc", mode="max", patience=2)
    for step, value in [(10, 0.5), (20, 0.4), (30, 0.4), (40, 0.4)]:  # patience out before 100
        t = trainer(step, value)
        stopping._run_early_stopping_check(t)
        assert not t.should_stop
    t = trainer(90, 0.6)  # improves before the floor: the count restarts
    stopping._run_early_stopping_check(t)
    t = trainer(100, 0.55)
    stopping._run_early_stopping_check(t)
    assert not t.should_stop and stopping.wait_count == 1
    t = trainer(110, 0.55)
    stopping._run_early_stopping_check(t)
    assert t.should_stop  # two evaluations without improvement, after the floor

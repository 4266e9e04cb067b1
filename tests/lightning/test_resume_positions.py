"""One source of truth for the position inside an epoch (NOTE [one position]): a checkpoint
saved at any step, by any means, resumes to exactly the batches of the uninterrupted run, or
is refused with a message.

Every fit here logs the batches it trains on (epoch, batch index and a hash of the rows); a
resumed fit must serve, under the same epoch and batch numbers, the uninterrupted run's
batches from the checkpoint's step on, and end with the same weights (BatchSeeder)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pytest
import torch

from imbalance_torch.lightning import (
    BatchSeeder,
    ImbalanceDataModule,
    LastCheckpoint,
    TabularClassifier,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:The dirpath has changed", "ignore:.*exists and is not empty", "ignore:.*does not have many workers",
)

TOTAL_STEPS = 70  # 26 batches per epoch: 2 epochs and 18 batches


class BatchLog(pl.Callback):
    def __init__(self) -> None:
        self.served: list[tuple[int, int, str]] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        rows = batch[0].detach().contiguous().numpy().tobytes()
        self.served.append((trainer.current_epoch, batch_idx, hashlib.sha1(rows).hexdigest()[:12]))


def fit(root: Path, *, max_steps: int = TOTAL_STEPS, max_epochs: int = -1, ckpt_path=None,
        callbacks=(), save_to: Path | None = None, resampling: str = "smote"):
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.15).astype(np.int64)
    x = (rng.standard_normal((400, 4)) + 1.5 * y[:, None]).astype(np.float32)
    pl.seed_everything(0, verbose=False)
    data = ImbalanceDataModule.from_arrays(x, y, batch_size=16, resampling=resampling)
    model = TabularClassifier(**data.model_arguments(), hidden_width=8, dropout=0.2)
    log = BatchLog()
    trainer = pl.Trainer(
        max_steps=max_steps, max_epochs=max_epochs, accelerator="cpu", logger=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
        default_root_dir=root, enable_checkpointing=bool(callbacks), limit_val_batches=0,
        callbacks=[BatchSeeder(), log, *callbacks],
    )
    trainer.fit(model, datamodule=data, ckpt_path=ckpt_path)
    if save_to is not None:
        trainer.save_checkpoint(save_to)
    return log.served, model, trainer


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    served, model, trainer = fit(tmp_path_factory.mktemp("full"))
    assert trainer.num_training_batches == 26 and len(served) == TOTAL_STEPS
    return served, model


def assert_resumes_exactly(uninterrupted, checkpoint: Path, step: int, root: Path, **resume) -> None:
    served, model = uninterrupted
    assert torch.load(checkpoint, weights_only=True)["global_step"] == step
    resumed, resumed_model, trainer = fit(root, ckpt_path=checkpoint, **resume)
    assert resumed == served[step:], f"first resumed {resumed[:1]}, expected {served[step:step + 1]}"
    assert trainer.global_step == TOTAL_STEPS
    for a, b in zip(model.state_dict().values(), resumed_model.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("step", [27, 33, 52, 53])
def test_save_checkpoint_after_a_max_steps_stop(uninterrupted, tmp_path, step):
    """The issue's case (27: one batch into the second epoch) and stops at or next to an epoch
    end (52 = 2 x 26). Before NOTE [one position], 27 resumed at 'epoch 2, batch 1' and
    never served the rest of epoch 1."""
    checkpoint = tmp_path / "stopped.ckpt"
    part, _, _ = fit(tmp_path / "part", max_steps=step, save_to=checkpoint)
    assert part == uninterrupted[0][:step]
    assert_resumes_exactly(uninterrupted, checkpoint, step, tmp_path / "resumed")


def test_a_max_steps_stop_resumed_by_epochs(uninterrupted, tmp_path):
    """Resumed without max_steps (an epoch budget, where Lightning decides differently
    whether it is restarting): the same batches, up to the end of the epochs asked for."""
    checkpoint = tmp_path / "stopped.ckpt"
    fit(tmp_path / "part", max_steps=27, save_to=checkpoint)
    resumed, _, _ = fit(tmp_path / "resumed", max_steps=-1, max_epochs=3, ckpt_path=checkpoint)
    full, _, _ = fit(tmp_path / "full", max_steps=-1, max_epochs=3)
    assert resumed == full[27:]


@pytest.mark.parametrize("step", [26, 27, 39])
def test_checkpoint_callback_every_n_steps(uninterrupted, tmp_path, step):
    callback = pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ckpt", filename="{step}",
                                            every_n_train_steps=step, save_top_k=-1)
    fit(tmp_path / "part", max_steps=step + 5, callbacks=[callback])
    assert_resumes_exactly(uninterrupted, tmp_path / "ckpt" / f"step={step}.ckpt", step, tmp_path / "resumed")


@pytest.mark.parametrize("make", [
    lambda folder: pl.callbacks.ModelCheckpoint(dirpath=folder, filename="last", save_on_train_epoch_end=True),
    lambda folder: LastCheckpoint(dirpath=folder),
], ids=["ModelCheckpoint", "LastCheckpoint"])
def test_epoch_end_callback_at_a_max_steps_stop(uninterrupted, tmp_path, make):
    """A callback that saves at epoch end also saves when max_steps ends an epoch early."""
    fit(tmp_path / "part", max_steps=27, callbacks=[make(tmp_path / "ckpt")])
    assert_resumes_exactly(uninterrupted, tmp_path / "ckpt" / "last.ckpt", 27, tmp_path / "resumed")


def test_save_checkpoint_after_max_epochs(uninterrupted, tmp_path):
    checkpoint = tmp_path / "epochs.ckpt"
    fit(tmp_path / "part", max_steps=-1, max_epochs=2, save_to=checkpoint)
    assert_resumes_exactly(uninterrupted, checkpoint, 52, tmp_path / "resumed")


def test_a_position_lightning_cannot_be_brought_to_is_refused(tmp_path):
    checkpoint = tmp_path / "stopped.ckpt"
    fit(tmp_path / "part", max_steps=27, save_to=checkpoint)
    state = torch.load(checkpoint, weights_only=True)
    state["ImbalanceDataModule"]["train_loader"]["batches_done"] = 5  # the loader says 5 batches
    torch.save(state, checkpoint)
    with pytest.raises(ValueError, match=r"cannot resume this fit exactly: the checkpoint's training loader is at epoch 1 after 5 batches, but Lightning's loop progress in it is at epoch 2 after 1 batches; resuming would serve other batches"):
        fit(tmp_path / "resumed", ckpt_path=checkpoint)

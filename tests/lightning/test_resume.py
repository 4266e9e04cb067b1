"""Kill a training run with SIGKILL mid-epoch, resume it, and get the uninterrupted run back.

The runs are ``logged_fit.py`` subprocesses: every served batch (dataset indices, provenance
and a hash of the rows) is logged per epoch, checkpoints are written at every epoch end and
every 3 optimizer steps. The kill point is drawn at random on every test run (the guarantee
holds for any point; the drawn point is in the failure message, and
``RESUME_KILL_AT=EPOCH:BATCH`` replays one).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from logged_fit import read_batches, run

from imbalance_torch.lightning import (
    BatchSeeder,
    ImbalanceDataModule,
    ResumableLoader,
    ShuffledBatchSampler,
    TabularClassifier,
)

SCRIPT = Path(__file__).resolve().parent / "logged_fit.py"
EPOCHS, BATCHES_PER_EPOCH = 4, 11  # 600 rows, 360 train, SMOTE 1:1 -> 656 rows, batch 64


def fit(out: Path, root: Path, *extra: str) -> None:
    run(out, root, "--epochs", str(EPOCHS), *extra)


def fit_and_kill(out: Path, root: Path, kill_at: tuple[int, int]) -> None:
    """Start a fit and SIGKILL it when it reaches ``kill_at`` (it waits there)."""
    out.mkdir(parents=True)
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--out", str(out), "--root", str(root), "--epochs", str(EPOCHS),
         "--kill-at", f"{kill_at[0]}:{kill_at[1]}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    marker = out / "killme"
    deadline = time.monotonic() + 240
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before the kill point: {process.stderr.read()[-3000:]}")
        assert time.monotonic() < deadline, "the run never reached the kill point"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    process.stderr.close()


def last_checkpoint(folder: Path) -> tuple[Path, int]:
    """The checkpoint with the highest number in its name, and that number."""
    found = [(int(re.search(r"=(\d+)", p.name).group(1)), p) for p in folder.glob("*.ckpt")]
    number, path = max(found)
    return path, number


def draw_kill_point() -> tuple[int, int]:
    if os.environ.get("RESUME_KILL_AT"):
        epoch, batch = os.environ["RESUME_KILL_AT"].split(":")
        return int(epoch), int(batch)
    rng = random.Random()
    return rng.randrange(1, EPOCHS), rng.randrange(BATCHES_PER_EPOCH)


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_gives_the_uninterrupted_run(tmp_path):
    kill_at = draw_kill_point()
    where = f"(killed at epoch {kill_at[0]}, batch {kill_at[1]}; replay with RESUME_KILL_AT={kill_at[0]}:{kill_at[1]})"
    fit(tmp_path / "reference", tmp_path / "reference_ckpt")
    reference = read_batches(tmp_path / "reference")
    assert sorted(reference) == [(e, b) for e in range(EPOCHS) for b in range(BATCHES_PER_EPOCH)]
    final = json.loads((tmp_path / "reference" / "final.json").read_text())

    fit_and_kill(tmp_path / "killed", tmp_path / "ckpt", kill_at)
    killed = read_batches(tmp_path / "killed")
    assert set(killed) == {k for k in reference if k < kill_at}, where
    assert all(killed[k] == reference[k] for k in killed), where

    # 1. From the last end-of-epoch checkpoint: the killed epoch is replayed whole.
    epoch_checkpoint, saved_epoch = last_checkpoint(tmp_path / "ckpt" / "epoch")
    assert saved_epoch == kill_at[0] - 1, where
    # 2. From the last mid-epoch checkpoint (every 3 steps): the rest of its epoch.
    step_checkpoint, saved_step = last_checkpoint(tmp_path / "ckpt" / "step")
    assert saved_step == (kill_at[0] * BATCHES_PER_EPOCH + kill_at[1]) // 3 * 3, where
    # 3. From the shipped configs' last.ckpt: the last completed epoch, whatever the best was.
    last = tmp_path / "ckpt" / "shipped" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=False)["epoch"] == kill_at[0] - 1, where
    for name, checkpoint, first in (
        ("from_epoch", epoch_checkpoint, (kill_at[0], 0)),
        ("from_step", step_checkpoint, divmod(saved_step, BATCHES_PER_EPOCH)),
        ("from_last", last, (kill_at[0], 0)),
    ):
        out = tmp_path / name
        fit(out, tmp_path / f"{name}_ckpt", "--ckpt", str(checkpoint))
        resumed = read_batches(out)
        assert min(resumed) == first, f"{name}: the resumed run starts at {min(resumed)} {where}"
        expected = sorted(k for k in reference if k >= first)
        assert sorted(resumed) == expected, f"{name} {where}"
        for key in expected:
            assert resumed[key] == reference[key], f"{name}: batch {key} differs {where}"
        result = json.loads((out / "final.json").read_text())
        assert result["weights"] == final["weights"], f"{name} {where}"
        assert result["test"] == final["test"], f"{name} {where}"
        # Validations after the checkpoint are the uninterrupted run's; those before it come
        # back from the checkpoint (Lightning does not repeat a validation that a checkpoint
        # saved after an epoch's last batch had not reached yet).
        after = [h for h in result["val_history"] if h["epoch"] >= first[0]]
        assert after == [h for h in final["val_history"] if h["epoch"] >= first[0]], f"{name} {where}"
        before = [h for h in result["val_history"] if h["epoch"] < first[0]]
        assert all(h in final["val_history"] for h in before) and len(before) >= first[0] - 1, f"{name} {where}"


def blobs(rows, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.15).astype(np.int64)
    return (rng.standard_normal((rows, 4)) + 1.5 * y[:, None]).astype(np.float32), y


def _fit_in_process(tmp_path, epochs, ckpt_path=None, model_kwargs=None, **data_kwargs):
    import lightning.pytorch as pl

    x, y = blobs(400)
    pl.seed_everything(0, verbose=False)
    data = ImbalanceDataModule.from_arrays(x, y, batch_size=64, **data_kwargs)
    model = TabularClassifier(**data.model_arguments(), **(model_kwargs or {}))
    trainer = pl.Trainer(
        max_epochs=epochs, accelerator="cpu", logger=False, enable_progress_bar=False,
        enable_model_summary=False, num_sanity_val_steps=0, default_root_dir=tmp_path,
        callbacks=[BatchSeeder(), pl.callbacks.ModelCheckpoint(dirpath=tmp_path, filename="{epoch}", save_top_k=-1)],
    )
    trainer.fit(model, datamodule=data, ckpt_path=ckpt_path)
    return model, data


@pytest.mark.filterwarnings("ignore:The dirpath has changed")
@pytest.mark.parametrize("resampling", ["none", "random_over", "random_under"])
def test_resume_at_an_epoch_boundary_for_every_sampler_kind(tmp_path, resampling):
    """In-process: the first resumed epoch is not epoch 0 again (Lightning builds the first
    iterator before it calls set_epoch), for the plain and duplicate-row samplers too."""
    full, _ = _fit_in_process(tmp_path / "full", 3, resampling=resampling)
    resumed, data = _fit_in_process(tmp_path / "resumed", 3, ckpt_path=tmp_path / "full" / "epoch=0.ckpt", resampling=resampling)
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    assert full.val_history == resumed.val_history
    assert data._train_loader.sampler.epoch == 2


@pytest.mark.filterwarnings("ignore:The dirpath has changed")
def test_resume_with_other_data_settings_is_refused(tmp_path):
    _fit_in_process(tmp_path / "full", 1, resampling="smote")
    with pytest.raises(ValueError, match=r"cannot resume this fit: the checkpoint was trained with sampler_seed=0 \(now 1\)"):
        _fit_in_process(tmp_path / "other", 2, ckpt_path=tmp_path / "full" / "epoch=0.ckpt", resampling="smote", sampler_seed=1)
    with pytest.raises(ValueError, match=r"k_neighbors=5 \(now 3\).*neighbor_index="):
        _fit_in_process(tmp_path / "other", 2, ckpt_path=tmp_path / "full" / "epoch=0.ckpt", resampling="smote", resampling_options={"k_neighbors": 3})
    with pytest.raises(ValueError, match=r"train_fingerprint=.*Resume with the data file, split"):
        _fit_in_process(tmp_path / "other", 2, ckpt_path=tmp_path / "full" / "epoch=0.ckpt", resampling="smote", split_seed=3)


@pytest.mark.filterwarnings("ignore:The dirpath has changed")
def test_resume_with_other_loss_settings_is_refused(tmp_path):
    focal = {"loss": "focal", "loss_options": {"gamma": 2.0}}
    _fit_in_process(tmp_path / "full", 1, model_kwargs=focal)
    checkpoint = tmp_path / "full" / "epoch=0.ckpt"
    with pytest.raises(ValueError, match=r"cannot resume this fit: the checkpoint was trained with gamma=2.0 \(now 1.0\)"):
        _fit_in_process(tmp_path / "other", 2, ckpt_path=checkpoint, model_kwargs={**focal, "loss_options": {"gamma": 1.0}})
    with pytest.raises(ValueError, match=r"loss='focal' \(now 'cross_entropy'\)"):
        _fit_in_process(tmp_path / "other", 2, ckpt_path=checkpoint)


@pytest.mark.filterwarnings("ignore:The dirpath has changed")
def test_resume_from_an_old_format_checkpoint_is_refused(tmp_path):
    _fit_in_process(tmp_path / "full", 1, resampling="smote")
    checkpoint = torch.load(tmp_path / "full" / "epoch=0.ckpt", weights_only=False)
    checkpoint["ImbalanceDataModule"]["version"] = 1
    torch.save(checkpoint, tmp_path / "old.ckpt")
    with pytest.raises(ValueError, match=r"cannot resume this fit: the checkpoint's data state has version 1, written by an earlier imbalance-torch; this version resumes version 2 only"):
        _fit_in_process(tmp_path / "other", 2, ckpt_path=tmp_path / "old.ckpt", resampling="smote")


@pytest.mark.filterwarnings("ignore:The dirpath has changed")
def test_test_from_a_checkpoint_may_use_other_data(tmp_path):
    import lightning.pytorch as pl

    model, _ = _fit_in_process(tmp_path / "full", 1, resampling="smote")
    x, y = blobs(300, seed=5)
    other = ImbalanceDataModule.from_arrays(x, y, resampling="smote")
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, default_root_dir=tmp_path)
    trainer.test(model, datamodule=other, ckpt_path=tmp_path / "full" / "epoch=0.ckpt", verbose=False)
    assert 0.0 <= model.test_results["auprc"] <= 1.0


def _loader(batch_size=4, rows=20, num_replicas=1):
    dataset = torch.utils.data.TensorDataset(torch.arange(rows).float()[:, None], torch.zeros(rows))
    sampler = ShuffledBatchSampler(dataset, batch_size=batch_size, seed=0, num_replicas=num_replicas)
    return ResumableLoader(dataset, sampler=sampler, batch_size=None)


def test_loader_state_skips_the_trained_batches_once():
    loader = _loader()
    loader.sampler.set_epoch(3)
    whole = [b[0].flatten().tolist() for b in loader]
    saved = {**loader.state_dict(), "batches_done": 2}
    assert saved["epoch"] == 3 and not saved["epoch_complete"]
    restored = _loader()
    restored.load_state_dict(saved)
    assert [b[0].flatten().tolist() for b in restored] == whole[2:]
    assert [b[0].flatten().tolist() for b in restored] == whole  # the skip is taken once
    assert len(restored) == len(whole)


def test_loader_skip_with_persistent_workers():
    dataset = torch.utils.data.TensorDataset(torch.arange(20).float()[:, None], torch.zeros(20))
    sampler = ShuffledBatchSampler(dataset, batch_size=4, seed=0)
    loader = ResumableLoader(dataset, sampler=sampler, batch_size=None, num_workers=1, persistent_workers=True)
    whole = [b[0].flatten().tolist() for b in loader]
    loader.load_state_dict({**loader.state_dict(), "batches_done": 3})
    assert [b[0].flatten().tolist() for b in loader] == whole[3:]
    assert [b[0].flatten().tolist() for b in loader] == whole  # the reused iterator skips no more


def test_loader_state_after_a_complete_epoch_moves_to_the_next():
    loader = _loader()
    loader.sampler.set_epoch(3)
    restored = _loader()
    restored.load_state_dict({**loader.state_dict(), "batches_done": 5, "epoch_complete": True})
    assert restored.sampler.epoch == 4


def test_mid_epoch_resume_with_another_world_size_or_batch_size_is_refused():
    saved = {**_loader().state_dict(), "batches_done": 2}
    with pytest.raises(ValueError, match=r"saved after 2 batches of epoch 0 with batches_per_epoch=5 \(now 3\), batch_size=4 \(now 8\); resuming in the middle of an epoch needs the same world size"):
        _loader(batch_size=8).load_state_dict(saved)
    with pytest.raises(ValueError, match=r"num_replicas=1 \(now 2\)"):
        _loader(num_replicas=2).load_state_dict(saved)
    _loader(num_replicas=2).load_state_dict({**saved, "batches_done": 0})  # epoch start: fine
    with pytest.raises(ValueError, match="cannot restore a ShuffledBatchSampler state with num_rows=20 into one with num_rows=21"):
        _loader(rows=21).load_state_dict(saved)
    with pytest.raises(ValueError, match="not a ResumableLoader state of version 1"):
        _loader().load_state_dict({"version": 7})


def test_batch_seeder_depends_only_on_the_position(monkeypatch):
    class Trainer:
        global_rank, current_epoch = 0, 2

    seeder = BatchSeeder(seed=5)
    seeder.on_train_batch_start(Trainer(), None, None, 7)
    first = torch.rand(3)
    torch.rand(100)  # history does not matter
    seeder.on_train_batch_start(Trainer(), None, None, 7)
    assert torch.equal(torch.rand(3), first)
    seeder.on_train_batch_start(Trainer(), None, None, 8)
    assert not torch.equal(torch.rand(3), first)
    monkeypatch.setenv("PL_GLOBAL_SEED", "5")
    BatchSeeder().on_train_batch_start(Trainer(), None, None, 7)
    assert torch.equal(torch.rand(3), first)
    with pytest.raises(ValueError, match="seed must be a non-negative int or None, got -1"):
        BatchSeeder(seed=-1)

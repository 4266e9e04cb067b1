"""A small, deterministic Lightning fit that logs every training batch it serves.

Run as a script by the resume and DDP tests (Lightning's DDP launcher re-runs it per rank).
For every training batch, each rank appends one JSON line to ``OUT/rows.rank{r}.jsonl``:
the epoch, the batch index, the exact dataset indices served (the sampler's index tensor,
which carries the epoch of synthetic rows), their provenance (base row, neighbour, gap,
label) and a hash of the feature rows the model received. Lines are flushed one by one, so
what was logged before a SIGKILL survives. ``OUT/state.rank{r}.json`` holds the rank's
``data_state()`` (neighbour index digest, targets) and ``OUT/final.json`` (rank 0) the final
weights' hash, validation history and test metrics. Besides its own epoch and step
checkpoints, the run keeps the checkpoints of ``configs/trainer.yaml`` (best and
``last.ckpt``) in ``ROOT/shipped/checkpoints``.

``--kill-at EPOCH:BATCH`` makes the run write ``OUT/killme`` and sleep at that batch, so the
test can SIGKILL it there.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import logging
import os
import subprocess
import sys
import time
import warnings
from collections import deque
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import torch
import yaml
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

from imbalance_torch import SMOTEDataset
from imbalance_torch.lightning import BatchSeeder, ImbalanceDataModule, TabularClassifier

ROWS, POSITIVE_FRACTION, FEATURES, BATCH_SIZE = 600, 0.1, 4, 64
CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def shipped_callbacks(config: str = "trainer.yaml") -> list[pl.Callback]:
    """The callbacks a shipped trainer config declares (early stopping left out), built as
    LightningCLI builds them."""
    callbacks = []
    for entry in yaml.safe_load((CONFIGS / config).read_text())["trainer"]["callbacks"]:
        module, _, name = entry["class_path"].rpartition(".")
        callback = getattr(importlib.import_module(module), name)(**entry.get("init_args", {}))
        if not isinstance(callback, EarlyStopping):
            callbacks.append(callback)
    return callbacks


def make_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random(ROWS) < POSITIVE_FRACTION).astype(np.int64)
    x = rng.standard_normal((ROWS, FEATURES)) + 1.5 * y[:, None]
    return x.astype(np.float32), y


def digest(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.detach().contiguous().cpu().numpy().tobytes()).hexdigest()[:16]


# Record the index tensor of every batch the DataLoader fetches (one gather per batch, in
# the main process: no workers), so the callback can log exactly what was served.
_original_fetch = SMOTEDataset.fetch
_fetched: deque = deque()


def _recording_fetch(self, index):
    _fetched.append(torch.as_tensor(index).clone())
    return _original_fetch(self, index)


def run(out: Path, root: Path, *args: str, timeout: float = 240) -> None:
    """Run this script to the end in a subprocess (for the tests)."""
    done = subprocess.run(
        [sys.executable, __file__, "--out", str(out), "--root", str(root), *args],
        capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def read_batches(out: Path, rank: int = 0) -> dict[tuple[int, int], dict]:
    """``(epoch, batch) -> record`` of one rank's log."""
    lines = (out / f"rows.rank{rank}.jsonl").read_text().splitlines()
    return {(r["epoch"], r["batch"]): r for r in map(json.loads, lines)}


class BatchLog(pl.Callback):
    def __init__(self, out: Path, kill_at: tuple[int, int] | None) -> None:
        self.out = out
        self.kill_at = kill_at
        self.handle = None

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        epoch = trainer.current_epoch
        if self.kill_at == (epoch, batch_idx):
            (self.out / "killme").write_text(str(os.getpid()))
            time.sleep(600)  # the test sends SIGKILL now
        index = _fetched.popleft()
        dataset = trainer.datamodule.train_dataset()
        served, _ = _original_fetch(dataset, index)
        assert torch.equal(served, batch[0]), "the logged index does not produce the batch"
        prov = dataset.provenance(index)
        record = {
            "epoch": epoch,
            "batch": batch_idx,
            "index": index.tolist(),
            "rows": digest(batch[0]),
            "base": prov["base_index"].tolist(),
            "neighbor": prov["neighbor_index"].tolist(),
            "gap": prov["gap"].tolist(),
            "label": prov["label"].tolist(),
            "synthetic": prov["is_synthetic"].tolist(),
        }
        if self.handle is None:
            self.handle = open(self.out / f"rows.rank{trainer.global_rank}.jsonl", "a", encoding="utf-8")
        self.handle.write(json.dumps(record) + "\n")
        self.handle.flush()

    def on_train_start(self, trainer, pl_module) -> None:
        data = trainer.datamodule
        sampler = trainer.train_dataloader.sampler
        state = {
            "data_state": data.data_state(),
            "world_size": trainer.world_size,
            "sampler": type(sampler).__name__,
            "num_replicas": sampler.num_replicas,
            "epoch_counts": sampler.epoch_counts(),
        }
        path = self.out / f"state.rank{trainer.global_rank}.json"
        path.write_text(json.dumps(state, sort_keys=True))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--root", required=True, help="checkpoint folder")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--use-distributed-sampler", choices=("default", "true", "false"), default="default")
    parser.add_argument("--every-n-steps", type=int, default=3)
    parser.add_argument("--kill-at", default=None, help="EPOCH:BATCH")
    parser.add_argument("--ckpt", default=None)
    args = parser.parse_args(argv)
    SMOTEDataset.fetch = _recording_fetch

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    logging.getLogger("lightning.fabric").setLevel(logging.ERROR)
    out, root = Path(args.out), Path(args.root)
    out.mkdir(parents=True, exist_ok=True)
    kill_at = tuple(int(v) for v in args.kill_at.split(":")) if args.kill_at else None

    pl.seed_everything(0, verbose=False)
    x, y = make_data()
    data = ImbalanceDataModule.from_arrays(x, y, resampling="smote", batch_size=BATCH_SIZE)
    model = TabularClassifier(**data.model_arguments())
    trainer_args = {}
    if args.use_distributed_sampler != "default":
        trainer_args["use_distributed_sampler"] = args.use_distributed_sampler == "true"
    if args.devices > 1:
        trainer_args["strategy"] = "ddp"
    trainer = pl.Trainer(
        max_epochs=args.epochs,
        accelerator="cpu",
        devices=args.devices,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        deterministic=True,
        default_root_dir=root / "shipped",
        callbacks=[
            BatchLog(out, kill_at),
            BatchSeeder(),
            ModelCheckpoint(dirpath=root / "epoch", filename="{epoch}", save_top_k=-1),
            ModelCheckpoint(
                dirpath=root / "step", filename="{step}", save_top_k=-1,
                every_n_train_steps=args.every_n_steps,
            ),
            *shipped_callbacks(),
        ],
        **trainer_args,
    )
    trainer.fit(model, datamodule=data, ckpt_path=args.ckpt)
    weights = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        weights.update(name.encode() + tensor.detach().cpu().numpy().tobytes())
    trainer.test(model, datamodule=data, verbose=False)
    if trainer.is_global_zero:
        final = {"weights": weights.hexdigest(), "val_history": model.val_history, "test": model.test_results}
        (out / "final.json").write_text(json.dumps(final, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])

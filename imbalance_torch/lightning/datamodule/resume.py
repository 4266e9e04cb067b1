"""Resuming training exactly: a checkpointable training loader and per-batch seeding.

NOTE [exact resume]: a training run that is killed and resumed from a checkpoint must serve,
for every later batch, exactly the rows an uninterrupted run would have served. Two facts of
Lightning 2.x make that fail by default:

* On resume, Lightning creates the training iterator (and prefetches its first batch)
  *before* it calls ``set_epoch`` on the sampler, so a freshly built sampler (epoch 0) serves
  epoch 0's rows in the first resumed epoch; later epochs are right again.
* A checkpoint saved mid-epoch restarts that epoch's iterator from its first batch: the
  batches already trained on are served again and the last ones never.

:class:`ResumableLoader` fixes both. Lightning stores the ``state_dict`` of every training
loader that has one in the checkpoint and calls ``load_state_dict`` before it creates the
iterator. The state holds the sampler's epoch and how many batches of it were trained on; on
load the sampler is set to that epoch (or the next, if it was complete) and the first
iteration skips the batches already trained on, in index space (nothing is fetched). Since
every sampler here is a pure function of ``(seed, epoch)``, the remaining batches are exactly
the uninterrupted run's.

NOTE [one position]: the position inside an epoch is stored twice in a checkpoint: in
Lightning's loop progress and in the loader state above, and the two must agree. They did
not after a fit stopped by ``max_steps`` inside an epoch: Lightning's loop marks that epoch
completed when ``max_steps`` ends it (its ``on_advance_end`` counts the epoch done), while one
batch of it was trained on; a ``trainer.save_checkpoint`` after ``fit`` then resumed at
"epoch e + 1, batch 1" (Lightning) while the loader continued epoch e after its first batch:
the rest of epoch e was served under the next epoch's number, and the next epoch's batches
never. The loader's position is the one source of truth: :func:`align_loop_progress`, run
when the resumed train loader is built (after Lightning restored its loops, before it decides
where to restart), puts Lightning's progress into the form a checkpoint saved after that
same batch by a callback has (epoch e started, not completed; the batch processed, not yet
completed), so every way of saving resumes the same way. A position Lightning's progress
cannot be brought to is refused with a message instead of being resumed inexactly.

The model's own randomness (dropout) comes from torch's global generator, which Lightning
does not checkpoint. :class:`BatchSeeder` reseeds it before every training batch from
``(seed, rank, epoch, batch)``, so it too depends only on the position in training, and a
resumed run reaches the same weights and metrics bit for bit on the same hardware.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO
from torch.utils.data import DataLoader

from imbalance_torch._random import absorb
from imbalance_torch.lightning._files import atomic_write

__all__ = [
    "DATA_MODULE_STATE_VERSION",
    "AtomicCheckpointIO",
    "BatchSeeder",
    "ResumableLoader",
    "align_loop_progress",
    "check_resumed_state",
    "check_same_on_every_rank",
    "data_module_state",
    "resumed_loader_state",
    "training_data_state",
]

_STATE_VERSION = 1


class _SkipOnce:
    """The loader's index sampler, skipping the resumed epoch's trained batches once.

    DataLoader iterators keep the index sampler they were created with (persistent workers
    reuse it every epoch), so the skip is taken from the loader at each ``iter``, not stored.
    """

    def __init__(self, inner: Any, loader: ResumableLoader) -> None:
        self.inner = inner
        self.loader = loader

    def __iter__(self) -> Iterator[Any]:
        skip = self.loader._take_skip()
        self.loader._iterated_epoch = getattr(self.loader.sampler, "epoch", None)
        iterator = iter(self.inner)
        return itertools.islice(iterator, skip, None) if skip else iterator

    def __len__(self) -> int:
        # The full epoch: Lightning counts the batches already trained on itself.
        return len(self.inner)


class ResumableLoader(DataLoader):
    """A training ``DataLoader`` whose position travels in the Lightning checkpoint.

    Use it like a ``DataLoader`` over a sampler with ``set_epoch`` (``BalancedSampler``,
    ``ShuffledBatchSampler``). Under Lightning, ``state_dict`` records the sampler's epoch and
    the number of its batches trained on (read from ``progress``), and ``load_state_dict``
    restores them: the next iteration serves exactly the rest of that epoch, or the next
    epoch when it was complete. See NOTE [exact resume].

    Args:
        *args: ``DataLoader`` arguments.
        progress: returns ``(batches trained on in the current epoch, epoch complete)``;
            :class:`~imbalance_torch.lightning.ImbalanceDataModule` passes the trainer's
            counters. Without it the saved position is the start of the sampler's epoch.
        **kwargs: ``DataLoader`` keyword arguments.
    """

    def __init__(
        self, *args: Any, progress: Callable[[], tuple[int, bool]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.progress = progress
        self._pending: tuple[int, int] | None = None
        # The epoch of the iterator being consumed: Lightning moves the sampler to the next
        # epoch (set_epoch) before that epoch's iterator exists, and may save in between.
        self._iterated_epoch: int | None = None

    @property
    def _index_sampler(self) -> Any:  # type: ignore[override]
        return _SkipOnce(super()._index_sampler, self)

    def _take_skip(self) -> int:
        pending, self._pending = self._pending, None
        if pending is None:
            return 0
        epoch, skip = pending
        current = getattr(self.sampler, "epoch", None)
        if current != epoch:
            raise RuntimeError(
                f"the checkpoint resumes epoch {epoch} after {skip} batches, but the sampler "
                f"was moved to epoch {current} before the first batch; the loop and the loader "
                f"disagree about the epoch. Resume from an end-of-epoch checkpoint."
            )
        return skip

    def _settings(self) -> dict[str, Any]:
        sampler = self.sampler
        return {
            "batches_per_epoch": len(self),
            "num_replicas": int(getattr(sampler, "num_replicas", 1)),
            "batch_size": getattr(sampler, "batch_size", None) or self.batch_size,
        }

    def state_dict(self) -> dict[str, Any]:
        """The sampler's epoch and position, and the settings a mid-epoch resume needs."""
        sampler = self.sampler
        done, complete = self.progress() if self.progress is not None else (0, False)
        epoch = self._iterated_epoch if self._iterated_epoch is not None else getattr(sampler, "epoch", 0)
        state: dict[str, Any] = {
            "version": _STATE_VERSION,
            "epoch": int(epoch),
            "batches_done": int(done),
            "epoch_complete": bool(complete),
            **self._settings(),
        }
        if hasattr(sampler, "state_dict"):
            state["sampler"] = sampler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`: the next iteration continues where the saved run was.

        Raises:
            ValueError: a state of another version, a sampler with other settings (seed,
                class mix), or a mid-epoch position with another world size or batch size.
        """
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ValueError(
                f"the checkpoint's training-loader state is not a ResumableLoader state of "
                f"version {_STATE_VERSION}; resume with the imbalance-torch version that wrote it."
            )
        sampler = self.sampler
        if "sampler" in state and hasattr(sampler, "load_state_dict"):
            sampler.load_state_dict(state["sampler"])
        epoch, done = int(state["epoch"]), int(state["batches_done"])
        if state["epoch_complete"]:
            sampler.set_epoch(epoch + 1)
            self._pending = None
            return
        if done:
            saved = {k: state.get(k) for k in ("batches_per_epoch", "num_replicas", "batch_size")}
            mine = self._settings()
            if saved != mine:
                differ = ", ".join(f"{k}={saved[k]} (now {mine[k]})" for k in saved if saved[k] != mine[k])
                raise ValueError(
                    f"this checkpoint was saved after {done} batches of epoch {epoch} with "
                    f"{differ}; resuming in the middle of an epoch needs the same world size "
                    f"and batch size. Restore them, or resume from an end-of-epoch checkpoint."
                )
        sampler.set_epoch(epoch)
        self._pending = (epoch, done) if done else None


def align_loop_progress(trainer: Any, state: dict[str, Any] | None) -> None:
    """Make Lightning's restored loop progress agree with a resumed loader state (NOTE [one
    position]); call it when the resumed train loader is built.

    Args:
        trainer: the resuming ``Trainer`` (its loops already restored from the checkpoint).
        state: the loader state being restored (:meth:`ResumableLoader.state_dict`), or None.

    Raises:
        ValueError: Lightning's progress and the loader's position disagree in a way that
            cannot be reconciled; resuming would serve other batches than the saved run.
    """
    if state is None:
        return
    loop = trainer.fit_loop
    epochs, batches = loop.epoch_progress.current, loop.epoch_loop.batch_progress
    epoch, done = int(state["epoch"]), int(state["batches_done"])
    per_epoch = int(state.get("batches_per_epoch") or 0)
    started = epochs.ready == epochs.started == epoch + 1
    if state["epoch_complete"]:
        # Saved after the epoch's hooks (trainer.save_checkpoint after fit, a max_steps stop
        # on the last batch): Lightning keeps the epoch's batch count and, resumed by steps,
        # would number the next epoch's batches from there (batch_idx 26, 27, ...): start
        # the next epoch's count at 0, as Lightning does when it starts an epoch itself.
        if started and epochs.processed == epochs.completed == epoch + 1 and batches.current.ready >= per_epoch:
            batches.reset_on_run()
        agree = epochs.processed == epoch + 1 or (epochs.processed == epoch and batches.current.processed >= per_epoch)
        lightning_at = f"epoch {int(epochs.processed)} after {int(batches.current.processed)} batches"
    else:
        if started and 0 < done < per_epoch and epochs.processed == epoch + 1 and batches.current.processed == done:
            # An epoch ended early by max_steps (saved after fit, or by a callback at that
            # epoch's end): Lightning counted it processed, the loader holds the position.
            # Put Lightning's progress in the form a callback's save after this batch has.
            for progress in (loop.epoch_progress.total, epochs):
                progress.processed -= 1
                progress.completed = min(progress.completed, progress.processed)
            if batches.current.completed == batches.current.processed:
                for progress in (batches.total, batches.current):
                    progress.completed -= 1
                loop.epoch_loop._batches_that_stepped -= 1  # Lightning adds it back on restart
            loop.restarting = True  # re-evaluated on the corrected progress
        agree = epochs.processed == epoch and batches.current.processed == done
        lightning_at = f"epoch {int(epochs.processed)} after {int(batches.current.processed)} batches"
    if not agree:
        at = f"the end of epoch {epoch}" if state["epoch_complete"] else f"epoch {epoch} after {done} batches"
        raise ValueError(
            f"cannot resume this fit exactly: the checkpoint's training loader is at {at}, but "
            f"Lightning's loop progress in it is at {lightning_at}; resuming would serve other "
            "batches than the run that saved it. Resume from a checkpoint saved at an epoch end "
            "or by a checkpoint callback (ModelCheckpoint, LastCheckpoint), or start a new fit "
            "without ckpt_path."
        )


def _default_seed() -> int:
    return int(os.environ.get("PL_GLOBAL_SEED", "0"))


class BatchSeeder(pl.Callback):
    """Reseed torch's global generator before every training batch from
    ``(seed, rank, epoch, batch index)``.

    Random operations inside ``training_step`` (dropout, noise) then depend only on the
    position in training, never on what ran before, so a run resumed from a checkpoint
    (which does not hold generator states) trains exactly like an uninterrupted one. See
    NOTE [exact resume]. Validation and test are not touched.

    Args:
        seed: base seed; ``None`` uses the seed given to ``seed_everything`` (the
            ``PL_GLOBAL_SEED`` environment variable), else 0.
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"seed must be a non-negative int or None, got {seed!r}.")
        self.seed = seed

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int) -> None:
        seed = self.seed if self.seed is not None else _default_seed()
        key = absorb(seed, trainer.global_rank, trainer.current_epoch, batch_idx)
        torch.manual_seed(key & (2**63 - 1))


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoints written atomically: a temporary file in the checkpoint's own
    folder, flushed to disk, then renamed over the target.

    A crash (SIGKILL, power loss) while saving leaves the previous checkpoint intact, never a
    truncated one that the resume would fail to read. Lightning's default writes through a
    temporary file in the system temp folder and moves it, which is a copy, not a rename,
    when that folder is on another file system. Remote URLs (``s3://``...) use Lightning's
    default. Use ``Trainer(plugins=[AtomicCheckpointIO()])``; ``configs/trainer.yaml`` does.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        if storage_options is not None or "://" in str(path):
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        atomic_write(path, lambda out: torch.save(checkpoint, out))


# --------------------------------------------------------------------------- data identity
def training_data_state(
    dataset: Any,
    *,
    train_rows: int,
    train_fingerprint: str,
    settings: dict[str, Any],
    epoch_counts: list[int],
) -> dict[str, Any]:
    """What defines every training epoch, as plain JSON values.

    Args:
        dataset: the training dataset (a ``SMOTEDataset`` or any other).
        train_rows: rows of the train split.
        train_fingerprint: SHA-256 of the preprocessed train split's features and labels
            (data source, split and preprocessing).
        settings: the resampling settings that shape the epochs.
        epoch_counts: rows per class in every epoch.

    Returns:
        The arguments plus ``target_counts`` (synthetic rows per class) and
        ``neighbor_index`` (SHA-256 of the fitted oversampler's arrays; ``None`` without one).
    """
    oversampler = getattr(dataset, "oversampler", None)
    index_digest = None
    if oversampler is not None:
        digest = hashlib.sha256()
        for name, tensor in sorted(oversampler._state_arrays().items()):
            array = tensor.detach().cpu().contiguous().numpy()
            digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
            digest.update(array.tobytes())
        index_digest = digest.hexdigest()
    return json.loads(json.dumps({
        "train_rows": int(train_rows),
        "train_fingerprint": train_fingerprint,
        "settings": dict(settings),
        "epoch_counts": [int(c) for c in epoch_counts],
        "target_counts": {str(k): int(v) for k, v in getattr(dataset, "target_counts", {}).items()},
        "neighbor_index": index_digest,
    }))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _differences(saved: dict[str, Any], mine: dict[str, Any]) -> list[str]:
    details = []
    for key in mine:
        if saved.get(key) == mine[key]:
            continue
        if isinstance(mine[key], dict) and isinstance(saved.get(key), dict) and key == "settings":
            details += [
                f"{name}={saved[key].get(name)!r} (now {value!r})"
                for name, value in mine[key].items()
                if saved[key].get(name) != value
            ]
        else:
            details.append(f"{key}={_short(saved.get(key))} (now {_short(mine[key])})")
    return details


def check_resumed_state(saved: dict[str, Any], mine: dict[str, Any]) -> None:
    """Refuse to resume a fit whose checkpoint was trained on other data or settings.

    Raises:
        ValueError: naming every field that differs, with both values.
    """
    details = _differences(saved, mine)
    if details:
        raise ValueError(
            "cannot resume this fit: the checkpoint was trained with " + "; ".join(details)
            + ". The remaining epochs would not match the interrupted run. Resume with the "
            "data file, split and resampling settings of the run that saved it, or start a new "
            "fit without ckpt_path."
        )


def check_same_on_every_rank(strategy: Any, state: dict[str, Any], rank: int) -> None:
    """Under DDP, check that this rank built the same training data as rank 0.

    Every rank fits its own neighbour index; they must agree or the shards would be cut
    from different epochs. All ranks take the same decision, so they fail together.

    Args:
        strategy: the Lightning strategy (``broadcast`` and ``reduce_boolean_decision``).
        state: this rank's :func:`training_data_state`.
        rank: this rank's global rank, for the message.

    Raises:
        RuntimeError: some rank differs from rank 0.
    """
    mine = json.dumps(state, sort_keys=True)
    reference = strategy.broadcast(mine, src=0)
    if strategy.reduce_boolean_decision(mine == reference, all=True):
        return
    if mine == reference:
        raise RuntimeError(
            f"rank {rank}: another DDP rank built other training data, neighbour index or "
            "targets than rank 0 (see that rank's error); every rank must load the same data."
        )
    details = _differences(json.loads(reference), state)
    raise RuntimeError(
        f"DDP rank {rank} built other training data than rank 0: "
        + "; ".join(d.replace("(now", f"(rank {rank}:") for d in details)
        + ". Every rank must load the same data file and settings (and fit the same "
        "neighbour index); otherwise the ranks' shards come from different epochs."
    )


DATA_MODULE_STATE_VERSION = 2
"""Version of the data module's checkpoint state. 2: the settings that must match come from
the strategy table (version 1 listed a fixed set)."""


def data_module_state(data_state: dict[str, Any], loader: ResumableLoader | None) -> dict[str, Any]:
    """What a data module saves in every checkpoint: its :func:`training_data_state` and the
    train loader's epoch and position (:meth:`ResumableLoader.state_dict`)."""
    return {
        "version": DATA_MODULE_STATE_VERSION,
        "data_state": data_state,
        "train_loader": loader.state_dict() if loader is not None else None,
    }


def resumed_loader_state(saved: dict[str, Any], data_state: dict[str, Any]) -> dict[str, Any] | None:
    """Check a checkpoint's :func:`data_module_state` against this fit's training data and
    return the train loader state to restore.

    Raises:
        ValueError: a state of another version, or other training data or settings (see
            :func:`check_resumed_state`).
    """
    version = saved.get("version")
    if version != DATA_MODULE_STATE_VERSION:
        raise ValueError(
            f"cannot resume this fit: the checkpoint's data state has version {version!r}, "
            f"written by an earlier imbalance-torch; this version resumes version "
            f"{DATA_MODULE_STATE_VERSION} only. Start a new fit without ckpt_path (the "
            "checkpoint can still be tested and used for predictions), or resume with the "
            "version that wrote it."
        )
    check_resumed_state(saved["data_state"], data_state)
    return saved.get("train_loader")

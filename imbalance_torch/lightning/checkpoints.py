"""`LastCheckpoint`: a ``last.ckpt`` that always holds the latest training state.

NOTE [last checkpoint]: ``ModelCheckpoint(monitor=..., save_last=True)`` is the usual way to
keep a ``last.ckpt`` beside the best checkpoint, but Lightning 2.6 rewrites that copy only at
save points where the same callback saved a new best: a run whose validation AUPRC peaked at
epoch 0 still had epoch 0 in ``last.ckpt`` after 9 epochs, and ``fit --ckpt_path last``
resumed 8 epochs back. :class:`LastCheckpoint` is a plain unmonitored ``ModelCheckpoint``
whose one file is named ``last``: it saves at every save point it is given (every epoch by
default; also every ``every_n_train_steps`` steps when set), whatever the metrics did. It is
its own class so its checkpointed state never collides with another unmonitored
``ModelCheckpoint`` in the same trainer, and ``ckpt_path="last"`` finds its file.
"""

from __future__ import annotations

from datetime import timedelta

from lightning.pytorch.callbacks import ModelCheckpoint

__all__ = ["LastCheckpoint"]


class LastCheckpoint(ModelCheckpoint):
    """Write the latest training state to ``last.ckpt`` at every save point.

    Use it beside a monitored ``ModelCheckpoint`` without ``save_last``; resume with
    ``trainer.fit(..., ckpt_path="last")``. See NOTE [last checkpoint].

    Args:
        dirpath: folder (default: the trainer's ``default_root_dir/checkpoints``).
        filename: file name without ``.ckpt`` (``last``, so ``ckpt_path="last"`` finds it).
        every_n_train_steps: also save every this many optimizer steps.
        every_n_epochs: save every this many epochs (default 1 when no other trigger is set).
        train_time_interval: save at this wall-clock interval instead.
        save_on_train_epoch_end: as in ``ModelCheckpoint``.
    """

    def __init__(
        self,
        dirpath: str | None = None,
        filename: str = "last",
        every_n_train_steps: int | None = None,
        every_n_epochs: int | None = None,
        train_time_interval: timedelta | None = None,
        save_on_train_epoch_end: bool | None = None,
    ) -> None:
        super().__init__(
            dirpath=dirpath,
            filename=filename,
            monitor=None,
            save_top_k=1,
            save_last=False,
            enable_version_counter=False,
            every_n_train_steps=every_n_train_steps,
            every_n_epochs=every_n_epochs,
            train_time_interval=train_time_interval,
            save_on_train_epoch_end=save_on_train_epoch_end,
        )

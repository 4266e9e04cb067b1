"""A callback that records the training rows each DDP rank sees (used by the DDP test)."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import torch


class ShardRecorder(pl.Callback):
    """Save every training row a rank sees in an epoch to ``out_dir/rank{r}_epoch{e}.pt``."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self.rows: list[torch.Tensor] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.rows.append(batch[0].detach().clone())

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"rank{trainer.global_rank}_epoch{trainer.current_epoch}.pt"
        torch.save(torch.cat(self.rows), path)
        self.rows = []

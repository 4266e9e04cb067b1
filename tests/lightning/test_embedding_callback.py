"""EmbeddingSMOTECallback: refreshes per epoch, synthetic embeddings reach the head, the
refresh cost is recorded, a resumed fit draws the same rows, and bad models are refused."""

from __future__ import annotations

import lightning.pytorch as pl
import pytest
import torch
from torch import nn

from imbalance_torch.lightning.model.embedding import (
    EmbeddingSMOTECallback,
    add_synthetic_embeddings,
)


def _data(n: int = 240) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(4)
    y = (torch.rand(n, generator=g) < 0.2).long()
    return torch.randn(n, 5, generator=g) + y.unsqueeze(1).float(), y


class Split(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.encoder = nn.Sequential(nn.Linear(5, 8), nn.ReLU())
        self.head = nn.Linear(8, 2)
        self.seen: list[int] = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        embeddings, target = add_synthetic_embeddings(self, self.encoder(x), y, batch_idx)
        self.seen.append(len(target) - len(y))
        return nn.functional.cross_entropy(self.head(embeddings), target)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _fit(callback: EmbeddingSMOTECallback, epochs: int, model: Split | None = None, ckpt=None, root=None):
    x, y = _data()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=60)
    model = model or Split()
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=root is not None, default_root_dir=root, accelerator="cpu",
                         callbacks=[callback])
    trainer.fit(model, loader, ckpt_path=ckpt)
    return model, trainer


def test_refresh_every_epoch_and_synthetic_rows_reach_the_head():
    x, y = _data()
    callback = EmbeddingSMOTECallback(features=x, labels=y, k_neighbors=3, every_n_epochs=1)
    model, _ = _fit(callback, 2)
    assert [r["epoch"] for r in callback.refreshes] == [0.0, 1.0]
    assert all(r["total_s"] >= r["index_s"] >= 0 for r in callback.refreshes)
    assert sum(model.seen[:4]) == int((y == 0).sum() - (y == 1).sum())  # one epoch's slots, once
    callback = EmbeddingSMOTECallback(features=x, labels=y, k_neighbors=3, every_n_epochs=2)
    _fit(callback, 3)
    assert [r["epoch"] for r in callback.refreshes] == [0.0, 2.0]


def test_soft_targets_reach_the_loss_as_probabilities():
    x, y = _data()
    callback = EmbeddingSMOTECallback(features=x, labels=y, label_mode="soft", k_neighbors=3)
    model, _ = _fit(callback, 1)
    assert sum(model.seen) > 0


def test_a_resumed_fit_draws_the_same_synthetic_embeddings(tmp_path):
    x, y = _data()
    first = EmbeddingSMOTECallback(features=x, labels=y, k_neighbors=3)
    _fit(first, 1, root=tmp_path)
    checkpoint = next(tmp_path.rglob("*.ckpt"))
    state = torch.load(checkpoint, weights_only=True)["callbacks"]
    (saved,) = [v for k, v in state.items() if "EmbeddingSMOTECallback" in k]
    resumed = EmbeddingSMOTECallback(features=x, labels=y, k_neighbors=3)
    resumed.load_state_dict(saved)
    a = first.engine.batch(epoch=1, batch=2, num_batches=4)
    b = resumed.engine.batch(epoch=1, batch=2, num_batches=4)
    assert torch.equal(a.embeddings, b.embeddings) and a.index_epoch == b.index_epoch == 0


def test_a_model_without_the_named_parts_is_refused():
    x, y = _data()
    with pytest.raises(ValueError, match=r"layer='backbone': Split has no sub-module of that name \(its sub-modules: encoder, head\); split the model"):
        _fit(EmbeddingSMOTECallback(layer="backbone", features=x, labels=y), 1)
    with pytest.raises(ValueError, match="every_n_epochs must be an int >= 1, got 0"):
        EmbeddingSMOTECallback(every_n_epochs=0)
    with pytest.raises(ValueError, match="give features and labels together"):
        EmbeddingSMOTECallback(features=x)


def test_without_the_callback_the_batch_is_unchanged():
    model = Split()
    e, t = torch.zeros(3, 8), torch.zeros(3, dtype=torch.long)
    assert add_synthetic_embeddings(model, e, t, 0) == (e, t)

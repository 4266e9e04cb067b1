"""Representation-space SMOTE (issue 24 item 4): with a frozen encoder it is SMOTE on the
embeddings exactly; the index follows the encoder; a resumed fit draws the same rows; 2 gloo
ranks build one index."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from imbalance_torch import SMOTE, BorderlineSMOTE, SMOTEDataset
from imbalance_torch.embedding import EmbeddingSMOTE, embed


def _data(n: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    y = (torch.rand(n, generator=g) < 0.15).long()
    x = torch.randn(n, 6, generator=g) + y.unsqueeze(1).float()
    return x, y


def _encoder(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 4))


def test_frozen_encoder_is_smote_on_the_embeddings_exactly():
    x, y = _data()
    embeddings = embed(_encoder(), x)
    engine = EmbeddingSMOTE(k_neighbors=5, seed=11)
    engine.refresh(embeddings, y, epoch=0)
    reference = SMOTEDataset(embeddings, y, oversampler=SMOTE(k_neighbors=5), seed=11)
    for epoch in (0, 3):
        reference.set_epoch(epoch)
        parts = [engine.batch(epoch=epoch, batch=b, num_batches=4) for b in range(4)]
        slots = torch.cat([p.slot for p in parts])
        assert torch.equal(slots.sort().values, torch.arange(reference.num_synthetic))  # every slot once
        for part in parts:
            rows, labels = reference.fetch(part.slot + reference.num_real)
            assert torch.equal(part.embeddings, rows) and torch.equal(part.target, labels)
            origin = reference.provenance(part.slot + reference.num_real)
            assert torch.equal(part.base_index, origin["base_index"]) and part.index_epoch == 0
            # on the segment from the base row to the neighbour, at the gap
            a, b = embeddings[part.base_index], embeddings[part.neighbor_index]
            torch.testing.assert_close(part.embeddings, a + part.gap.unsqueeze(1).float() * (b - a))
    assert engine.num_synthetic == int((y == 0).sum() - (y == 1).sum())


def test_each_batch_holds_its_share_and_epochs_differ():
    x, y = _data()
    engine = EmbeddingSMOTE(k_neighbors=3)
    engine.refresh(embed(_encoder(), x), y, epoch=0)
    sizes = [len(engine.batch(epoch=0, batch=b, num_batches=7).slot) for b in range(7)]
    assert max(sizes) - min(sizes) <= 1
    first = engine.batch(epoch=0, batch=0, num_batches=7).embeddings
    again = engine.batch(epoch=0, batch=0, num_batches=7).embeddings
    other = engine.batch(epoch=1, batch=0, num_batches=7).embeddings
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_the_index_follows_the_encoder():
    x, y = _data()
    engine = EmbeddingSMOTE(k_neighbors=5)
    engine.refresh(embed(_encoder(0), x), y, epoch=0)
    before = engine.dataset_.oversampler.neighbors_.clone()
    engine.refresh(embed(_encoder(1), x), y, epoch=1)
    after = engine.dataset_.oversampler.neighbors_
    assert not torch.equal(before, after)
    assert engine.batch(epoch=1, batch=0, num_batches=2).index_epoch == 1


def test_a_resumed_engine_draws_the_same_embeddings():
    x, y = _data()
    engine = EmbeddingSMOTE(k_neighbors=4, seed=5)
    engine.refresh(embed(_encoder(), x), y, epoch=2)
    state = engine.state_dict()
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"embedding_state_{os.getpid()}.pt"
    torch.save(state, path)
    resumed = EmbeddingSMOTE(k_neighbors=4, seed=5)
    resumed.load_state_dict(torch.load(path, weights_only=True))
    path.unlink()
    for epoch in (2, 3):
        a = engine.batch(epoch=epoch, batch=1, num_batches=3)
        b = resumed.batch(epoch=epoch, batch=1, num_batches=3)
        assert torch.equal(a.embeddings, b.embeddings) and torch.equal(a.target, b.target)


def test_soft_labels_follow_the_gap_towards_another_class():
    x, y = _data()
    engine = EmbeddingSMOTE(oversampler=BorderlineSMOTE(kind="borderline-2", k_neighbors=5), label_mode="soft")
    engine.refresh(embed(_encoder(), x), y, epoch=0)
    part = engine.batch(epoch=0, batch=0, num_batches=1)
    assert part.target.shape == (len(part.slot), 2)
    torch.testing.assert_close(part.target.sum(1), torch.ones(len(part.slot), dtype=part.target.dtype))
    neighbor_class = y[part.neighbor_index]
    cross = neighbor_class != 1
    assert bool(cross.any()) and bool((~cross).any())
    gap = part.gap.to(part.target.dtype)
    torch.testing.assert_close(part.target[cross, 0], gap[cross])  # the gap goes to the other class
    torch.testing.assert_close(part.target[~cross, 1], torch.ones(int((~cross).sum()), dtype=part.target.dtype))


def test_bad_arguments():
    with pytest.raises(ValueError, match="label_mode must be 'hard' or 'soft', got 'fuzzy'"):
        EmbeddingSMOTE(label_mode="fuzzy")
    engine = EmbeddingSMOTE()
    with pytest.raises(RuntimeError, match=r"call refresh\(embeddings, labels, epoch=...\) before drawing batches"):
        engine.batch(epoch=0, batch=0, num_batches=1)
    x, y = _data()
    engine.refresh(embed(_encoder(), x), y, epoch=0)
    with pytest.raises(ValueError, match=r"batch must be an int in \[0, num_batches=2\), got 2"):
        engine.batch(epoch=0, batch=2, num_batches=2)
    with pytest.raises(ValueError, match=r"embeddings must be \(n, d\) with labels \(n,\), got \(300, 4\) and \(299,\)"):
        engine.refresh(embed(_encoder(), x), y[:-1], epoch=0)
    with pytest.raises(ValueError, match=r"the encoder must map each row to a vector \(\(b, d\) output\), got shape \(300, 2, 3\)"):
        embed(lambda rows: rows[:, :6].reshape(-1, 2, 3), x)


def test_embed_restores_training_mode_and_needs_no_grad():
    encoder = nn.Sequential(nn.Linear(6, 4), nn.Dropout(0.5))
    encoder.train()
    x, _ = _data(20)
    out = embed(encoder, x, batch_size=7)
    assert encoder.training and not out.requires_grad
    torch.testing.assert_close(out, encoder.eval()(x).detach())


# -- two gloo ranks build one index -------------------------------------------------------------
def _worker(rank: int, folder: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=2)
    try:
        x, y = _data()
        engine = EmbeddingSMOTE(k_neighbors=5, seed=1)
        engine.refresh(embed(_encoder(), x), y, epoch=0)
        torch.save(
            {"neighbors": engine.dataset_.oversampler.neighbors_, "rows": engine.batch(epoch=0, batch=rank, num_batches=2).embeddings},
            f"{folder}/rank{rank}.pt",
        )
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_ranks_build_one_index(tmp_path):
    mp.spawn(_worker, args=(str(tmp_path),), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    x, y = _data()
    alone = EmbeddingSMOTE(k_neighbors=5, seed=1)
    alone.refresh(embed(_encoder(), x), y, epoch=0)
    for rank, saved in enumerate(ranks):
        assert torch.equal(saved["neighbors"], alone.dataset_.oversampler.neighbors_)
        assert torch.equal(saved["rows"], alone.batch(epoch=0, batch=rank, num_batches=2).embeddings)

"""Ranking losses under DDP: two gloo ranks, each holding part of a batch, get the loss value,
the parameter gradients (after DDP's averaging) and the state of one process on the
concatenated batch (NOTE [gathered ranking batches])."""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from imbalance_torch.losses import AUCMarginLoss, AveragePrecisionLoss, PartialAUCLoss

SPLIT = 7  # rank 0 holds rows [0, 7), rank 1 rows [7, 12): unequal sizes are padded


def _losses() -> dict[str, nn.Module]:
    return {
        "ap": AveragePrecisionLoss(20),
        "dro": PartialAUCLoss(20, form="dro", tau=0.5),
        "topk": PartialAUCLoss(max_fpr=0.3),
        "auc_m": AUCMarginLoss(),
    }


def _steps():
    generator = torch.Generator().manual_seed(0)
    for _ in range(2):
        x = torch.randn(12, 4, generator=generator)
        target = torch.tensor([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0])
        index = torch.randint(0, 20, (12,), generator=generator)
        yield x, target, index


def _run(rank: int | None) -> dict[str, list]:
    """Two steps of every loss; rank None is the one process on the whole batch."""
    out: dict[str, list] = {}
    for name, criterion in _losses().items():
        torch.manual_seed(1)
        model = nn.Linear(4, 1)
        if rank is None and hasattr(criterion, "gather"):
            criterion.gather = False
        records = []
        for x, target, index in _steps():
            part = (
                slice(None)
                if rank is None
                else (slice(0, SPLIT) if rank == 0 else slice(SPLIT, None))
            )
            model.zero_grad()
            loss = criterion(model(x[part]).squeeze(1), target[part], index[part])
            loss.backward()
            grads = [p.grad.clone() for p in model.parameters()]
            if rank is not None:
                for grad in grads:  # what DDP does with parameter gradients
                    dist.all_reduce(grad)
                    grad /= dist.get_world_size()
            state = {k: v.clone() for k, v in criterion.state_dict().items()}
            records.append((loss.detach().clone(), grads, state))
        out[name] = records
    return out


def _worker(rank: int, folder: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=2
    )
    try:
        torch.save(_run(rank), f"{folder}/rank{rank}.pt")
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_ranks_equal_one_process_on_the_concatenated_batch(tmp_path) -> None:
    mp.spawn(_worker, args=(str(tmp_path),), nprocs=2, join=True)
    alone = _run(None)
    for rank in (0, 1):
        ranks = torch.load(tmp_path / f"rank{rank}.pt", weights_only=False)
        for name, records in alone.items():
            for step, (loss, grads, state) in enumerate(records):
                got_loss, got_grads, got_state = ranks[name][step]
                torch.testing.assert_close(got_loss, loss, msg=f"{name} step {step} rank {rank}")
                for got, want in zip(got_grads, grads):
                    torch.testing.assert_close(
                        got, want, msg=f"{name} grad step {step} rank {rank}"
                    )
                for key, value in state.items():
                    if key in ("a", "b", "alpha"):
                        continue  # parameters, not updated here
                    assert torch.equal(got_state[key], value), (
                        f"{name} {key} step {step} rank {rank}"
                    )


def test_gather_without_a_process_group_refused() -> None:
    with pytest.raises(
        ValueError, match=r"gather=True needs an initialised torch.distributed process group"
    ):
        AveragePrecisionLoss(4, gather=True)(torch.zeros(2), torch.tensor([1, 0]), torch.arange(2))
    with pytest.raises(TypeError, match=r"gather must be None, True or False, got 1"):
        AUCMarginLoss(gather=1)

"""Shared stages of the ranking losses (average precision, partial AUC, AUC margin).

Binary scores from one or two logits, 0/1 targets, row ids checked against the state size,
the one-class batch refused, and the per-row moving-average update.

NOTE [row ids of the ranking losses]: the stateful losses keep one moving average per
training row, indexed by the row id passed as ``index``. A synthetic row carries its base
row's id (``SMOTEDataset.provenance(index)["base_id"]``): the state estimates where a real
positive ranks among the data, and a synthetic row drawn on the segment from that positive
to a neighbour sits beside it and shares those statistics, so it refines the same estimate
instead of opening a new slot that would be seen once and never again. A row served twice
(in one batch or in one epoch) updates its state twice, as LibAUC does; within one batch the
occurrences apply in batch order and each occurrence's term uses the state after its own
update (NOTE [repeated row ids]).

NOTE [repeated row ids]: ``u[index] = ...`` with a repeated id keeps one of the writes (which
one is unspecified). The update is therefore applied level by level: the first occurrence of
every id in the batch, then the second, and so on; each level is one batched gather and
scatter over distinct ids, so the loop runs as many times as the most repeated id appears in
the batch, never once per row.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from imbalance_torch._validation import check_positive_int, describe

from ._validation import check_real

__all__: list[str] = []

_SAMPLER_FIX = (
    "use a BalancedSampler with stratify_batches=True (every batch then holds the epoch's "
    "class mix, positives included), or make the batch larger"
)


def check_num_rows(num_rows: object) -> int:
    """Return the state size ``num_rows`` (an int >= 1)."""
    return check_positive_int(num_rows, "num_rows")


def check_open_unit(name: str, value: object, *, hint: str) -> float:
    """Return ``value`` as a float in (0, 1]."""
    result = check_real(name, value)
    if not 0.0 < result <= 1.0:
        raise ValueError(f"{name}={value!r} is outside (0, 1]; {hint}")
    return result


def check_positive(name: str, value: object, *, hint: str) -> float:
    """Return ``value`` as a float > 0."""
    result = check_real(name, value)
    if result <= 0.0:
        raise ValueError(f"{name}={value!r} must be > 0; {hint}")
    return result


def check_margin(margin: object, *, allow_zero: bool) -> float:
    """Return the surrogate margin (>= 0, or > 0 where the loss divides by it)."""
    result = check_real("margin", margin)
    if result < 0.0 or (result == 0.0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"margin={margin!r} must be {bound}: it is how far a positive's score must exceed "
            "a negative's before the pair stops costing; pass the default margin=1.0."
        )
    return result


def binary_scores(input: object) -> Tensor:
    """One score per row from ``(N,)``, ``(N, 1)`` or ``(N, 2)`` logits (``x1 - x0``)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"input must be a tensor of logits, got {describe(input)} of type {type(input).__name__}."
        )
    if not input.is_floating_point():
        raise TypeError(
            f"input must hold floating logits, got dtype {input.dtype}; pass input.float()."
        )
    if input.ndim == 1:
        return input
    if input.ndim == 2 and input.shape[1] == 1:
        return input[:, 0]
    if input.ndim == 2 and input.shape[1] == 2:
        return input[:, 1] - input[:, 0]
    raise ValueError(
        f"input has shape {tuple(input.shape)}, but a binary ranking loss takes one logit per "
        "row, (N,) or (N, 1), or two, (N, 2), scored as input[:, 1] - input[:, 0]."
    )


def binary_targets(target: object, num: int) -> Tensor:
    """Return a bool ``(N,)`` positive mask from 0/1 targets of shape ``(N,)`` or ``(N, 1)``."""
    if not isinstance(target, Tensor):
        raise TypeError(
            f"target must be a tensor of 0/1 labels, got {describe(target)} of type {type(target).__name__}."
        )
    if target.ndim == 2 and target.shape[1] == 1:
        target = target[:, 0]
    if tuple(target.shape) != (num,):
        raise ValueError(
            f"target has shape {tuple(target.shape)}, but the input has {num} rows; pass one "
            f"0/1 label per row, shape ({num},)."
        )
    if target.dtype == torch.bool:
        return target
    if target.is_complex():
        raise TypeError(f"target must hold 0/1 labels, got dtype {target.dtype}.")
    bad = (target != 0) & (target != 1)
    if bool(bad.any()):
        value = target[bad][0].item()
        raise ValueError(
            f"target holds {value!r}, but a binary ranking loss takes 0/1 labels (1 = the rare "
            "positive class); soft labels have no rank, so pass hard labels."
        )
    return target == 1


def check_index(index: object, num: int, num_rows: int) -> Tensor:
    """Return row ids ``(N,)`` int64 in ``[0, num_rows)`` (see NOTE [row ids of the ranking losses])."""
    if not isinstance(index, Tensor):
        raise TypeError(
            f"index must be a LongTensor of row ids, got {describe(index)} of type {type(index).__name__}."
        )
    if index.dtype == torch.bool or index.is_floating_point() or index.is_complex():
        raise TypeError(
            f"index must hold integer row ids, got dtype {index.dtype}; pass the dataset's ids "
            "as a LongTensor."
        )
    if tuple(index.shape) != (num,):
        raise ValueError(
            f"index has shape {tuple(index.shape)}, but the input has {num} rows; pass one row id per row, shape ({num},)."
        )
    index = index.to(torch.int64)
    if num == 0:
        return index
    low, high = int(index.min()), int(index.max())
    if low < 0:
        raise ValueError(
            f"index holds {low}, a negative row id; SMOTEDataset gives synthetic rows id -1, so "
            "pass their base row's id (dataset.provenance(batch_index)['base_id']), which the "
            "state of a synthetic row shares (see the loss's docstring)."
        )
    if high >= num_rows:
        raise ValueError(
            f"index holds {high}, but num_rows={num_rows} keeps state for ids 0..{num_rows - 1}; "
            f"build the loss with num_rows >= {high + 1} (the number of training rows, or the "
            "largest row id + 1)."
        )
    return index


def require_both_classes(positive: Tensor, *, need_negative: bool = True) -> tuple[int, int]:
    """Refuse a batch without a positive (or without a negative); return the two counts."""
    num_pos = int(positive.sum())
    num_neg = positive.numel() - num_pos
    if num_pos == 0:
        raise ValueError(
            f"the batch of {positive.numel()} rows holds no positive (target 1), so no pair can "
            f"be ranked; {_SAMPLER_FIX}."
        )
    if need_negative and num_neg == 0:
        raise ValueError(
            f"the batch of {positive.numel()} rows holds no negative (target 0), so no pair can "
            f"be ranked; {_SAMPLER_FIX}."
        )
    return num_pos, num_neg


def squared_hinge(difference: Tensor, margin: float) -> Tensor:
    r"""The pairwise surrogate :math:`\max(m - d, 0)^2` of a score difference :math:`d`."""
    return torch.clamp(margin - difference, min=0.0) ** 2


def moving_average_(
    state: Tensor, index: Tensor, values: Tensor, combine: Callable[[Tensor, Tensor], Tensor]
) -> Tensor:
    """Update ``state[index]`` with ``values`` in batch order; return the state each row used.

    ``combine(old, value)`` gives the new state of one row. Repeated ids update level by
    level (NOTE [repeated row ids]). ``values`` is detached and cast to the state's dtype.
    """
    values = values.detach().to(state.dtype)
    index = index.to(state.device)
    used = torch.empty_like(values)
    if index.numel() == 0:
        return used
    order = torch.sort(index, stable=True).indices
    ids = index[order]
    first = torch.ones_like(ids, dtype=torch.bool)
    first[1:] = ids[1:] != ids[:-1]
    positions = torch.arange(ids.numel(), device=ids.device)
    start = torch.cummax(torch.where(first, positions, torch.zeros_like(positions)), dim=0).values
    rank = torch.empty_like(positions)
    rank[order] = positions - start
    for level in range(int(rank.max()) + 1):
        at = (rank == level).nonzero().squeeze(1)
        rows = index[at]
        new = combine(state[rows], values[at])
        state[rows] = new
        used[at] = new
    return used


def ewm(gamma: float) -> Callable[[Tensor, Tensor], Tensor]:
    """``u <- (1 - gamma) u + gamma v`` (LibAUC's moving average with rate ``gamma``)."""
    return lambda old, value: (1.0 - gamma) * old + gamma * value


def log_ewm(gamma: float) -> Callable[[Tensor, Tensor], Tensor]:
    """The same moving average kept in log space: ``log u <- log((1 - gamma) u + gamma v)``."""
    keep = math.log(1.0 - gamma) if gamma < 1.0 else -math.inf
    take = math.log(gamma)
    return lambda old, value: torch.logaddexp(old + keep, value + take)


def gather_enabled(gather: object) -> bool:
    """Resolve the ``gather`` option: ``None`` gathers when a process group is initialised."""
    initialised = torch.distributed.is_available() and torch.distributed.is_initialized()
    if gather is None:
        return initialised
    if not isinstance(gather, bool):
        raise TypeError(
            f"gather must be None, True or False, got {describe(gather)} of type {type(gather).__name__}."
        )
    if gather and not initialised:
        raise ValueError(
            "gather=True needs an initialised torch.distributed process group; call "
            "torch.distributed.init_process_group first, or pass gather=None (the default) to "
            "gather only under DDP."
        )
    return gather


def check_gather(gather: object) -> bool | None:
    """Check the ``gather`` option's type at construction (its effect is resolved per call)."""
    if gather is not None and not isinstance(gather, bool):
        raise TypeError(
            f"gather must be None, True or False, got {describe(gather)} of type {type(gather).__name__}."
        )
    return gather


def gather_batch(
    scores: Tensor, target: Tensor, index: Tensor | None
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Concatenate every rank's scores (with gradients), targets and row ids, in rank order.

    NOTE [gathered ranking batches]: a ranking loss compares every positive with every row,
    so under DDP each rank computes it on the batch of all ranks: scores through
    ``torch.distributed.nn.functional.all_gather`` (its backward sums the gradient each rank
    sends back, so a rank's rows receive world_size times the gradient of the common loss,
    which DDP's averaging of parameter gradients divides out: the parameters get exactly the
    gradient of one process on the concatenated batch), targets and ids through a plain
    ``all_gather``. Ranks may hold batches of different sizes (padded to the largest, then
    trimmed). Every rank then updates its state with the same ids and values, so the state
    stays identical across ranks.
    """
    import torch.distributed as dist
    import torch.distributed.nn.functional as dist_fn

    world = dist.get_world_size()
    size = torch.tensor([scores.shape[0]], device=scores.device)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    counts = [int(s) for s in sizes]
    longest = max(counts)

    def pad(tensor: Tensor) -> Tensor:
        return torch.nn.functional.pad(tensor, (0, longest - tensor.shape[0]))

    def gather_plain(tensor: Tensor) -> Tensor:
        parts = [
            torch.zeros(longest, dtype=tensor.dtype, device=tensor.device) for _ in range(world)
        ]
        dist.all_gather(parts, pad(tensor))
        return torch.cat([part[:n] for part, n in zip(parts, counts)])

    gathered = dist_fn.all_gather(pad(scores))
    all_scores = torch.cat([part[:n] for part, n in zip(gathered, counts)])
    all_target = gather_plain(target.to(torch.int64)).bool()
    all_index = None if index is None else gather_plain(index)
    return all_scores, all_target, all_index

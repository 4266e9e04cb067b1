"""Neighbour searches split across the ranks of a ``torch.distributed`` process group.

NOTE [distributed fit]: when a ``torch.distributed`` process group is initialised with more
than one rank (and the backend's ``split_across_ranks`` is left True), an oversampler's fit is
*collective*, like building ``DistributedDataParallel``: every rank must fit on the same data
with the same settings (the Lightning data module does, in ``setup`` on every rank). Each
search's queries (a class's rows for SMOTE's table, Borderline-SMOTE's danger set and
``borderline-2`` neighbours, ADASYN's ratios) are cut into ``world_size`` contiguous blocks;
rank ``r`` answers block ``r`` and ``all_gather`` hands every rank every block, so all ranks
hold the same table, bit for bit, whatever the backend. Since the table is gathered, a rank
with other data would not make the ranks' tables differ but would silently mix two datasets
into one table; so before the fit the ranks compare a checksum of ``X`` and ``y``
(:func:`check_same_data`, one pass), before each search its shape (queries, ``k``, data rows,
columns), so that a rank that holds other data fails instead of hanging, and after the fit a
digest of the fitted arrays (:func:`check_same_index`).
Under the NCCL backend the blocks travel as CUDA tensors, otherwise on the CPU (gloo).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

import torch
import torch.distributed as dist

__all__ = [
    "active_world",
    "check_same_data",
    "check_same_index",
    "data_checksum",
    "gather_query_blocks",
    "index_digest",
]


def active_world() -> tuple[int, int] | None:
    """``(rank, world_size)`` of the default process group, or ``None`` when there is none or
    it has a single rank."""
    if not (dist.is_available() and dist.is_initialized()):
        return None
    world = dist.get_world_size()
    return None if world < 2 else (dist.get_rank(), world)


def _wire_device() -> torch.device:
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def _agree(values: list[int], what: str) -> None:
    """All ranks hold the same ``values`` (a few ints), or every rank raises."""
    device = _wire_device()
    mine = torch.tensor(values, dtype=torch.int64, device=device)
    seen = [torch.empty_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(seen, mine)
    table = torch.stack(seen).cpu()
    if bool((table == table[0]).all()):
        return
    rows = {rank: row.tolist() for rank, row in enumerate(table)}
    raise RuntimeError(
        f"the ranks disagree on {what}: {rows} (rank: values). Under an initialised process "
        f"group the oversampler's fit is collective: every rank must fit on the same data with "
        f"the same settings (NOTE [distributed fit]); load the same data on every rank, or pass "
        f"neighbors=ExactNeighbors(split_across_ranks=False) to search on each rank alone."
    )


def gather_query_blocks(
    answer: Callable[[int, int], torch.Tensor], n_queries: int, k: int, shape: tuple[int, int]
) -> torch.Tensor:
    """``answer(0, n_queries)`` computed in blocks across the ranks (NOTE [distributed fit]).

    Args:
        answer: ``answer(start, stop)`` returns the ``(stop - start, k)`` int64 neighbour
            table of queries ``start:stop``.
        n_queries: queries in all.
        k: columns of the table.
        shape: ``(data rows, columns)`` searched, compared across ranks first.

    Returns:
        The ``(n_queries, k)`` table, identical on every rank.
    """
    world = active_world()
    if world is None:
        return answer(0, n_queries)
    rank, size = world
    _agree([n_queries, k, *shape], "the neighbour search (queries, k, data rows, columns)")
    per_rank = -(-n_queries // size)
    start, stop = min(rank * per_rank, n_queries), min((rank + 1) * per_rank, n_queries)
    part = answer(start, stop)
    device = part.device
    wire = _wire_device()
    block = torch.full((per_rank, k), -1, dtype=torch.int64, device=wire)
    block[: stop - start] = part.to(wire)
    blocks = [torch.empty_like(block) for _ in range(size)]
    dist.all_gather(blocks, block)
    return torch.cat(blocks)[:n_queries].to(device)


_INTEGER_VIEW = {8: torch.int64, 4: torch.int32, 2: torch.int16, 1: torch.uint8}


def data_checksum(X: torch.Tensor, y: torch.Tensor, chunk: int = 1 << 16) -> list[int]:
    """``[rows, columns, checksum of X, checksum of y]``: sums of the values' bit patterns
    weighted by their position, in wrapping int64 arithmetic (so exact and independent of how
    the sum is split across threads), in one pass of bounded memory."""
    total = torch.zeros((), dtype=torch.int64, device=X.device)
    flat = X.detach().reshape(len(X), -1)
    weights = torch.arange(1, flat.shape[1] + 1, dtype=torch.int64, device=X.device) * 1000003
    for start in range(0, len(flat), chunk):
        block = flat[start : start + chunk].contiguous()
        bits = block.view(_INTEGER_VIEW[block.element_size()]).to(torch.int64)
        rows = torch.arange(start + 1, start + len(block) + 1, dtype=torch.int64, device=X.device)
        total += (bits * rows.unsqueeze(1) + weights).mul_(weights).sum()
    labels = y.detach().to(torch.int64)
    label_sum = (labels * torch.arange(1, len(labels) + 1, device=labels.device)).sum()
    return [int(X.shape[0]), int(flat.shape[1]), int(total), int(label_sum)]


def check_same_data(X: torch.Tensor, y: torch.Tensor) -> None:
    """Under a process group of several ranks, check every rank fits on the same ``X`` and
    ``y`` (by :func:`data_checksum`) before the searches are shared out.

    Raises:
        RuntimeError: on every rank, when some rank's data differs.
    """
    if active_world() is None:
        return
    _agree(data_checksum(X, y), "the training data (rows, columns, checksums of X and y)")


def index_digest(arrays: Mapping[str, torch.Tensor | None]) -> int:
    """A 63-bit digest of named arrays (SHA-256 of their names, shapes and bytes)."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        tensor = arrays[name]
        if tensor is None:
            digest.update(f"{name}:none".encode())
            continue
        raw = tensor.detach().contiguous().cpu()
        digest.update(f"{name}:{tuple(raw.shape)}:{raw.dtype}".encode())
        digest.update(raw.reshape(-1).view(torch.uint8).numpy().tobytes())
    return int.from_bytes(digest.digest()[:8], "little") >> 1


def check_same_index(arrays: Mapping[str, torch.Tensor | None]) -> None:
    """Under a process group of several ranks, check every rank fitted the same arrays.

    Raises:
        RuntimeError: on every rank, when some rank's arrays differ.
    """
    if active_world() is None:
        return
    _agree([index_digest(arrays)], "the fitted neighbour index (digest of its arrays)")

"""Exact k-nearest neighbours in torch: chunked squared distances + ``topk``.

NOTE [exact chunked k-NN]: distances are computed for a chunk of queries at a time as
``|q|^2 - 2 q.d + |d|^2`` (one matmul), so memory is bounded by ``chunk x n_data`` floats and
no ``n x n`` matrix is ever built. That expansion loses precision when rows are far from the
origin, so each chunk keeps ``k + margin`` candidates and re-ranks them with distances
recomputed directly as ``sum((q - d)^2)`` in float64 (among them, ties go to the smaller index).
The result is the same neighbour set as scikit-learn's exact ``NearestNeighbors`` (ties
aside). Excluding a row from its own neighbours is done by index, not by dropping the first
column (imbalanced-learn's way, which keeps the row itself when it has an exact duplicate).
"""

from __future__ import annotations

from typing import Protocol

import torch

from imbalance_torch._validation import check_int


class ExtraDistance(Protocol):
    """An additive squared-distance term between query rows and data rows (SMOTE-NC)."""

    def block(self, query_positions: torch.Tensor, data_start: int, data_stop: int) -> torch.Tensor:
        """``(c, data_stop - data_start)`` term for the queries at ``query_positions``."""
        ...

    def pairs(self, query_positions: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """``(c, m)`` term for each query and its ``m`` candidate rows."""
        ...

__all__ = ["ExtraDistance", "kneighbors"]

# Bytes of one distance tile: small enough to keep the index build's peak memory far below a
# copy of the data on CPU, large enough to keep a GPU busy.
_CPU_TILE_BYTES = 2 * 2**20
_CUDA_TILE_BYTES = 2**30


# Above this magnitude, squared distances overflow float32 (3.4e38): compute in float64.
_FLOAT32_SAFE = 1e18


def _compute_dtype(data: torch.Tensor, queries: torch.Tensor | None = None) -> torch.dtype:
    if data.dtype == torch.float64:
        return torch.float64
    for tensor in (data, queries):
        if tensor is not None and tensor.numel():
            low, high = torch.aminmax(tensor)  # a reduction: no copy of the data
            if max(-float(low), float(high)) > _FLOAT32_SAFE:
                return torch.float64
    return torch.float32


_GROUP = 16


def _row_topk(score: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``count`` largest entries of each row, as ``(values, column indices)``.

    Two-level selection: the maximum of each of ``columns / 16`` groups of 16 columns, the
    ``count`` best groups, then the best entries inside them. Exact: an entry among a row's ``count`` largest lies in
    one of the ``count`` groups with the largest maxima (else ``count`` other groups each hold
    a larger entry). About 3x less work than ``topk`` over the whole row.
    """
    rows, columns = score.shape
    if columns % _GROUP or columns < 8 * _GROUP * count:
        top = score.topk(count, dim=1, sorted=False)
        return top.values, top.indices
    # Group g holds columns g, g + w, g + 2w, ... (w = columns / 16): any partition works, and
    # this one makes the group maximum an element-wise max of 16 contiguous slices.
    width = columns // _GROUP
    group_max = score.view(rows, _GROUP, width).amax(1)
    groups = group_max.topk(count, dim=1, sorted=False).indices
    candidates = (groups.unsqueeze(2) + torch.arange(_GROUP, device=score.device) * width).view(rows, -1)
    values = score.gather(1, candidates)
    best = values.topk(count, dim=1, sorted=False).indices
    return values.gather(1, best), candidates.gather(1, best)


def _merge(
    score_a: torch.Tensor, index_a: torch.Tensor, score_b: torch.Tensor, index_b: torch.Tensor, count: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``count`` best of two candidate lists per row."""
    score = torch.cat([score_a, score_b], 1)
    index = torch.cat([index_a, index_b], 1)
    keep = score.topk(min(count, score.shape[1]), dim=1, sorted=False).indices
    return score.gather(1, keep), index.gather(1, keep)


def kneighbors(
    queries: torch.Tensor,
    data: torch.Tensor,
    k: int,
    *,
    query_indices: torch.Tensor | None = None,
    extra_distance: ExtraDistance | None = None,
    chunk_size: int | None = None,
    block_size: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` nearest rows of ``data`` for every row of ``queries`` (exact, Euclidean).

    Works tile by tile (``chunk_size`` queries x ``block_size`` data rows), keeping a running
    top-``k`` per query, so memory is bounded by one tile whatever the sizes (see
    NOTE [exact chunked k-NN]).

    Args:
        queries: ``(m, d)`` query rows.
        data: ``(n, d)`` rows to search, on the same device.
        k: neighbours per query; at most ``n`` (``n - 1`` with ``query_indices``).
        query_indices: ``(m,)`` positions of the queries inside ``data``; each query's own
            row is then excluded from its neighbours.
        extra_distance: an optional :class:`ExtraDistance`, a squared-distance term added to
            the Euclidean one (SMOTE-NC's categorical penalty).
        chunk_size: queries per tile (default 256 on CPU, 4,096 on CUDA).
        block_size: data rows per tile (default: a tile of 2 MiB on CPU, 1 GiB on CUDA).

    Returns:
        ``(distances, indices)``, both ``(m, k)``, sorted by increasing distance; among the
        candidates kept, equal distances are ordered by index, but which of many rows at
        exactly the same distance are kept is not specified (it can differ between CPU and
        CUDA). Distances are Euclidean (not squared), float64 on CPU.

    Raises:
        ValueError: if ``k`` exceeds the rows available or shapes disagree.
    """
    k = check_int("k", k, minimum=1)
    if queries.dim() != 2 or data.dim() != 2 or queries.shape[1] != data.shape[1]:
        raise ValueError(
            f"queries {tuple(queries.shape)} and data {tuple(data.shape)} must be 2-D with the "
            f"same number of columns."
        )
    available = data.shape[0] - (1 if query_indices is not None else 0)
    if k > available:
        raise ValueError(
            f"k={k} neighbours requested but only {available} candidate rows exist"
            f"{' (the query row itself excluded)' if query_indices is not None else ''}; "
            f"lower k to {max(available, 0)}."
        )
    m, n = queries.shape[0], data.shape[0]
    device = data.device
    dtype = _compute_dtype(data, queries)
    cuda = device.type == "cuda"
    chunk_size = chunk_size or (4096 if cuda else 256)
    budget = _CUDA_TILE_BYTES if cuda else _CPU_TILE_BYTES
    block_size = block_size or max(1024, budget // (4 * chunk_size) // _GROUP * _GROUP)
    candidates = min(n, k + max(k, 8) + (1 if query_indices is not None else 0))
    data_c = data if data.dtype == dtype else data.to(dtype)
    # NOTE [centred scores]: the GEMM works on rows shifted by the data's column means, so
    # columns with a large offset (timestamps, years) keep their small differences in float32.
    shift = torch.stack([block.sum(0, dtype=torch.float64) for block in data_c.split(16384)]).sum(0)
    shift = (shift / max(n, 1)).to(dtype)
    data_sq = torch.cat([((block - shift) ** 2).sum(1) for block in data_c.split(16384)])  # bounded temporaries
    exact_dtype = dtype if cuda else torch.float64
    out_dist = torch.empty(m, k, dtype=exact_dtype, device=device)
    out_idx = torch.empty(m, k, dtype=torch.int64, device=device)
    score_buffer = torch.empty(min(chunk_size, m) * min(block_size, n), dtype=dtype, device=device)
    for start in range(0, m, chunk_size):
        stop = min(start + chunk_size, m)
        q = queries[start:stop].to(dtype)
        # NOTE [GEMM scores]: s = q.d - |d|^2 / 2 = (|q|^2 - |q - d|^2) / 2 ranks one query's
        # rows exactly like the distance (largest s = nearest). Appending a 1 to q and
        # -|d|^2 / 2 to d makes s one plain GEMM, with no bias copy and no extra pass.
        q_aug = torch.cat([q - shift, torch.ones(len(q), 1, dtype=dtype, device=device)], 1)
        rows = torch.arange(stop - start, device=device)
        query_positions = torch.arange(start, stop, device=device)
        positions = None if query_indices is None else query_indices[start:stop]
        best_score = best_idx = None
        for block_start in range(0, n, block_size):
            block_stop = min(block_start + block_size, n)
            block = data_c[block_start:block_stop]
            block_aug = torch.cat([block - shift, data_sq[block_start:block_stop, None] * -0.5], 1)
            score = score_buffer[: len(q) * len(block)].view(len(q), len(block))
            torch.mm(q_aug, block_aug.T, out=score)  # one reused tile: no allocator churn
            if extra_distance is not None:
                score.sub_(extra_distance.block(query_positions, block_start, block_stop).to(score.dtype) * 0.5)
            if positions is not None:
                inside = (positions >= block_start) & (positions < block_stop)
                score[rows[inside], positions[inside] - block_start] = float("-inf")
            take = min(candidates, block_stop - block_start)
            if best_score is None or best_score.shape[1] < candidates:
                top_score, top_idx = _row_topk(score, take)
                top_idx += block_start
                if best_score is None:
                    best_score, best_idx = top_score, top_idx
                else:
                    best_score, best_idx = _merge(best_score, best_idx, top_score, top_idx, candidates)
                continue
            # NOTE [pruned merge]: once a query holds `candidates` rows, a block can only matter
            # if its best score beats the worst one held. After the first blocks that is rare,
            # so most rows skip the top-k entirely (one row-max pass instead).
            hit = (score.amax(1) > best_score.amin(1)).nonzero().squeeze(1)
            if len(hit) == 0:
                continue
            top_score, top_idx = _row_topk(score.index_select(0, hit), take)
            top_idx += block_start
            merged_score, merged_idx = _merge(best_score.index_select(0, hit), best_idx.index_select(0, hit), top_score, top_idx, candidates)
            best_score.index_copy_(0, hit, merged_score)
            best_idx.index_copy_(0, hit, merged_idx)
        cand, _ = best_idx.sort(dim=1)  # by index, so the stable sort below breaks ties by index
        diff = q.to(exact_dtype).unsqueeze(1) - data_c[cand].to(exact_dtype)
        exact = (diff * diff).sum(2)
        if extra_distance is not None:
            exact = exact + extra_distance.pairs(query_positions, cand).to(exact_dtype)
        if positions is not None:
            exact = exact.masked_fill(cand == positions.unsqueeze(1), float("inf"))
        order = exact.argsort(dim=1, stable=True)[:, :k]
        out_idx[start:stop] = cand.gather(1, order)
        out_dist[start:stop] = exact.gather(1, order).sqrt()
    return out_dist, out_idx

"""Exact k-NN of in-memory queries among data streamed in chunks (data larger than memory).

NOTE [streamed class-vs-all search]: Borderline-SMOTE and ADASYN need each row of an
over-sampled class's ``k`` nearest rows among *all* rows. Out of core the queries (that
class's rows) are in memory and the data is read one chunk at a time: each chunk is searched
with :func:`~imbalance_torch.neighbors.kneighbors` for the ``k + 1`` nearest (one more, since
the query's own row may be among them), the chunk's answer is merged into the running
``k + 1`` best per query, and at the end each query's own row is dropped by index, leaving
``k``. ``kneighbors`` ranks its answer by exact float64 distance with ties to the smaller
index, and the merge is a stable sort by distance of (earlier chunks, this chunk), so ties
still go to the smaller index: the result is the neighbour set of one in-memory search over
all rows. Memory is the queries, one chunk and the ``(m, k + 1)`` running answer.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from imbalance_torch._validation import check_int
from imbalance_torch.neighbors._knn import kneighbors

__all__ = ["chunked_kneighbors", "merge_topk"]


def merge_topk(
    best_distance: torch.Tensor | None,
    best_index: torch.Tensor | None,
    distance: torch.Tensor,
    index: torch.Tensor,
    count: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``count`` nearest of two sorted candidate lists per query (``best_*`` may be
    ``None`` for the first). Both lists are sorted by distance, ties by index, and every
    index in ``best_index`` is below every index in ``index``; the result keeps that order."""
    if best_distance is None or best_index is None:
        return distance[:, :count], index[:, :count]
    merged_distance = torch.cat([best_distance, distance.to(best_distance.dtype)], 1)
    merged_index = torch.cat([best_index, index], 1)
    order = merged_distance.argsort(dim=1, stable=True)[:, :count]
    return merged_distance.gather(1, order), merged_index.gather(1, order)


def chunked_kneighbors(
    queries: torch.Tensor,
    chunks: Iterable[tuple[int, torch.Tensor]],
    k: int,
    *,
    num_rows: int,
    query_rows: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each query's ``k`` nearest rows among all rows, read chunk by chunk
    (NOTE [streamed class-vs-all search]).

    Args:
        queries: ``(m, d)`` query rows, in memory.
        chunks: ``(start, rows)`` pairs covering rows ``0 .. num_rows - 1`` in ascending,
            non-overlapping order (e.g. ``FeatureSource.chunks()``).
        k: neighbours per query.
        num_rows: the number of rows the chunks cover (checked before any work).
        query_rows: ``(m,)`` the row index of each query among the data; its own row is then
            excluded from its neighbours.

    Returns:
        ``(distances, indices)``, both ``(m, k)``, sorted by increasing Euclidean distance,
        ties by index; indices are global row numbers.

    Raises:
        ValueError: ``k`` beyond the rows available, or chunks that do not cover the rows in
            order.
    """
    k = check_int("k", k, minimum=1)
    own = 1 if query_rows is not None else 0
    if k > num_rows - own:
        raise ValueError(
            f"k={k} neighbours requested among {num_rows} rows"
            f"{' (the query row itself excluded)' if own else ''}; lower k to {max(num_rows - own, 0)}."
        )
    count = k + own
    best_distance = best_index = None
    expected = 0
    for start, block in chunks:
        if start != expected:
            raise ValueError(f"chunks must cover the rows in order without gaps: got a chunk at row {start}, expected {expected}.")
        expected = start + len(block)
        if len(block) == 0:
            continue
        distance, index = kneighbors(queries, block.to(queries.device), min(count, len(block)))
        best_distance, best_index = merge_topk(best_distance, best_index, distance, index + start, count)
    if expected != num_rows or best_distance is None or best_index is None:
        raise ValueError(f"the chunks covered {expected} rows; num_rows says {num_rows}.")
    if query_rows is not None:
        own_row = best_index == query_rows.to(best_index.device).unsqueeze(1)
        best_distance = best_distance.masked_fill(own_row, float("inf"))
        order = best_distance.argsort(dim=1, stable=True)[:, :k]
        best_distance, best_index = best_distance.gather(1, order), best_index.gather(1, order)
    return best_distance, best_index

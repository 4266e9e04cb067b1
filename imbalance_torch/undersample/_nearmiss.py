"""NearMiss-1, -2 and -3 (Mani and Zhang 2003): under-sample to a target count by distance to
the minority class."""

from __future__ import annotations

import warnings

import torch

from imbalance_torch._validation import describe
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.targets import SamplingStrategy, class_counts, undersampling_targets
from imbalance_torch.undersample._base import (
    Cleaner,
    check_n_neighbors,
    check_neighbors_fit,
    minority_class,
)

__all__ = ["NearMiss"]

_VERSIONS = (1, 2, 3)
# queries x minority rows per distance tile of NearMiss-2
_TILE = 2**22


def farthest_distance_sum(queries: torch.Tensor, data: torch.Tensor, k: int) -> torch.Tensor:
    """``(m,)`` sum of each query's distances to its ``k`` farthest rows of ``data``.

    Tile by tile: squared distances by one float64 GEMM pick ``k + 8`` candidates, whose
    distances are then recomputed directly (as in NOTE [exact chunked k-NN]).
    """
    data = data.double()
    data_sq = (data * data).sum(1)
    take = min(k + 8, len(data))
    out = torch.empty(len(queries), dtype=torch.float64, device=data.device)
    step = max(1, _TILE // max(len(data), 1))
    for start in range(0, len(queries), step):
        q = queries[start : start + step].double()
        approx = (q * q).sum(1, keepdim=True) - 2 * q @ data.T + data_sq
        candidates = approx.topk(take, dim=1).indices
        diff = q.unsqueeze(1) - data[candidates]
        exact = (diff * diff).sum(2).sqrt()
        out[start : start + step] = exact.topk(k, dim=1).values.sum(1)
    return out


class NearMiss(Cleaner):
    """Keep, of each under-sampled class, the rows closest to (or, version 3, farthest from)
    the minority class, down to the target count of ``sampling_strategy``.

    * version 1: the rows with the smallest sum of distances to their ``n_neighbors`` nearest
      minority rows;
    * version 2: the rows with the smallest sum of distances to their ``n_neighbors`` farthest
      minority rows;
    * version 3: first the ``n_neighbors_ver3`` nearest rows of the class to every minority row
      are short-listed; of those, the rows with the largest sum of distances to their
      ``n_neighbors`` nearest minority rows are kept. The short list may hold fewer rows than
      the target; then all of it is kept and a ``UserWarning`` says so (as imbalanced-learn).

    Ties of the distance sums keep the earlier row. No randomness is involved.

    Args:
        sampling_strategy: rows to keep per class, as
            :func:`~imbalance_torch.undersampling_targets` (RandomUnderSampler semantics).
            Default ``"auto"``: every class but the minority down to the minority's size.
        version: 1, 2 or 3. Default 1.
        n_neighbors: minority neighbours per row. Default 3.
        n_neighbors_ver3: version 3's short-list neighbours per minority row. Default 3.

    Attributes:
        sample_indices_: ``(n_kept,)`` sorted indices of the rows kept.
        sampling_strategy_: ``{class: rows to keep}``.

    Raises:
        ValueError: (at :meth:`fit`) a version other than 1, 2, 3, ``n_neighbors`` above the
            minority's rows, ``n_neighbors_ver3`` above an under-sampled class's rows, or a bad
            ``sampling_strategy``.
        TypeError: non-int arguments.

    References:
        Mani, I. and Zhang, I. kNN approach to unbalanced data distributions: a case study
        involving information extraction. ICML Workshop on Learning from Imbalanced Datasets,
        2003.

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> X = torch.randn(80, 2, generator=g); y = (torch.arange(80) < 20).long()
        >>> kept = NearMiss(version=1).fit(X, y).sample_indices_
        >>> torch.bincount(y[kept]).tolist()
        [20, 20]
    """

    _params = ("sampling_strategy", "version", "n_neighbors", "n_neighbors_ver3")

    def __init__(self, *, sampling_strategy: SamplingStrategy = "auto", version: int = 1, n_neighbors: int = 3, n_neighbors_ver3: int = 3) -> None:
        self.sampling_strategy = sampling_strategy
        self.version = version
        self.n_neighbors = n_neighbors
        self.n_neighbors_ver3 = n_neighbors_ver3

    def _resolve_strategy(self, y: torch.Tensor) -> dict[int, int]:
        return undersampling_targets(y, self.sampling_strategy)

    def _check_params(self, X: torch.Tensor, y: torch.Tensor) -> None:
        if isinstance(self.version, bool) or self.version not in _VERSIONS:
            raise ValueError(f"version must be 1, 2 or 3 (NearMiss-1, -2, -3); got version={describe(self.version)}.")
        k = check_n_neighbors(self.n_neighbors)
        counts = class_counts(y)
        minority = minority_class(counts)
        check_neighbors_fit("n_neighbors", k, counts[minority], f"rows of minority class {minority}")
        if self.version == 3:
            k3 = check_n_neighbors(self.n_neighbors_ver3, "n_neighbors_ver3")
            for label in self.sampling_strategy_:
                check_neighbors_fit(
                    "n_neighbors_ver3", k3, counts[label], f"rows of class {label}",
                    f" or leave class {label} out of sampling_strategy",
                )

    def _select(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        minority_rows = (y == minority_class(class_counts(y))).nonzero().squeeze(1)
        minority_X = X.index_select(0, minority_rows)
        keep = torch.ones(len(y), dtype=torch.bool, device=y.device)
        for label, target in self.sampling_strategy_.items():
            rows = (y == label).nonzero().squeeze(1)
            keep[rows] = False
            keep[self._class_rows(X, rows, minority_X, target, label)] = True
        return keep

    def _class_rows(self, X: torch.Tensor, rows: torch.Tensor, minority_X: torch.Tensor, target: int, label: int) -> torch.Tensor:
        """The ``target`` rows of one class to keep."""
        class_X = X.index_select(0, rows)
        if self.version == 1:
            score = kneighbors(class_X, minority_X, self.n_neighbors)[0].sum(1)
        elif self.version == 2:
            score = farthest_distance_sum(class_X, minority_X, self.n_neighbors)
        else:
            _, short = kneighbors(minority_X, class_X, self.n_neighbors_ver3)
            short = torch.unique(short)
            rows, class_X = rows[short], class_X[short]
            if len(rows) < target:
                warnings.warn(
                    f"NearMiss-3 short-listed {len(rows)} rows of class {label} "
                    f"(n_neighbors_ver3={self.n_neighbors_ver3} per minority row), fewer than the "
                    f"{target} asked; all {len(rows)} are kept. Raise n_neighbors_ver3 to keep more.",
                    UserWarning,
                    stacklevel=4,
                )
            # the farthest first; argsort of the negation is stable, so ties keep the earlier row
            score = -kneighbors(class_X, minority_X, self.n_neighbors)[0].sum(1)
        order = torch.argsort(score, stable=True)
        return rows[order[:target]]

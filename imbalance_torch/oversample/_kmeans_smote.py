"""KMeans-SMOTE (Last, Douzas, Bacao 2017): cluster the training rows once, then interpolate
only inside the clusters where the class is well represented, more in the sparser ones."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from imbalance_torch._validation import check_int, describe
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.oversample._family import check_class_size
from imbalance_torch.oversample._weighted_pool import (
    WeightedClassPool,
    WeightedPoolOversampler,
    numpy_features,
)

__all__ = ["KMeansSMOTE", "cluster_sparsity"]

#: Elements of one distance tile in the mean-distance sums.
_TILE = 2**22


def mean_distance(rows: torch.Tensor) -> float:
    """Mean Euclidean distance over the ordered pairs of distinct positions of ``rows``
    (float64, exact differences, tiled: memory bounded by one tile)."""
    n = len(rows)
    if n < 2:
        return 0.0
    data = rows.to(torch.float64)
    total = torch.zeros((), dtype=torch.float64, device=rows.device)
    chunk = max(1, _TILE // n)
    for start in range(0, n, chunk):
        block = data[start : start + chunk]
        total += torch.cdist(block, data, compute_mode="donot_use_mm_for_euclid_dist").sum()
    return float(total) / (n * n - n)


def cluster_sparsity(rows: torch.Tensor, density_exponent: float | str = "auto") -> float:
    """imbalanced-learn's sparsity of one cluster's rows of the class:
    ``mean_distance ** e / n``, with ``e = 0.16 * log_1.6(n) ** 1.8`` for ``"auto"`` (``n``
    the cluster's rows of the class; Last et al. use the number of features as ``e``)."""
    n = len(rows)
    exponent = math.log(n, 1.6) ** 1.8 * 0.16 if density_exponent == "auto" else density_exponent
    mean = mean_distance(rows)
    if mean == 0 and exponent < 0:
        return math.inf
    return mean**exponent / n


def _check_real_or_auto(value: Any, name: str, example: str) -> None:
    if isinstance(value, str) and value == "auto":
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f'{name} must be "auto" or a number; got {describe(value)} of type '
            f"{type(value).__name__}. Pass e.g. {name}={example}."
        )
    if not math.isfinite(value):
        raise ValueError(f'{name} must be "auto" or a finite number; got {name}={value!r}.')


class KMeansSMOTE(WeightedPoolOversampler):
    """KMeans-SMOTE, generated on the fly.

    At fit, the training rows (all classes) are clustered once, by scikit-learn's
    ``MiniBatchKMeans(random_state=0)`` (8 clusters), ``MiniBatchKMeans(n_clusters=...,
    random_state=0)`` for an int, or a clone of ``kmeans_estimator``. For class c a cluster is
    kept when its share of class-c rows is at least ``cluster_balance_threshold`` (``"auto"``:
    half of c's share of all rows to add, ``n_c_new / sum(n_new) / 2``; every cluster passes when
    the estimator has one cluster) and it holds at least ``k_neighbors + 1`` class-c rows,
    counted as imbalanced-learn counts them, ``share * cluster size`` in floating point (3 rows
    of 47 count as 2.9999999999999996: NOTE [cluster row count]). Each
    kept cluster gets the weight ``sparsity / sum(sparsity)``, where ``sparsity =
    mean_distance ** density_exponent / n`` over its ``n`` class-c rows (``"auto"``:
    ``0.16 * log_1.6(n) ** 1.8``, imbalanced-learn's rule). A synthetic row picks a cluster by
    weight, a base row uniformly among its class-c rows, one of the base's ``k_neighbors``
    nearest class-c rows *of the same cluster*, and a gap in [0, 1).

    imbalanced-learn adds ``ceil(n_new * weight)`` rows per cluster, more than asked for in
    total; here the cluster is drawn per row, so exactly ``n_new`` rows are added and each
    cluster's expected share is its weight.

    Args:
        k_neighbors: same-class neighbours within a cluster (imbalanced-learn's default 2).
        kmeans_estimator: ``None``, a number of clusters (int >= 1), or an unfitted
            scikit-learn clusterer with ``fit_predict`` (cloned; labels below 0 are noise).
        cluster_balance_threshold: ``"auto"`` or the least share of class rows a cluster needs.
        density_exponent: ``"auto"`` or the exponent of the mean distance in the sparsity.

    Attributes:
        cluster_labels_: ``(n,)`` cluster of every training row (``fit`` only).
        cluster_weights_: ``{class: {cluster: weight}}`` of the kept clusters (``fit`` only).

    References:
        Last, Douzas, Bacao. Oversampling for Imbalanced Learning Based on K-Means and SMOTE.
        Information Sciences 465, 2018 (arXiv:1711.00837, 2017).

    Example:
        >>> import torch
        >>> from sklearn.cluster import KMeans
        >>> g = torch.Generator().manual_seed(0)
        >>> X = torch.randn(200, 2, generator=g, dtype=torch.float64)
        >>> y = torch.tensor([0] * 150 + [1] * 50); X[y == 1] += 2.0
        >>> sm = KMeansSMOTE(kmeans_estimator=KMeans(n_clusters=4, n_init=1, random_state=0))
        >>> sm = sm.fit(X, y, {1: 100})
        >>> sm.generate(torch.ones(4, dtype=torch.long), torch.arange(4), seed=0, epoch=0).shape
        torch.Size([4, 2])
    """

    _params = ("k_neighbors", "kmeans_estimator", "cluster_balance_threshold", "density_exponent")
    index_extrapolates = False  # it only interpolates inside clusters

    def __init__(
        self,
        *,
        k_neighbors: int = 2,
        kmeans_estimator: Any = None,
        cluster_balance_threshold: float | str = "auto",
        density_exponent: float | str = "auto",
    ) -> None:
        self.k_neighbors = k_neighbors
        self.kmeans_estimator = kmeans_estimator
        self.cluster_balance_threshold = cluster_balance_threshold
        self.density_exponent = density_exponent

    def _check_params(self, X: torch.Tensor) -> None:
        check_int("k_neighbors", self.k_neighbors, minimum=1)
        estimator = self.kmeans_estimator
        if isinstance(estimator, numbers.Integral) and not isinstance(estimator, bool):
            check_int("kmeans_estimator", estimator, minimum=1)
        elif estimator is not None and not (
            hasattr(estimator, "fit_predict") and hasattr(estimator, "get_params")
        ):
            raise TypeError(
                f"kmeans_estimator must be None, a number of clusters (int >= 1) or an unfitted "
                f"scikit-learn clusterer with fit_predict (e.g. sklearn.cluster.KMeans("
                f"n_clusters=8)); got {describe(estimator)} of type {type(estimator).__name__}."
            )
        _check_real_or_auto(self.cluster_balance_threshold, "cluster_balance_threshold", "0.1")
        _check_real_or_auto(self.density_exponent, "density_exponent", "2.0")

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        check_class_size("k_neighbors", self.k_neighbors, label, count, "KMeansSMOTE")

    def _make_clusterer(self) -> Any:
        from sklearn.base import clone
        from sklearn.cluster import MiniBatchKMeans

        estimator = self.kmeans_estimator
        if estimator is None:
            return MiniBatchKMeans(random_state=0)
        if isinstance(estimator, numbers.Integral):
            return MiniBatchKMeans(n_clusters=int(estimator), random_state=0)
        return clone(estimator)

    def fit(
        self, X: torch.Tensor, y: torch.Tensor, target_counts: Mapping[int, int]
    ) -> KMeansSMOTE:
        """Cluster once, then weight each class's kept clusters (see the class doc)."""
        super().fit(X, y, target_counts)
        del self._targets
        return self

    def _prepare(self, X: torch.Tensor, y: torch.Tensor, target_counts: Mapping[int, int]) -> None:
        self._targets = {int(c): int(n) for c, n in target_counts.items()}
        self.cluster_weights_: dict[int, dict[int, float]] = {}
        if any(n > 0 for n in target_counts.values()):
            clusterer = self._make_clusterer()
            labels = np.asarray(clusterer.fit_predict(numpy_features(X)))
            self.kmeans_estimator_ = clusterer
            self.cluster_labels_ = torch.as_tensor(labels.astype(np.int64), device=X.device)
            self._single_cluster = getattr(clusterer, "n_clusters", None) == 1

    def _threshold(self, label: int) -> float:
        if self._single_cluster:
            return -math.inf
        if self.cluster_balance_threshold == "auto":
            return self._targets[label] / sum(self._targets.values()) / 2
        return float(self.cluster_balance_threshold)

    def _fit_weighted(self, X: torch.Tensor, y: torch.Tensor, label: int) -> WeightedClassPool:
        kept = self._kept_clusters(X, y, label)
        weights = self._cluster_weights(label, [sparsity for _, _, sparsity in kept])
        self.cluster_weights_[label] = {c: w for (c, _, _), w in zip(kept, weights)}
        bases, neighbors, entry_weights = [], [], []
        for (_, rows, _), weight in zip(kept, weights):
            if weight == 0:  # a cluster of identical rows beside sparser ones adds nothing
                continue
            members = X.index_select(0, rows)
            own = torch.arange(len(rows), device=X.device)
            _, local = kneighbors(members, members, self.k_neighbors, query_indices=own)
            bases.append(rows)
            neighbors.append(rows[local])
            entry_weights.append(torch.full((len(rows),), weight / len(rows), dtype=torch.float64))
        return WeightedClassPool(
            torch.cat(bases), torch.cat(neighbors), torch.cat(entry_weights).to(X.device)
        )

    def _kept_clusters(
        self, X: torch.Tensor, y: torch.Tensor, label: int
    ) -> list[tuple[int, torch.Tensor, float]]:
        """``(cluster, class rows, sparsity)`` of each cluster that passes the filter."""
        threshold, need = self._threshold(label), self.k_neighbors + 1
        clusters = self.cluster_labels_
        kept: list[tuple[int, torch.Tensor, float]] = []
        best: tuple[float, int, int] | None = None  # share, class rows, cluster
        rounded_below: list[tuple[int, int]] = []  # (class rows, cluster rows) that fall short
        for cluster in torch.unique(clusters[clusters >= 0]).tolist():  # a few clusters
            members = (clusters == cluster).nonzero().flatten()
            rows = members[y[members] == label]
            share = len(rows) / len(members)
            # NOTE [cluster row count]: imbalanced-learn counts a cluster's class rows as
            # share * cluster size in floating point, not as the count itself: 3 rows of 47
            # give 3/47*47 = 2.9999999999999996 < 3 and the cluster is skipped. The same
            # arithmetic here keeps the same clusters as imbalanced-learn.
            enough = share * len(members) >= need
            if len(rows) >= need and not enough:
                rounded_below.append((len(rows), len(members)))
            if enough and (best is None or share > best[0]):
                best = (share, len(rows), cluster)
            if share >= threshold and enough:
                kept.append((cluster, rows, cluster_sparsity(X[rows], self.density_exponent)))
        if not kept:
            raise self._no_cluster_error(label, threshold, best, rounded_below)
        return kept

    def _cluster_weights(self, label: int, sparsities: list[float]) -> list[float]:
        """``sparsity / sum(sparsity)``; equal weights when every kept cluster is made of
        identical rows (all sparsities 0)."""
        if not all(math.isfinite(s) for s in sparsities):
            raise ValueError(
                f"KMeansSMOTE: the sparsities of the kept clusters of class {label} are "
                f"{sparsities} with density_exponent={self.density_exponent!r} (a cluster of "
                f'identical rows has mean distance 0); use a positive exponent or "auto".'
            )
        total = sum(sparsities)
        if total == 0:
            return [1 / len(sparsities)] * len(sparsities)
        return [s / total for s in sparsities]

    def _no_cluster_error(
        self, label: int, threshold: float, best: tuple[float, int, int] | None,
        rounded_below: list[tuple[int, int]],
    ) -> ValueError:
        n_clusters = len(torch.unique(self.cluster_labels_[self.cluster_labels_ >= 0]))
        setting = f"cluster_balance_threshold={self.cluster_balance_threshold!r}"
        if self.cluster_balance_threshold == "auto":
            setting += f" (here {threshold:.4g})"
        if best is None:
            counted = ""
            if rounded_below:
                rows, size = rounded_below[0]
                counted = (
                    f" (counted as imbalanced-learn counts them, share x cluster size in floating "
                    f"point: {rows} rows of a cluster of {size} count as {rows / size * size!r})"
                )
            return ValueError(
                f"KMeansSMOTE found no cluster for class {label}: none of the {n_clusters} "
                f"clusters holds k_neighbors + 1 = {self.k_neighbors + 1} rows of class {label}"
                f"{counted}. Use fewer clusters (kmeans_estimator), a smaller k_neighbors, or "
                f"SMOTE for class {label}."
            )
        share, rows, cluster = best
        return ValueError(
            f"KMeansSMOTE found no cluster for class {label}: a cluster needs a share of class "
            f"{label} rows of at least {setting}; the largest among the {n_clusters} clusters "
            f"is {share:.4g} (cluster {cluster}, {rows} rows of class {label}). Lower "
            f"cluster_balance_threshold to {math.floor(share * 1e4) / 1e4:.4g} or use more "
            f"clusters (kmeans_estimator)."
        )

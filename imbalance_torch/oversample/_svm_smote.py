"""SVM-SMOTE (Nguyen, Cooper, Kamei 2011): synthetic rows around the support vectors of an SVM
fitted once on the training rows."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from imbalance_torch._validation import check_int, describe
from imbalance_torch.oversample._family import (
    check_class_size,
    in_danger,
    other_class_neighbor_counts,
    within_class_neighbors,
)
from imbalance_torch.oversample._weighted_pool import (
    WeightedClassPool,
    WeightedPoolOversampler,
    numpy_features,
)

__all__ = ["SVMSMOTE"]


class SVMSMOTE(WeightedPoolOversampler):
    """SVM-SMOTE, generated on the fly.

    At fit, an SVM (scikit-learn's ``SVC(gamma="scale")``, or a clone of ``svm_estimator``)
    is trained on all training rows; the support vectors of class c are its base rows. Of a
    support vector's ``m_neighbors`` nearest rows (all classes, itself excluded) ``m'`` are of
    another class: ``m' = m`` marks noise (dropped), ``m/2 <= m' < m`` danger, ``m' < m/2``
    safe. A synthetic row of class c starts at a support vector ``b`` and one of its
    ``k_neighbors`` nearest class-c rows ``n``: from a danger vector it interpolates,
    ``b + gap * (n - b)`` with ``gap`` in [0, 1); from a safe one it extrapolates away from
    ``n``, ``b - out_step * gap * (n - b)``. Half of the rows come from danger vectors and half
    from safe ones (all from one kind when the other is empty), each vector of a kind equally
    likely.

    imbalanced-learn draws the danger share once per fit from Beta(10, 10) (mean 1/2) and, when
    one kind is empty, adds only that kind's share of the rows asked for; here each row takes
    its kind with probability 1/2 and exactly the rows asked for are added.

    Args:
        k_neighbors: same-class neighbours to step toward or away from.
        m_neighbors: neighbours (any class) that decide noise, danger and safe.
        svm_estimator: ``None`` for ``SVC(gamma="scale")``, or an unfitted scikit-learn
            estimator exposing ``support_`` after ``fit`` (it is cloned).
        out_step: gap scale of the extrapolation from safe support vectors, in [0, 1].

    Attributes:
        support_indices_: ``{class: rows}``, the class's support vectors (estimator order;
            set by ``fit``, not by loading an index file).
        noise_indices_: ``{class: rows}``, the support vectors dropped as noise (``fit`` only).
        danger_indices_: ``{class: rows}``, the support vectors in danger (interpolated from).
        safe_indices_: ``{class: rows}``, the safe support vectors (extrapolated from).

    References:
        Nguyen, Cooper, Kamei. Borderline over-sampling for imbalanced data classification.
        International Journal of Knowledge Engineering and Soft Data Paradigms 3(1), 2011.

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> X = torch.randn(120, 2, generator=g, dtype=torch.float64)
        >>> y = torch.tensor([0] * 90 + [1] * 30); X[y == 1] += 1.0
        >>> sm = SVMSMOTE(k_neighbors=3).fit(X, y, {1: 60})
        >>> sm.generate(torch.ones(4, dtype=torch.long), torch.arange(4), seed=0, epoch=0).shape
        torch.Size([4, 2])
    """

    _params = ("k_neighbors", "m_neighbors", "svm_estimator", "out_step")

    def __init__(
        self,
        *,
        k_neighbors: int = 5,
        m_neighbors: int = 10,
        svm_estimator: Any = None,
        out_step: float = 0.5,
    ) -> None:
        self.k_neighbors = k_neighbors
        self.m_neighbors = m_neighbors
        self.svm_estimator = svm_estimator
        self.out_step = out_step

    def _check_params(self, X: torch.Tensor) -> None:
        check_int("k_neighbors", self.k_neighbors, minimum=1)
        check_int("m_neighbors", self.m_neighbors, minimum=1)
        step = self.out_step
        if isinstance(step, bool) or not isinstance(step, numbers.Real):
            raise TypeError(
                f"out_step must be a float in [0, 1]; got {describe(step)} of type "
                f"{type(step).__name__}. Pass a number such as out_step=0.5."
            )
        if not 0 <= step <= 1:
            raise ValueError(
                f"out_step must be in [0, 1] (the largest step away from a safe support vector, "
                f"as a share of the distance to its neighbour); got out_step={step!r}."
            )
        estimator = self.svm_estimator
        if estimator is not None and not (
            hasattr(estimator, "fit") and hasattr(estimator, "get_params")
        ):
            raise TypeError(
                f"svm_estimator must be None or an unfitted scikit-learn SVM estimator (with fit "
                f"and get_params, exposing support_ once fitted, e.g. sklearn.svm.SVC()); got "
                f"{describe(estimator)} of type {type(estimator).__name__}."
            )
        n = X.shape[0]
        if self.m_neighbors > n - 1:
            raise ValueError(
                f"m_neighbors={self.m_neighbors} needs at least {self.m_neighbors + 1} training "
                f"rows; there are {n}. Lower m_neighbors to {n - 1}."
            )

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        check_class_size("k_neighbors", self.k_neighbors, label, count, "SVMSMOTE")

    def _step_away(self) -> float:
        return -float(self.out_step)

    def _make_svm(self) -> Any:
        from sklearn.base import clone
        from sklearn.svm import SVC

        return SVC(gamma="scale") if self.svm_estimator is None else clone(self.svm_estimator)

    def fit(self, X: torch.Tensor, y: torch.Tensor, target_counts: Mapping[int, int]) -> SVMSMOTE:
        """Train the SVM once, then split each class's support vectors (see the class doc)."""
        super().fit(X, y, target_counts)
        del self._support
        return self

    def _prepare(self, X: torch.Tensor, y: torch.Tensor, target_counts: Mapping[int, int]) -> None:
        if not any(n > 0 for n in target_counts.values()):
            self._support = np.empty(0, dtype=np.int64)
        else:
            svm = self._make_svm()
            svm.fit(numpy_features(X), y.detach().cpu().numpy())
            if not hasattr(svm, "support_"):
                raise TypeError(
                    f"svm_estimator={svm!r} has no support_ attribute once fitted; SVM-SMOTE "
                    f"starts from support vectors, so pass a kernel SVM such as sklearn.svm.SVC() "
                    f"(for a linear one, SVC(kernel='linear'): LinearSVC keeps no support_)."
                )
            self._support = np.asarray(svm.support_, dtype=np.int64)
            self.svm_estimator_ = svm
        self.support_indices_: dict[int, torch.Tensor] = {}
        self.noise_indices_: dict[int, torch.Tensor] = {}
        self.danger_indices_: dict[int, torch.Tensor] = {}
        self.safe_indices_: dict[int, torch.Tensor] = {}

    def _fit_weighted(self, X: torch.Tensor, y: torch.Tensor, label: int) -> WeightedClassPool:
        support, noise, danger = self._split_support(X, y, label)
        kept = support[~noise]
        bases = torch.cat([kept[danger], kept[~danger]])  # danger vectors first
        n_danger = int(danger.sum())
        n_safe = len(bases) - n_danger
        _, neighbors = within_class_neighbors(X, y, label, self.k_neighbors, queries=bases)
        share = 0.5 if n_danger and n_safe else 1.0  # half of the rows from each kind
        weights = torch.cat(
            [
                torch.full((n_danger,), share / max(n_danger, 1), dtype=torch.float64),
                torch.full((n_safe,), share / max(n_safe, 1), dtype=torch.float64),
            ]
        ).to(X.device)
        extrapolate = torch.arange(len(bases), device=X.device) >= n_danger
        self.support_indices_[label] = support
        self.noise_indices_[label] = support[noise]
        self.danger_indices_[label] = bases[:n_danger]
        self.safe_indices_[label] = bases[n_danger:]
        return WeightedClassPool(bases, neighbors, weights, extrapolate)

    def _split_support(
        self, X: torch.Tensor, y: torch.Tensor, label: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(support, noise, danger)``: the class's support vectors (estimator order), which
        of them are noise, and which of the others are in danger (the rest are safe)."""
        labels = y.detach().cpu().numpy()
        support = self._support[labels[self._support] == label]
        _, first = np.unique(support, return_index=True)
        support = torch.as_tensor(support[np.sort(first)], device=X.device)
        if len(support) == 0:
            raise ValueError(
                f"SVMSMOTE found no support vector of class {label} among the "
                f"{len(self._support)} support vectors of the fitted SVM, so it has no row to "
                f"start from. Use an SVM with a softer margin (a smaller C, e.g. "
                f"svm_estimator=SVC(C=0.1)), or SMOTE for class {label}."
            )
        m = self.m_neighbors
        _, others = other_class_neighbor_counts(X, y, label, m, queries=support)
        noise = others == m
        if bool(noise.all()):
            raise ValueError(
                f"SVMSMOTE: all {len(support)} support vectors of class {label} are noise (all of "
                f"their m_neighbors={m} nearest rows are of another class), so it has no row to "
                f"start from. Use a larger m_neighbors, or SMOTE or BorderlineSMOTE for class "
                f"{label}."
            )
        danger = in_danger(others[~noise], m)
        return support, noise, danger

    def _load_arrays(self, arrays: dict[str, torch.Tensor]) -> None:
        super()._load_arrays(arrays)
        self.danger_indices_, self.safe_indices_ = {}, {}
        for label, start, count in zip(
            self.classes_.tolist(), self.pool_start_.tolist(), self.pool_count_.tolist()
        ):
            bases = self.base_rows_[start : start + count]
            away = self.extrapolate_[start : start + count]
            self.danger_indices_[label], self.safe_indices_[label] = bases[~away], bases[away]

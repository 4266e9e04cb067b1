"""Random over-sampling: duplicates of existing rows, optionally smoothed (shrinkage)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import torch

from imbalance_torch._random import STREAM_NOISE_ANGLE, STREAM_NOISE_RADIUS, uniform_float
from imbalance_torch._validation import describe
from imbalance_torch.oversample._base import ClassPool, Oversampler, SyntheticDraw
from imbalance_torch.oversample._family import class_rows

__all__ = ["RandomOverSampler"]


class RandomOverSampler(Oversampler):
    """Random over-sampling with replacement, as imbalanced-learn's ``RandomOverSampler``.

    With ``shrinkage=None`` a synthetic row is an exact copy of a class row drawn uniformly.
    With a ``shrinkage`` ``s`` (a float, or a dict per class), Gaussian noise is added per
    feature (a smoothed bootstrap, ROSE):

    .. math:: x' = x_b + \\epsilon \\cdot s \\cdot h \\cdot \\sigma_{c},\\quad
              h = \\left(\\frac{4}{(d + 2) n}\\right)^{1/(d + 4)}

    where ``sigma_c`` is the class's per-feature population std, ``d`` the number of features
    and ``n`` the number of training rows (all classes).

    Categorical columns: with ``shrinkage=None`` a copy keeps every integer category code
    intact, so no ``categorical_features`` is needed. With a ``shrinkage`` the noise is added to
    every column, codes included, which turns them into other values; this class therefore
    takes no ``categorical_features``. For data with categorical columns use
    ``shrinkage=None``, or ``SMOTE(categorical_features=[...])`` for synthetic rows.

    Args:
        shrinkage: ``None``, a float >= 0, or ``{class: float}`` covering every
            over-sampled class.

    References:
        Menardi, Torelli. Training and assessing classification rules with imbalanced data.
        Data Mining and Knowledge Discovery 28, 2014.
    """

    _params = ("shrinkage",)
    index_pool = "all"

    def out_of_core_neighbors(self) -> int | None:
        """No search at all."""
        return 0

    def __init__(self, *, shrinkage: float | Mapping[int, float] | None = None) -> None:
        self.shrinkage = shrinkage

    def _check_params(self, X: torch.Tensor) -> None:
        values = self.shrinkage.values() if isinstance(self.shrinkage, Mapping) else [self.shrinkage]
        for value in values:
            if value is None and not isinstance(self.shrinkage, Mapping):
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"shrinkage must be None, a float >= 0 or a dict of them; got {describe(self.shrinkage)}.")
            if not value >= 0 or not math.isfinite(value):
                raise ValueError(f"shrinkage must be >= 0 and finite; got shrinkage={describe(self.shrinkage)}.")

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        if isinstance(self.shrinkage, Mapping) and label not in self.shrinkage:
            raise ValueError(
                f"shrinkage is a dict {describe(self.shrinkage)} without class {label}, which is "
                f"over-sampled; give a value for every over-sampled class."
            )

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        return ClassPool(class_rows(y, label), None)

    def _scale_gap(self, labels: torch.Tensor, neighbor: torch.Tensor, gap: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(gap)  # a copy has no neighbour and no step

    def fit(self, X, y, target_counts):  # type: ignore[override]
        super().fit(X, y, target_counts)
        self._fit_noise()
        return self

    def _fit_noise(self) -> None:
        X, y = self.X_, self.y_
        self.noise_scale_ = None
        if self.shrinkage is None:
            return
        n, d = X.shape
        bandwidth = (4.0 / ((d + 2) * n)) ** (1.0 / (d + 4))
        scales = []
        for label in self.classes_.tolist():
            rows = X[class_rows(y, label)].to(torch.float64)
            factor = self.shrinkage[label] if isinstance(self.shrinkage, Mapping) else self.shrinkage
            scales.append(rows.std(0, correction=0) * (factor * bandwidth))
        self.noise_scale_ = torch.stack(scales) if scales else None

    def _load_arrays(self, arrays):  # type: ignore[override]
        self._fit_noise()

    def rows(self, draw: SyntheticDraw, out: torch.Tensor | None = None) -> torch.Tensor:
        X = self.X_
        if self.noise_scale_ is None:
            return torch.index_select(X, 0, draw.base, out=out) if out is not None else X.index_select(0, draw.base)
        d = X.shape[1]
        # Box-Muller from two independent words per (row, feature).
        u1 = uniform_float(draw.words(STREAM_NOISE_RADIUS, per_row=d), torch.float64)
        u2 = uniform_float(draw.words(STREAM_NOISE_ANGLE, per_row=d), torch.float64)
        normal = torch.sqrt(-2.0 * torch.log1p(-u1)) * torch.cos(2 * math.pi * u2)
        positions = torch.searchsorted(self.classes_, draw.label)  # labels of a draw are fitted ones
        rows = (X[draw.base].to(torch.float64) + normal * self.noise_scale_[positions]).to(X.dtype)
        return rows if out is None else out.copy_(rows)

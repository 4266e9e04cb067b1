"""The cleaning family's shared steps: which classes to clean, neighbour labels, the edited
(ENN) rule, Tomek links, and the base class whose ``fit`` selects real rows once.

NOTE [cleaning is a selection]: every method here only chooses which real rows to keep. ``fit``
stores the kept row indices as ``sample_indices_`` (sorted, int64, on the features' device)
and nothing else about the data, so a :class:`~imbalance_torch.BalancedSampler` built with
``cleaning=`` serves the kept rows and never the dropped ones, and its counts say so. Rules
that depend on distances use the project's exact search (:func:`imbalance_torch.neighbors.kneighbors`,
each row's own index excluded), so the removed sets are imbalanced-learn 0.14's whenever no two
distances tie.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import torch

from imbalance_torch._validation import (
    as_feature_tensor,
    as_label_tensor,
    check_int,
    describe,
)
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.targets import class_counts, undersampling_targets

__all__ = [
    "CLEANING_STRINGS",
    "KIND_SEL",
    "CleaningStrategy",
    "Cleaner",
    "check_kind_sel",
    "check_n_neighbors",
    "check_neighbors_fit",
    "cleaning_classes",
    "edited_keep",
    "minority_class",
    "neighbor_labels",
    "tomek_link_rows",
    "vote",
]

#: The ``kind_sel`` values of the edited rule.
KIND_SEL = ("all", "mode")

#: The named class selections of the cleaning methods (imbalanced-learn's, without "minority").
CLEANING_STRINGS = ("auto", "majority", "not minority", "not majority", "all")

CleaningStrategy = str | Sequence[int]


def minority_class(counts: Mapping[int, int]) -> int:
    """The class with the fewest rows; ties go to the smallest label."""
    return min(counts, key=lambda c: (counts[c], c))


def cleaning_classes(y: torch.Tensor, sampling_strategy: Any) -> list[int]:
    """The classes a cleaning method may remove rows from (imbalanced-learn's "clean-sampling").

    Args:
        y: ``(n,)`` labels.
        sampling_strategy: ``"auto"`` (= ``"not minority"``), ``"majority"``,
            ``"not minority"``, ``"not majority"``, ``"all"``, or a list of class labels.

    Returns:
        Sorted class labels.

    Raises:
        ValueError: a float, dict, callable, ``"minority"``, an unknown string, an unknown
            class, or fewer than two classes.
        TypeError: a value of another type.
    """
    if isinstance(sampling_strategy, str):
        if sampling_strategy not in CLEANING_STRINGS:
            raise ValueError(
                f"sampling_strategy={sampling_strategy!r} is not a class selection of a cleaning "
                f"method; use one of {list(CLEANING_STRINGS)} or a list of class labels"
                f"{' (cleaning the minority alone: pass its label in a list)' if sampling_strategy == 'minority' else ''}."
            )
        return sorted(undersampling_targets(y, sampling_strategy))
    counts = class_counts(y)
    if isinstance(sampling_strategy, (Mapping, numbers.Real)) or callable(sampling_strategy):
        raise ValueError(
            f"a cleaning method's sampling_strategy names the classes to clean, as a string or "
            f"a list of labels; got {describe(sampling_strategy)}. Cleaning removes the rows its "
            f"rule flags, not a number of rows: pass e.g. sampling_strategy=\"auto\" or "
            f"sampling_strategy={sorted(counts)[-1:]}, or use NearMiss for a target count."
        )
    if not isinstance(sampling_strategy, (list, tuple, set, frozenset)):
        raise TypeError(
            f"sampling_strategy must be a string or a list of class labels; got "
            f"{type(sampling_strategy).__name__} {describe(sampling_strategy)}."
        )
    labels = []
    for label in sampling_strategy:
        if isinstance(label, bool) or not isinstance(label, numbers.Integral):
            raise TypeError(f"sampling_strategy lists {describe(label)}; class labels are ints.")
        labels.append(int(label))
    unknown = sorted(set(labels) - set(counts))
    if unknown:
        raise ValueError(
            f"sampling_strategy lists class(es) {unknown}, which have no rows in y (classes "
            f"present: {sorted(counts)[:20]}); list existing classes only."
        )
    return sorted(set(labels))


def check_kind_sel(kind_sel: Any) -> str:
    """``kind_sel`` is ``"all"`` or ``"mode"``."""
    if kind_sel not in KIND_SEL:
        raise ValueError(
            f"kind_sel must be 'all' (keep a row only if all its neighbours share its class) or "
            f"'mode' (keep it if most do); got kind_sel={describe(kind_sel)}."
        )
    return kind_sel


def check_neighbors_fit(name: str, k: int, available: int, what: str, fix: str = "") -> None:
    """``k`` neighbours need ``available >= k`` candidate rows."""
    if k > available:
        raise ValueError(
            f"{name}={k} needs at least {k} {what}, which has {available}; lower {name} to "
            f"{max(available, 1)}{fix}."
        )


def neighbor_labels(X: torch.Tensor, y: torch.Tensor, rows: torch.Tensor, k: int) -> torch.Tensor:
    """``(len(rows), k)`` labels of the ``k`` nearest other rows of every row in ``rows``."""
    _, index = kneighbors(X.index_select(0, rows), X, k, query_indices=rows)
    return y[index]


def vote(labels: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """The most frequent label of each row of ``labels`` (``(m, k)``); ties go to the smallest
    label, as ``scipy.stats.mode`` and scikit-learn's ``KNeighborsClassifier`` break them."""
    position = torch.searchsorted(classes, labels)
    tally = torch.zeros(labels.shape[0], len(classes), dtype=torch.int64, device=labels.device)
    tally.scatter_add_(1, position, torch.ones_like(position))
    return classes[tally.argmax(1)]  # argmax returns the first maximum: the smallest label


def edited_keep(X: torch.Tensor, y: torch.Tensor, clean: Sequence[int], k: int, kind_sel: str) -> torch.Tensor:
    """The edited nearest-neighbour rule (Wilson): ``(n,)`` bool, False for a row of a class in
    ``clean`` whose ``k`` nearest other rows are not all (``"all"``) or not mostly (``"mode"``)
    of its class."""
    keep = torch.ones(len(y), dtype=torch.bool, device=y.device)
    rows = torch.isin(y, torch.tensor(list(clean), dtype=y.dtype, device=y.device)).nonzero().squeeze(1)
    if len(rows) == 0:
        return keep
    labels = neighbor_labels(X, y, rows, k)
    own = y.index_select(0, rows)
    if kind_sel == "all":
        agrees = (labels == own.unsqueeze(1)).all(1)
    else:
        agrees = vote(labels, torch.unique(y)) == own
    keep[rows] = agrees
    return keep


def tomek_link_rows(X: torch.Tensor, y: torch.Tensor, clean: Sequence[int]) -> torch.Tensor:
    """``(n,)`` bool, True for a row of a class in ``clean`` that forms a Tomek link: it and its
    nearest other row are each other's nearest neighbour and of different classes."""
    rows = torch.arange(len(y), device=y.device)
    _, nearest = kneighbors(X, X, 1, query_indices=rows)
    nearest = nearest[:, 0]
    mutual = nearest[nearest] == rows
    cleaned = torch.isin(y, torch.tensor(list(clean), dtype=y.dtype, device=y.device))
    return mutual & (y[nearest] != y) & cleaned


class Cleaner:
    """Base class of the cleaning (prototype selection) methods.

    Constructors store keyword-only arguments; :meth:`fit` checks them against the data once,
    before any work, then selects rows (NOTE [cleaning is a selection]). Subclasses implement
    ``_check_params`` and ``_select``.

    Attributes:
        sample_indices_: ``(n_kept,)`` int64, sorted indices of the rows kept (imbalanced-learn's
            name; imbalanced-learn orders them class by class, here they are in row order).
        sampling_strategy_: ``{class: count}`` as imbalanced-learn resolves it (for the
            cleaning methods the keys are the classes cleaned).
    """

    #: Names of the constructor arguments, for repr and ``get_params``.
    _params: ClassVar[tuple[str, ...]] = ()

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, by name."""
        return {name: getattr(self, name) for name in self._params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_params(self, X: torch.Tensor, y: torch.Tensor) -> None:
        """Validate the constructor arguments against the data (before any work)."""

    def _resolve_strategy(self, y: torch.Tensor) -> dict[int, int]:
        counts = class_counts(y)
        n_min = min(counts.values())
        return {c: n_min for c in cleaning_classes(y, self.sampling_strategy)}

    def _select(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError  # pragma: no cover - every subclass implements it

    def fit(self, X: Any, y: Any) -> Cleaner:
        """Select the rows to keep.

        Args:
            X: ``(n, d)`` features (tensor, numpy array or DataFrame; any device).
            y: ``(n,)`` integer class labels.

        Returns:
            ``self``, with ``sample_indices_`` set.

        Raises:
            ValueError: bad argument values for this data (each method lists its own).
            TypeError: arguments of the wrong type.
        """
        features = as_feature_tensor(X)
        labels = as_label_tensor(y, features.shape[0], features.device)
        if len(class_counts(labels)) < 2:
            raise ValueError(
                f"y holds a single class ({sorted(class_counts(labels))}); cleaning needs rows "
                f"of at least two classes."
            )
        self.sampling_strategy_ = self._resolve_strategy(labels)
        self._check_params(features, labels)
        keep = self._select(features if features.is_floating_point() else features.double(), labels)
        self.sample_indices_ = keep.nonzero().squeeze(1)
        return self

    def fit_resample(self, X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`fit`, then the kept rows as ``(X[sample_indices_], y[sample_indices_])``
        (tensors; a copy, for use outside a sampler)."""
        self.fit(X, y)
        features = as_feature_tensor(X)
        labels = as_label_tensor(y, features.shape[0], features.device)
        return features.index_select(0, self.sample_indices_), labels.index_select(0, self.sample_indices_)


def check_n_neighbors(value: Any, name: str = "n_neighbors") -> int:
    """A neighbour count is a plain positive int (estimator objects are not accepted)."""
    if not isinstance(value, bool) and not isinstance(value, numbers.Integral) and hasattr(value, "kneighbors"):
        raise TypeError(
            f"{name} must be an int here; got a {type(value).__name__} object. The search is "
            f"the project's exact one: pass {name}=<int>."
        )
    return check_int(name, value, minimum=1)

"""Tomek links (Tomek 1976): remove the rows of the cleaned classes that sit in a Tomek link."""

from __future__ import annotations

import torch

from imbalance_torch.undersample._base import Cleaner, CleaningStrategy, tomek_link_rows

__all__ = ["TomekLinks"]


class TomekLinks(Cleaner):
    """Drop every row of a cleaned class that forms a Tomek link.

    Rows ``a`` and ``b`` form a Tomek link when they are of different classes and each is the
    other's nearest row (Euclidean; a row is never its own neighbour). Only the rows of the
    classes named by ``sampling_strategy`` are removed; with the default ``"auto"`` (every class
    but the minority) that is imbalanced-learn 0.14's behaviour: the minority row of a link stays.

    Args:
        sampling_strategy: the classes to clean: ``"auto"`` (= ``"not minority"``),
            ``"majority"``, ``"not minority"``, ``"not majority"``, ``"all"``, or a list of class
            labels. Default ``"auto"``.

    Attributes:
        sample_indices_: ``(n_kept,)`` sorted indices of the rows kept.

    Raises:
        ValueError: (at :meth:`fit`) a float, dict or callable ``sampling_strategy``, an unknown
            string or class, fewer than two classes or two rows.

    References:
        Tomek, I. Two modifications of CNN. IEEE Transactions on Systems, Man, and Cybernetics
        6(11), 1976.

    Example:
        >>> import torch
        >>> X = torch.tensor([[0.0], [0.1], [5.0], [5.2], [9.0]])
        >>> y = torch.tensor([0, 1, 0, 0, 0])
        >>> TomekLinks().fit(X, y).sample_indices_.tolist()
        [1, 2, 3, 4]
    """

    _params = ("sampling_strategy",)

    def __init__(self, *, sampling_strategy: CleaningStrategy = "auto") -> None:
        self.sampling_strategy = sampling_strategy

    def _check_params(self, X: torch.Tensor, y: torch.Tensor) -> None:
        if len(y) < 2:
            raise ValueError(f"TomekLinks needs at least 2 rows to find nearest neighbours; got {len(y)}.")

    def _select(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ~tomek_link_rows(X, y, list(self.sampling_strategy_))

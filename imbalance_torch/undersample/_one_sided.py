"""One-sided selection (Kubat and Matwin 1997)."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from imbalance_torch._random import STREAM_SEED_ROWS, key_table, words
from imbalance_torch._validation import check_int, check_seed
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.targets import class_counts
from imbalance_torch.undersample._base import (
    Cleaner,
    CleaningStrategy,
    check_n_neighbors,
    check_neighbors_fit,
    minority_class,
    tomek_link_rows,
    vote,
)

__all__ = ["OneSidedSelection"]

# NOTE [seed rows]: the rows that start each cleaned class's consistent subset are the
# ``n_seeds_S`` rows of the class with the smallest random words ``words(key, rank, STREAM_SEED_ROWS)``
# (``rank`` = the row's position among its class's rows, ``key`` = a hash of
# ``(seed, class, _SEED_ROWS_DOMAIN)``), so they are a uniform draw without replacement that
# depends on the seed alone. The domain tag keeps these keys apart from the over-samplers'
# ``(seed, epoch, class)`` keys.
_SEED_ROWS_DOMAIN = 0x0551_5EED


class OneSidedSelection(Cleaner):
    """Keep the rows a nearest-neighbour rule finds hard, then remove Tomek links.

    For every cleaned class c (imbalanced-learn 0.14's rule): a set C holds all minority rows
    and ``n_seeds_S`` seed rows of c; every other row of c is classified by a
    ``n_neighbors``-NN vote over C (ties to the smallest label) and kept only if misclassified.
    Then the rows of the cleaned classes that form a Tomek link among the rows kept so far are
    dropped (:class:`TomekLinks`).

    Args:
        sampling_strategy: the classes to clean, as :class:`EditedNearestNeighbours`.
        seed: non-negative int from which the seed rows are drawn (NOTE [seed rows]); replaces
            imbalanced-learn's ``random_state``. Default 0.
        n_neighbors: neighbours of the vote; ``None`` (default) means 1.
        n_seeds_S: seed rows per cleaned class, drawn without replacement. Default 1.

    Attributes:
        sample_indices_: ``(n_kept,)`` sorted indices of the rows kept.
        seed_rows_: ``{class: (n_seeds_S,) row indices}`` the seed rows used.

    Raises:
        ValueError: (at :meth:`fit`) ``n_neighbors`` above ``minority rows + n_seeds_S``,
            ``n_seeds_S`` above a cleaned class's rows, or a bad ``sampling_strategy``.
        TypeError: a non-int ``n_neighbors``, ``n_seeds_S`` or ``seed``.

    References:
        Kubat, M. and Matwin, S. Addressing the curse of imbalanced training sets: one-sided
        selection. ICML 1997.

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> X = torch.randn(80, 2, generator=g); y = (torch.arange(80) < 20).long()
        >>> oss = OneSidedSelection(seed=0).fit(X, y)
        >>> int((y[oss.sample_indices_] == 0).sum()) < 60
        True
    """

    _params = ("sampling_strategy", "seed", "n_neighbors", "n_seeds_S")

    def __init__(self, *, sampling_strategy: CleaningStrategy = "auto", seed: int = 0, n_neighbors: int | None = None, n_seeds_S: int = 1) -> None:  # noqa: N803
        self.sampling_strategy = sampling_strategy
        self.seed = seed
        self.n_neighbors = n_neighbors
        self.n_seeds_S = n_seeds_S

    @property
    def _k(self) -> int:
        return 1 if self.n_neighbors is None else self.n_neighbors

    def _check_params(self, X: torch.Tensor, y: torch.Tensor) -> None:
        check_seed(self.seed)
        if self.n_neighbors is not None:
            check_n_neighbors(self.n_neighbors)
        seeds = check_int("n_seeds_S", self.n_seeds_S, minimum=1)
        counts = class_counts(y)
        for label in self.sampling_strategy_:
            if seeds > counts[label]:
                raise ValueError(
                    f"n_seeds_S={seeds} seed rows are drawn without replacement from each cleaned "
                    f"class, but class {label} has {counts[label]}; lower n_seeds_S to "
                    f"{counts[label]} or leave class {label} out of sampling_strategy."
                )
        minority = minority_class(counts)
        check_neighbors_fit(
            "n_neighbors", self._k, counts[minority] + seeds, "rows in the vote's set",
            f" (the {counts[minority]} rows of minority class {minority} plus n_seeds_S={seeds})",
        )

    def draw_seed_rows(self, y: torch.Tensor) -> dict[int, torch.Tensor]:
        """The seed rows of every cleaned class, a pure function of ``(seed, class)``
        (NOTE [seed rows]); ``fit`` must have resolved ``sampling_strategy_``."""
        labels = sorted(self.sampling_strategy_)
        keys = key_table(labels, (check_seed(self.seed),), (_SEED_ROWS_DOMAIN,), device=y.device)
        seeds: dict[int, torch.Tensor] = {}
        for label, key in zip(labels, keys):
            rows = (y == label).nonzero().squeeze(1)
            draw = words(key, torch.arange(len(rows), device=y.device), STREAM_SEED_ROWS)
            seeds[label] = rows[draw.topk(self.n_seeds_S, largest=False).indices.sort().values]
        return seeds

    def _select(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self._select_with_seeds(X, y, self.draw_seed_rows(y))

    def _select_with_seeds(self, X: torch.Tensor, y: torch.Tensor, seed_rows: Mapping[int, torch.Tensor]) -> torch.Tensor:
        """The rule given the seed rows (also how the oracle test feeds imbalanced-learn's)."""
        self.seed_rows_ = dict(seed_rows)
        classes = torch.unique(y)
        minority_rows = (y == minority_class(class_counts(y))).nonzero().squeeze(1)
        keep = torch.ones(len(y), dtype=torch.bool, device=y.device)
        for label in sorted(self.sampling_strategy_):
            seeds = seed_rows[label].to(y.device)
            rows = (y == label).nonzero().squeeze(1)
            rest = rows[~torch.isin(rows, seeds)]
            if len(rest) == 0:
                continue
            reference = torch.cat([minority_rows, seeds])
            _, nearest = kneighbors(X.index_select(0, rest), X.index_select(0, reference), self._k)
            predicted = vote(y[reference][nearest], classes)
            keep[rest[predicted == label]] = False  # rows the vote gets right are redundant
        kept = keep.nonzero().squeeze(1)
        links = tomek_link_rows(X.index_select(0, kept), y.index_select(0, kept), list(self.sampling_strategy_))
        keep[kept[links]] = False
        return keep

"""What a saved neighbour index must hold, checked by content after its checksums.

NOTE [index content checks]: the checksums of an index file (NOTE [index file format]) catch
accidents; someone who rewrites the file can recompute them. So after reading, the arrays are
checked against the data they are used with and the method that built them, and a file that
no fit of this oversampler on this data could have written is refused: int64 arrays of the
right shapes (``k`` columns of neighbours, the oversampler's own ``k``), pool counts that are
positive and add up to the pool, every row index in ``[0, rows)``, base rows of the pool's
class (all of its rows for SMOTE, SMOTE-NC and random over-sampling; distinct ones for
Borderline-SMOTE; for ADASYN each row at most ``n_neighbors`` times, its difficulty weight),
and neighbours of the same class that are not the base row itself (Borderline-SMOTE's
``borderline-2`` may step toward any class). A table of plausible but wrong neighbours of the
right class is not detected (that would mean refitting); a keyed signature (``key=``) is what
shows a file is the one its key holder saved. With categorical columns (NOTE [categorical
columns]) the pools and these rules are the same; the median stds and the neighbours' votes
are not stored but recomputed from the data and the checked neighbour table on load (as are
SMOTE-N's per-row modes). SVM-SMOTE and KMeans-SMOTE draw base rows by real-valued weights
(NOTE [weighted pools]): their pools list distinct rows, in any order, and their files add
``pool_weight`` (finite, positive, summing to 1 per class) and ``extrapolate`` (0 or 1 per
entry, 1 only for SVM-SMOTE's safe support vectors).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from imbalance_torch._validation import describe
from imbalance_torch.neighbors import ArraySpec, IndexFileError

if TYPE_CHECKING:
    from imbalance_torch.oversample._base import Oversampler

__all__ = [
    "IndexRules",
    "check_index_arrays",
    "check_index_backend",
    "index_layout",
    "index_rules",
]

PoolKind = Literal["all", "subset", "weighted", "distinct"]

POOL_KINDS: tuple[PoolKind, ...] = ("all", "subset", "weighted", "distinct")
#: The per-entry arrays of the pool kinds drawn by real-valued weights, and their dtypes.
_ENTRY_ARRAYS: dict[str, np.dtype] = {
    "pool_weight": np.dtype(np.float64),
    "extrapolate": np.dtype(np.int64),
}
_REFIT = "Delete it and refit (fit again, then save_index)."


@dataclass(frozen=True)
class IndexRules:
    """What an oversampler's fitted pools look like.

    Attributes:
        k: neighbours per pool entry, or ``None`` when the method keeps no neighbour table.
        pool: ``"all"``, ``"subset"``, ``"weighted"`` or ``"distinct"`` (the over-sampler's
            ``index_pool`` class attribute).
        same_class_neighbors: whether every neighbour is of the base row's class.
        may_extrapolate: whether entries may be marked ``extrapolate`` ("distinct" pools).
    """

    k: int | None
    pool: PoolKind
    same_class_neighbors: bool
    may_extrapolate: bool = False


def index_rules(oversampler: Oversampler) -> IndexRules:
    """The rules for ``oversampler`` (its parameters already checked by ``_check_params``).

    ``k`` is the ``k_neighbors`` (else ``n_neighbors``) parameter; the pool kind, whether
    neighbours share their base row's class and whether entries may extrapolate are the
    over-sampler's own declarations (``index_pool``, ``index_same_class_neighbors()``,
    ``index_extrapolates``).

    Raises:
        TypeError: an over-sampler class that declares no ``index_pool`` (its index could
            only be checked by guesswork).
    """
    params = oversampler.get_params()
    k = params.get("k_neighbors", params.get("n_neighbors"))
    pool = getattr(type(oversampler), "index_pool", None)
    if pool not in POOL_KINDS:
        raise TypeError(
            f"{type(oversampler).__name__} declares no index_pool (got {pool!r}), so a saved "
            f"index of it cannot be checked; set the class attribute index_pool to one of "
            f"{', '.join(POOL_KINDS)}: how its _fit_class builds a class's pool."
        )
    return IndexRules(
        k=None if k is None else int(k),
        pool=pool,
        same_class_neighbors=bool(oversampler.index_same_class_neighbors()),
        may_extrapolate=bool(type(oversampler).index_extrapolates),
    )


def index_layout(rules: IndexRules, n_rows: int, n_classes: int) -> dict[str, ArraySpec]:
    """The arrays an index of ``n_rows`` training rows and ``n_classes`` over-sampled classes
    holds, bounded before they are read (with no class there is no neighbour table)."""
    int64 = np.dtype(np.int64)
    pool_bound = n_rows * (rules.k or 1) if rules.pool == "weighted" else n_rows
    layout = {
        "classes": ArraySpec(int64, (None,), n_rows),
        "pool_count": ArraySpec(int64, (None,), n_rows),
        "base_rows": ArraySpec(int64, (None,), pool_bound),
    }
    if rules.k is not None and n_classes > 0:
        layout["neighbors"] = ArraySpec(int64, (None, rules.k), pool_bound)
    if rules.pool == "distinct":
        for array_name, dtype in _ENTRY_ARRAYS.items():
            layout[array_name] = ArraySpec(dtype, (None,), pool_bound)
    return layout


def check_index_backend(
    path: str | os.PathLike[str], meta: dict[str, Any], backend: dict[str, Any]
) -> None:
    """The index file was built by the neighbour search ``backend`` describes.

    NOTE [index backend]: an index file records the search that built its neighbour table
    (``NeighborSearch.describe()``, e.g. ``{"name": "faiss", "method": "hnsw", ...}``) in its
    metadata, and loading it with another search, or other settings of the same one, is
    refused: an approximate table is not what an exact fit would have built. Files written
    before the field existed were built by the exact search.

    Raises:
        IndexFileError: the recorded search differs from ``backend``.
    """
    recorded = meta.get("neighbors", {"name": "exact"})
    if recorded != backend:
        raise IndexFileError(
            f"index file {str(path)!r} was built with the neighbour search {describe(recorded, 200)} "
            f"but this oversampler uses {describe(backend, 200)}; a table from another search is "
            f"not what this one would build. Pass the same neighbors= as when it was saved, or "
            f"{_REFIT[0].lower() + _REFIT[1:]}"
        )


def check_index_arrays(
    path: str | os.PathLike[str],
    rules: IndexRules,
    arrays: dict[str, np.ndarray],
    y: torch.Tensor,
    labels: list[int],
) -> dict[str, torch.Tensor]:
    """Check the arrays of an index file (already read against :func:`index_layout`) for the
    labels ``y`` and the classes to over-sample; returns them as CPU tensors.

    Raises:
        IndexFileError: the first thing found wrong, with the value seen.
    """
    name = repr(str(path))
    tensors = {key: torch.from_numpy(value) for key, value in arrays.items()}
    classes, counts, base = tensors["classes"], tensors["pool_count"], tensors["base_rows"]
    neighbors = tensors.get("neighbors")
    if classes.tolist() != labels:
        raise IndexFileError(
            f"index file {name} was fitted for classes {classes.tolist()[:20]} but the sampling strategy "
            f"over-samples {labels}; refit."
        )
    _check_counts(name, classes, counts, base, neighbors)
    y = y.detach().cpu()
    n_rows = len(y)
    for array_name, rows in (("base_rows", base), ("neighbors", neighbors)):
        if rows is not None and len(rows):
            _check_range(name, array_name, rows, n_rows)
    pool_class = classes.repeat_interleave(counts)
    wrong = (y[base] != pool_class).nonzero().flatten()
    if len(wrong):
        at = int(wrong[0])
        raise IndexFileError(
            f"index file {name}: base row {int(base[at])} in the pool of class {int(pool_class[at])} is "
            f"of class {int(y[base[at]])}; base rows must be rows of their pool's class. It was edited. {_REFIT}"
        )
    _check_pool_kind(name, rules, y, classes, counts, base)
    if rules.pool == "distinct":
        _check_entry_arrays(name, rules, tensors, counts)
    if neighbors is not None:
        _check_neighbors(name, rules, y, pool_class, base, neighbors)
    return tensors


def _check_counts(
    name: str,
    classes: torch.Tensor,
    counts: torch.Tensor,
    base: torch.Tensor,
    neighbors: torch.Tensor | None,
) -> None:
    if len(counts) != len(classes):
        raise IndexFileError(
            f"index file {name} has {len(counts)} pool counts for {len(classes)} classes; it was edited. {_REFIT}"
        )
    empty = (counts <= 0).nonzero().flatten()
    if len(empty):
        at = int(empty[0])
        raise IndexFileError(
            f"index file {name}: the pool of class {int(classes[at])} has count {int(counts[at])}; every "
            f"fitted class has at least one base row. It was edited. {_REFIT}"
        )
    if int(counts.sum()) != len(base):
        raise IndexFileError(
            f"index file {name}: the pool counts add up to {int(counts.sum())} but base_rows has "
            f"{len(base)} rows; it was edited. {_REFIT}"
        )
    if neighbors is not None and len(neighbors) != len(base):
        raise IndexFileError(
            f"index file {name}: neighbors has {len(neighbors)} rows but base_rows has {len(base)}; "
            f"each base row has one row of neighbours. It was edited. {_REFIT}"
        )


def _check_range(name: str, array_name: str, rows: torch.Tensor, n_rows: int) -> None:
    low, high = int(rows.min()), int(rows.max())
    if low < 0 or high >= n_rows:
        seen = low if low < 0 else high
        raise IndexFileError(
            f"index file {name}: {array_name} holds row {seen}, outside [0, {n_rows}) for this data's "
            f"{n_rows} rows; it was edited. {_REFIT}"
        )


def _check_pool_kind(
    name: str,
    rules: IndexRules,
    y: torch.Tensor,
    classes: torch.Tensor,
    counts: torch.Tensor,
    base: torch.Tensor,
) -> None:
    if rules.pool == "all":
        expected = torch.cat(
            [(y == label).nonzero().flatten() for label in classes.tolist()] or [base[:0]]
        )
        if not torch.equal(base, expected):
            raise IndexFileError(
                f"index file {name}: the pools must list each row of their class once, in order "
                f"(this method draws base rows uniformly from the class); they do not. It was edited. {_REFIT}"
            )
        return
    pool_id = torch.arange(len(counts)).repeat_interleave(counts)
    if rules.pool == "distinct":
        keyed = torch.unique(pool_id * max(len(y), 1) + base)
        if len(keyed) != len(base):
            raise IndexFileError(
                f"index file {name}: a pool lists a base row twice; this method lists each of its "
                f"base rows once (weighted by pool_weight). It was edited. {_REFIT}"
            )
        return
    inside = pool_id[1:] == pool_id[:-1]
    step = base[1:] - base[:-1]
    if rules.pool == "subset" and bool(((step <= 0) & inside).any()):
        raise IndexFileError(
            f"index file {name}: a pool lists a base row twice or out of order; this method lists each "
            f"of its base rows once, ascending. It was edited. {_REFIT}"
        )
    if rules.pool == "weighted":
        if bool(((step < 0) & inside).any()):
            raise IndexFileError(
                f"index file {name}: a pool lists its base rows out of order; it was edited. {_REFIT}"
            )
        _, repeats = torch.unique_consecutive(base, return_counts=True)
        limit = rules.k if rules.k is not None else len(base)
        if len(repeats) and int(repeats.max()) > limit:
            raise IndexFileError(
                f"index file {name}: a base row is listed {int(repeats.max())} times; its weight is at most "
                f"k={limit} (its neighbours of other classes). It was edited. {_REFIT}"
            )


def _check_entry_arrays(
    name: str, rules: IndexRules, tensors: dict[str, torch.Tensor], counts: torch.Tensor
) -> None:
    weight, flag = tensors["pool_weight"], tensors["extrapolate"]
    size = len(tensors["base_rows"])
    for array_name, array in (("pool_weight", weight), ("extrapolate", flag)):
        if len(array) != size:
            raise IndexFileError(
                f"index file {name}: {array_name} has {len(array)} entries but base_rows has "
                f"{size}; each pool entry has one. It was edited. {_REFIT}"
            )
    if size and not bool((torch.isfinite(weight) & (weight > 0)).all()):
        bad = float(weight[~(torch.isfinite(weight) & (weight > 0))][0])
        raise IndexFileError(
            f"index file {name}: pool_weight holds {bad!r}; every entry's weight is finite and "
            f"positive. It was edited. {_REFIT}"
        )
    sums = torch.stack([part.sum() for part in weight.split(counts.tolist())]) if size else weight
    off = (sums - 1).abs() > 1e-9
    if bool(off.any()):
        raise IndexFileError(
            f"index file {name}: a pool's weights add up to {float(sums[off][0])!r}, not 1. It was "
            f"edited. {_REFIT}"
        )
    allowed = (flag == 0) | (flag == 1) if rules.may_extrapolate else flag == 0
    if not bool(allowed.all()):
        raise IndexFileError(
            f"index file {name}: extrapolate holds {int(flag[~allowed][0])}; it is 0 or 1 per "
            f"entry{'' if rules.may_extrapolate else ' and always 0 for this method'}. It was "
            f"edited. {_REFIT}"
        )


def _check_neighbors(
    name: str,
    rules: IndexRules,
    y: torch.Tensor,
    pool_class: torch.Tensor,
    base: torch.Tensor,
    neighbors: torch.Tensor,
) -> None:
    own = (neighbors == base.unsqueeze(1)).nonzero()
    if len(own):
        raise IndexFileError(
            f"index file {name}: row {int(base[own[0, 0]])} is listed as its own neighbour; a row is never "
            f"its own neighbour. It was edited. {_REFIT}"
        )
    if not rules.same_class_neighbors:
        return
    other = (y[neighbors] != pool_class.unsqueeze(1)).nonzero()
    if len(other):
        entry, column = int(other[0, 0]), int(other[0, 1])
        row = int(neighbors[entry, column])
        raise IndexFileError(
            f"index file {name}: neighbours of class {int(pool_class[entry])} include row {row} of class "
            f"{int(y[row])}; this method interpolates toward rows of the same class only. It was edited. {_REFIT}"
        )

"""Fitting an oversampler on features larger than memory (a :class:`FeatureSource`).

NOTE [out-of-core fit]: the oversampler is fitted, unchanged, on a small in-memory *fit set*
of rows that gives exactly the answers a fit on every row would give:

* the rows of every class to over-sample (all of them: SMOTE's within-class search, the
  danger set and the ADASYN weights are over these rows, and they are the base rows);
* for the methods that search each of those rows' neighbours among *all* rows
  (Borderline-SMOTE's ``m_neighbors``, and ``k_neighbors`` for ``borderline-2``; ADASYN's
  ``n_neighbors``), the ``K`` nearest rows of any class of each, found by one streamed pass
  over the source (NOTE [streamed class-vs-all search]), ``K`` the largest such ``k``.

Every row nearer to a query than its ``K``-th nearest row overall is in the fit set, so the
class-vs-all searches inside it return the same neighbours (ties to the smaller index, and
the fit set keeps the rows' order), and Borderline-2's other-class neighbours are in memory
for generation. The fitted pools index the fit set; ``fit_rows`` maps them back to rows of
the source (provenance, index files). Memory: the over-sampled classes' rows and at most ``K``
neighbours each, one chunk of the pass, and the labels (int64, 8 bytes per row).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch

import imbalance_torch.oversample as oversample
from imbalance_torch._validation import as_feature_tensor
from imbalance_torch.data._sources import FeatureSource
from imbalance_torch.neighbors import write_index
from imbalance_torch.neighbors._backends import ExactNeighbors
from imbalance_torch.neighbors._chunked import chunked_kneighbors
from imbalance_torch.oversample import Oversampler

__all__ = ["class_vs_all_k", "fit_out_of_core", "load_out_of_core", "save_out_of_core"]


def class_vs_all_k(oversampler: Oversampler) -> int:
    """How many nearest rows of any class the method needs per row of an over-sampled class
    (0: it searches within the class only), as the method declares it
    (``Oversampler.out_of_core_neighbors``). Methods that declare none, and per-epoch filters
    (which check synthetic rows against every real row), are refused out of core."""
    _refuse_whole_data_options(oversampler)
    # a class declares it itself: a subclass may search differently from its parent
    declared = "out_of_core_neighbors" in vars(type(oversampler))
    k = oversampler.out_of_core_neighbors() if declared else None
    if k is None:
        supported = [
            name for name in oversample.__all__
            if isinstance(cls := getattr(oversample, name), type) and issubclass(cls, Oversampler)
            and "out_of_core_neighbors" in vars(cls)
        ]
        raise ValueError(
            f"{type(oversampler).__name__} is not supported on features read out of core (a "
            f"MemmapSource or ParquetSource); use {', '.join(supported)}, or load the features "
            f"into memory as a tensor."
        )
    neighbors = getattr(oversampler, "neighbors", None)
    if k > 0 and neighbors is not None and not isinstance(neighbors, ExactNeighbors):
        raise ValueError(
            f"{type(oversampler).__name__}(neighbors={neighbors!r}) out of core: the search among "
            f"all rows is streamed with the exact search, so another backend would search a "
            f"subset of the rows; leave neighbors= unset (exact) for features read from a "
            f"MemmapSource or ParquetSource."
        )
    return int(k)


def _refuse_whole_data_options(oversampler: Oversampler) -> None:
    name = type(oversampler).__name__
    if getattr(oversampler, "safe", False) or getattr(oversampler, "filter", None) is not None:
        setting = "safe=True" if getattr(oversampler, "safe", False) else f"filter={oversampler.filter!r}"
        raise ValueError(
            f"{name}({setting}) checks each epoch's synthetic rows against every real row, which "
            f"is not held in memory out of core; drop {setting.split('=')[0]}= for features read "
            f"from a MemmapSource or ParquetSource, or load them into memory as a tensor."
        )


def _checked_chunks(source: FeatureSource, chunk_rows: int | None) -> Iterator[tuple[int, torch.Tensor]]:
    for start, block in source.chunks(chunk_rows):
        yield start, as_feature_tensor(block, f"X (rows {start}..{start + len(block) - 1} of {source!r})")


def _read_checked(source: FeatureSource, rows: torch.Tensor) -> torch.Tensor:
    if len(rows) == 0:
        return torch.empty((0, source.shape[1]), dtype=source.dtype)
    return as_feature_tensor(source.read(rows), f"X (rows read from {source!r})")


def fit_out_of_core(
    oversampler: Oversampler,
    source: FeatureSource,
    y: torch.Tensor,
    target_counts: Mapping[int, int],
    *,
    chunk_rows: int | None = None,
) -> torch.Tensor:
    """Fit ``oversampler`` on ``source`` through its fit set (NOTE [out-of-core fit]).

    Args:
        oversampler: an unfitted oversampler (SMOTE, SMOTENC, BorderlineSMOTE, ADASYN,
            RandomOverSampler).
        source: the ``(n, d)`` features.
        y: ``(n,)`` int64 labels, in memory.
        target_counts: ``{class: rows to add}``.
        chunk_rows: rows per chunk of the streamed search (default about 32 MiB).

    Returns:
        ``fit_rows``: ``(r,)`` ascending source rows of the fit set; the oversampler's row
        indices (``base_rows_``, ``neighbors_``, draws) index it.

    Raises:
        ValueError: an oversampler not supported out of core, categorical columns with a
            class-vs-all search, and everything ``fit`` raises.
    """
    k = class_vs_all_k(oversampler)
    labels = torch.tensor(sorted(int(c) for c, n in target_counts.items() if n > 0), dtype=torch.int64)
    class_rows = torch.isin(y, labels.to(y.device)).nonzero().flatten().cpu()
    if len(class_rows) == 0:  # nothing to over-sample: a few rows for the parameter checks
        class_rows = torch.arange(min(len(source), k + 1), dtype=torch.int64)
        k = 0
    features = _read_checked(source, class_rows)
    fit_rows = class_rows
    if k:
        if k > len(source) - 1:
            raise ValueError(
                f"{oversampler!r} looks at the {k} nearest rows of each over-sampled row among "
                f"all rows, which needs at least {k + 1} rows; there are {len(source)}. Lower "
                f"its neighbour counts to {len(source) - 1} or less."
            )
        if getattr(oversampler, "categorical_features", None) is not None:
            raise ValueError(
                f"{type(oversampler).__name__} with categorical_features searches every row with "
                f"the categorical distance term, which the out-of-core search does not apply "
                f"yet; use SMOTE(categorical_features=...) out of core, or load the features "
                f"into memory as a tensor."
            )
        _, neighbors = chunked_kneighbors(features, _checked_chunks(source, chunk_rows), k, num_rows=len(source), query_rows=class_rows)
        extra = neighbors.flatten().unique()
        extra = extra[~torch.isin(extra, class_rows)]
        fit_rows, order = torch.cat([class_rows, extra]).sort()
        features = torch.cat([features, _read_checked(source, extra)]).index_select(0, order)
    oversampler.fit(features, y.index_select(0, fit_rows.to(y.device)).to(features.device), target_counts)
    return fit_rows


def source_rows(fit_rows: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Row indices of the fit set (any shape) as rows of the source; ``-1`` stays ``-1``."""
    mapped = fit_rows.to(rows.device).index_select(0, rows.flatten().clamp(min=0)).view(rows.shape)
    return mapped.masked_fill_(rows < 0, -1)


def save_out_of_core(
    oversampler: Oversampler,
    fit_rows: torch.Tensor,
    source: FeatureSource,
    y: torch.Tensor,
    path: str | os.PathLike[str],
    *,
    key: bytes | None = None,
) -> Path:
    """Save the fitted index with rows numbered in the source, and the fingerprint of the
    whole source (read chunk by chunk): the same file an in-memory fit on the same data
    writes, so either can load it."""
    oversampler._fitted()
    arrays = dict(oversampler._state_arrays())
    arrays["base_rows"] = source_rows(fit_rows, arrays["base_rows"])
    if "neighbors" in arrays:
        arrays["neighbors"] = source_rows(fit_rows, arrays["neighbors"])
    numpy_arrays = {name: t.detach().cpu().numpy() for name, t in arrays.items()}
    return write_index(path, _meta(oversampler, source, y), numpy_arrays, key=key)


def _meta(oversampler: Oversampler, source: FeatureSource, y: torch.Tensor) -> dict[str, Any]:
    return oversampler._meta(source, y, fingerprint=source.data_fingerprint(y))  # type: ignore[arg-type]


def load_out_of_core(
    oversampler: Oversampler,
    path: str | os.PathLike[str],
    source: FeatureSource,
    y: torch.Tensor,
    target_counts: Mapping[int, int],
    *,
    key: bytes | None = None,
) -> torch.Tensor:
    """Restore an index saved for the same data (in memory or out of core): the file is
    checked as :meth:`Oversampler.load` checks it (NOTE [index content checks]), then the
    over-sampled classes' rows and every neighbour in the table are read into the fit set.

    Returns:
        ``fit_rows``, as :func:`fit_out_of_core` returns it.
    """
    class_vs_all_k(oversampler)
    labels = [int(c) for c, n in sorted(target_counts.items()) if n > 0]
    tensors = oversampler._read_index(
        path, source, y.cpu(), labels, key=key, fingerprint=source.data_fingerprint(y)
    )
    class_rows = torch.isin(y.cpu(), torch.tensor(labels, dtype=torch.int64)).nonzero().flatten()
    parts = [class_rows, tensors["base_rows"]] + ([tensors["neighbors"].flatten()] if "neighbors" in tensors else [])
    fit_rows = torch.cat(parts).unique()  # ascending
    features = _read_checked(source, fit_rows)
    oversampler._check_params(features)
    local_y = y.index_select(0, fit_rows.to(y.device)).to(features.device)
    for name in ("base_rows", "neighbors"):  # source rows -> rows of the fit set
        if name in tensors:
            tensors[name] = torch.searchsorted(fit_rows, tensors[name])
    oversampler._restore(features, local_y, labels, tensors)
    return fit_rows

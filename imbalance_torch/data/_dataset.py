"""``SMOTEDataset``: the training rows plus fresh synthetic rows every epoch."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from imbalance_torch._search import block_of
from imbalance_torch._validation import (
    as_feature_tensor,
    as_label_tensor,
    check_int,
    check_seed,
    describe,
)
from imbalance_torch.data._encoding import ENCODED_BASE, MAX_CLASSES, MAX_SLOT, decode, encode
from imbalance_torch.data._fields import Batch, ItemLayout, build_layout
from imbalance_torch.data._out_of_core import (
    fit_out_of_core,
    load_out_of_core,
    save_out_of_core,
    source_rows,
)
from imbalance_torch.data._read import Columns, read_columns
from imbalance_torch.data._sources import FeatureSource, as_source
from imbalance_torch.oversample import SMOTE, Oversampler, RandomOverSampler, SyntheticDraw
from imbalance_torch.targets import SamplingStrategy, oversampling_targets

__all__ = ["SMOTEDataset"]

_CPU_CHUNK = 16384


def _oversampler_params(oversampler: Oversampler, layout: ItemLayout | None) -> dict[str, Any]:
    """The oversampler's settings, with a wrapped dataset's categorical columns added."""
    params = oversampler.get_params()
    if layout is None or not layout.categorical_columns:
        return params
    named = f"categorical={layout.categorical_names if len(layout.categorical_names) > 1 else layout.categorical_names[0]!r}"
    if "categorical_features" in params:
        if params["categorical_features"] is not None:
            raise ValueError(
                f"{named} places the categorical fields in the engine's columns, and "
                f"oversampler={oversampler!r} names categorical_features too; for a wrapped "
                f"dataset name them once, by field: pass the oversampler without "
                f"categorical_features, e.g. SMOTE(k_neighbors=5) (SMOTE with categorical "
                f"columns is SMOTE-NC)."
            )
        params["categorical_features"] = list(layout.categorical_columns)
        return params
    if isinstance(oversampler, RandomOverSampler) and oversampler.shrinkage is None:
        return params  # exact duplicates copy the codes
    raise ValueError(
        f"{named} needs an oversampler that takes categorical_features (SMOTE, "
        f"BorderlineSMOTE, ADASYN) or RandomOverSampler() without shrinkage; "
        f"{oversampler!r} would interpolate or perturb the codes."
    )


# NOTE [generation threads]: a CPU batch is a handful of short element-wise passes, each one
# of torch's intra-op parallel regions. When other processes keep the cores busy, every region
# waits for a descheduled thread: on the 2-core machine, 65,536-row fetches took 1.6-2.0 s
# with torch's 2 threads against 0.14-0.19 s with one, under load (benchmarks/threads.py).
# So CPU generation runs in num_threads=1 by default (set around each fetch and restored,
# ~12 us); parallelism comes from DataLoader workers, which stay fast under load. GPU data is
# not affected. num_threads=None keeps torch's own setting.
def _generation_threads(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: SMOTEDataset, *args: Any, **kwargs: Any) -> Any:
        wanted = self.num_threads
        device = getattr(self.features, "device", torch.device("cpu"))
        if wanted is None or device.type != "cpu" or torch.get_num_threads() == wanted:
            return method(self, *args, **kwargs)
        previous = torch.get_num_threads()
        torch.set_num_threads(wanted)
        try:
            return method(self, *args, **kwargs)
        finally:
            torch.set_num_threads(previous)

    return wrapper


class SMOTEDataset(Dataset):
    """The training rows followed by one epoch's synthetic minority rows, generated on the fly.

    The oversampler is fitted once here (neighbour index, danger sets, weights); each synthetic
    row is then computed when it is fetched, from ``(seed, epoch, class, slot)`` alone
    (NOTE [counter-based draws]), so nothing oversampled is ever materialised and every epoch
    gets fresh rows. Items are ``(features, label)``; indexing with a tensor, list or slice
    returns a whole batch ``(features (b, d), labels (b,))`` with one gather.

    For training, pair it with :class:`BalancedSampler` and let the sampler yield whole
    batches: ``DataLoader(ds, sampler=BalancedSampler(ds, batch_size=1024), batch_size=None)``.
    The sampler writes the epoch into the indices (NOTE [epoch-carrying indices]), so workers,
    persistent or not, always produce the right epoch's rows.

    **Wrapping a dataset.** ``X`` may also be a map-style :class:`torch.utils.data.Dataset`
    (your own class, a ``Subset`` from ``random_split``, a ``ConcatDataset``) whose items are
    ``(features, label)`` tuples or dicts of fields. Its items are read once, in batches
    (NOTE [reading a wrapped dataset]), and every field is named by an argument below; items
    come out with the same keys (dicts) or positions (tuples), for real and synthetic rows
    alike, and a batch index gives one dict (or tuple) of batched tensors. Each field follows
    a declared rule (NOTE [fields of a wrapped dataset]): features interpolated, categorical
    codes by the oversampler's neighbour vote, the sample weight by ``weight_policy``, ids
    ``-1`` on synthetic rows (:meth:`provenance` gives their parents' ids). ``fetch`` still
    returns the engine's ``(features (b, d), labels (b,))``, the numeric fields followed by
    the categorical ones.

    Args:
        X: ``(n, d)`` training features: tensor (dtype and device kept), numpy array or pandas
            DataFrame of numeric columns; or a map-style ``Dataset`` to wrap; or features
            on disk, read out of core: a :class:`~imbalance_torch.data.MemmapSource`, a
            :class:`~imbalance_torch.data.ParquetSource` or an ``np.memmap`` of a file
            (NOTE [out-of-core features], NOTE [out-of-core fit]; ``fit_rows`` then lists
            the rows held in memory).
        y: ``(n,)`` integer class labels (whole-number floats accepted). Required with arrays;
            with a dataset, optional (for items that hold no label; see ``label``).
        oversampler: an unfitted :class:`~imbalance_torch.oversample.Oversampler`
            (default ``SMOTE()``).
        sampling_strategy: synthetic rows per class and epoch, imbalanced-learn's semantics
            (see :func:`~imbalance_torch.targets.oversampling_targets`).
        seed: non-negative int; with the epoch it determines every synthetic row.
        index_path: optional path of an index saved by :meth:`save_index`; loaded (and
            checked against this data, see NOTE [index content checks]) instead of fitting.
        index_key: the ``bytes`` key the index was saved with (``save_index(path, key=...)``);
            a file not signed with it is refused. ``None`` checks no signature.
        compile: generate synthetic rows through ``torch.compile`` (one fused kernel; worth
            it on GPU-resident data and very large batches; the first batch pays the compile).
            Array datasets only.
        num_threads: torch intra-op threads while CPU rows are fetched and generated
            (default 1: fast when other processes keep the cores busy; use DataLoader
            workers for parallelism, NOTE [generation threads]); ``None`` keeps torch's
            setting. Restored after each fetch; GPU data is not affected.
        features: (dataset) the field(s) holding numeric features: a dict key or tuple
            position, or a list of them (flattened and concatenated in that order). Default
            ``0`` for tuple items; required for dict items.
        label: (dataset) the field holding the class label. Default ``1`` for tuple items;
            required for dict items unless ``y`` is given (then it names where the label goes
            out, ``"label"`` or appended by default).
        categorical: (dataset) field(s) of integer category codes, handed to the oversampler
            as ``categorical_features`` (it must not name its own). Default ``None``.
        sample_weight: a field name, or ``(n,)`` weights >= 0 (also with arrays X: items
            then end with the weight). Carried to every item; see ``weight_policy``.
        ids: a field name, or ``(n,)`` integer ids >= 0. Synthetic rows get ``-1``.
        other_fields: (dataset) ``{field: policy}`` for every other field: ``"base"`` (copy
            from the base row), ``"interpolate"`` (floating fields, the features' step) or
            ``"drop"``. An undeclared field is refused.
        weight_policy: a synthetic row's weight: ``"base"`` (default: its base row's weight,
            since the row stands in for a new draw of that row) or ``"interpolate"``
            (``w_base + gap * (w_neighbor - w_base)``, the step its features took; integer
            weights then come out as float32).
        read_batch_size: (dataset) indices per batched read (default 16384).
        max_read_bytes: (dataset) refuse a read estimated larger than this (default ``None``:
            half of the memory available).

    Raises:
        TypeError: a field of the wrong type (non-numeric features, float ids), an argument
            of the wrong type, items that are neither tuples nor dicts.
        ValueError: a field name that does not exist, an undeclared field, ragged features,
            labels that are not whole numbers, a read too large, and every array check.

    Example:
        >>> import torch
        >>> X = torch.randn(100, 4); y = torch.tensor([0] * 90 + [1] * 10)
        >>> ds = SMOTEDataset(X, y, seed=0)
        >>> len(ds), ds.num_synthetic
        (180, 80)
        >>> features, labels = ds[torch.tensor([0, 1, 99, 100, 179])]  # real 0, 1, 99; synthetic
        >>> features.shape, labels.tolist()
        (torch.Size([5, 4]), [0, 0, 1, 1, 1])

        Wrapping a dataset of dict items, with a weight and an id per row:

        >>> from torch.utils.data import StackDataset
        >>> rows = StackDataset(x=X, y=y, w=torch.ones(100), card=torch.arange(100))
        >>> wrapped = SMOTEDataset(rows, features="x", label="y", sample_weight="w", ids="card")
        >>> item = wrapped[len(wrapped) - 1]  # a synthetic row
        >>> sorted(item), int(item["y"]), int(item["card"])
        (['card', 'w', 'x', 'y'], 1, -1)
        >>> batch = wrapped[torch.arange(98, 102)]  # a batch index: one dict of batched tensors
        >>> batch["x"].shape, batch["card"].tolist()
        (torch.Size([4, 4]), [98, 99, -1, -1])
    """

    def __init__(
        self,
        X: Any,
        y: Any = None,
        oversampler: Oversampler | None = None,
        sampling_strategy: SamplingStrategy = "auto",
        seed: int = 0,
        *,
        index_path: str | os.PathLike[str] | None = None,
        index_key: bytes | None = None,
        compile: bool = False,
        features: Any = None,
        label: Any = None,
        categorical: Any = None,
        sample_weight: Any = None,
        ids: Any = None,
        other_fields: Mapping[Any, str] | None = None,
        weight_policy: str = "base",
        read_batch_size: int = 16384,
        max_read_bytes: int | None = None,
        num_threads: int | None = 1,
    ) -> None:
        fields = {"features": features, "label": label, "categorical": categorical, "other_fields": other_fields}
        carried = {"sample_weight": sample_weight, "ids": ids, "weight_policy": weight_policy}
        self._layout: ItemLayout | None = None
        if isinstance(X, SMOTEDataset):
            raise TypeError("X is already a SMOTEDataset; wrap the dataset of real rows it was built from instead.")
        source = as_source(X)
        if source is not None:  # NOTE [out-of-core features]
            features, labels = source, _source_labels(source, y, {**fields, **carried, "compile": compile})
        elif isinstance(X, Dataset):
            check_int("read_batch_size", read_batch_size, minimum=1)
            if max_read_bytes is not None:
                check_int("max_read_bytes", max_read_bytes, minimum=1)
            columns = read_columns(X, read_batch_size=read_batch_size, max_read_bytes=max_read_bytes)
            self._layout = build_layout(columns, y, **fields, **carried)
            features, labels = self._layout.features, self._layout.labels
        else:
            named = [name for name, value in fields.items() if value is not None]
            if named:
                raise TypeError(
                    f"{named[0]}= names a field of a wrapped Dataset's items, but X is "
                    f"{type(X).__name__}; with arrays pass X (features) and y (labels) only."
                )
            if y is None:
                raise TypeError(f"y is required when X is {type(X).__name__}: pass one class label per row, SMOTEDataset(X, y).")
            features = as_feature_tensor(X, "X")
            labels = as_label_tensor(y, features.shape[0], features.device, "y")
            if sample_weight is not None or ids is not None or weight_policy != "base":
                columns = Columns("tuple", [0], {0: features}, type(X).__name__)
                self._layout = build_layout(columns, labels, features=0, label=None, categorical=None, other_fields=None, **carried)
        self.seed = check_seed(seed)
        if not isinstance(compile, bool):
            raise TypeError(f"compile must be a bool; got {describe(compile)}.")
        if compile and self._layout is not None:
            raise ValueError("compile=True is for array datasets without sample_weight or ids; drop it for a wrapped dataset.")
        self.compile = compile
        self._compiled = None
        if num_threads is not None:
            check_int("num_threads", num_threads, minimum=1)
        self.num_threads = num_threads
        if oversampler is None:
            oversampler = SMOTE()
        if not isinstance(oversampler, Oversampler):
            raise TypeError(
                f"oversampler must be an imbalance_torch oversampler such as SMOTE(); got "
                f"{describe(oversampler)} of type {type(oversampler).__name__}."
            )
        # fit a fresh copy: one oversampler object passed to two datasets must not tie them
        oversampler = type(oversampler)(**_oversampler_params(oversampler, self._layout))
        targets = oversampling_targets(labels, sampling_strategy)
        active = {c: n for c, n in targets.items() if n > 0}
        if len(active) > MAX_CLASSES:
            raise ValueError(f"{len(active)} classes to over-sample; at most {MAX_CLASSES} are supported.")
        _check_slot_counts(active, "sampling_strategy")
        #: rows of the source behind the oversampler's row indices (out of core), else None
        self.fit_rows: torch.Tensor | None = None
        if index_path is None:
            if index_key is not None:
                raise ValueError("index_key is given but index_path is None; the key checks a saved index. Pass index_path=... or drop index_key.")
            if source is not None:
                self.fit_rows = fit_out_of_core(oversampler, source, labels, targets)
            else:
                oversampler.fit(features, labels, targets)
        elif source is not None:
            self.fit_rows = load_out_of_core(oversampler, index_path, source, labels, targets, key=index_key)
        else:
            oversampler.load(index_path, features, labels, targets, key=index_key)
        self.features = features
        self.labels = labels
        self.oversampler = oversampler
        self.sampling_strategy = sampling_strategy
        self.epoch = 0
        self.num_real = int(features.shape[0])
        self._served_by: str | None = None
        self._set_counts(targets)

    def _set_counts(self, targets: dict[int, int]) -> None:
        self.target_counts = dict(targets)
        fitted = self.oversampler.classes_.tolist()
        counts = torch.tensor([targets.get(c, 0) for c in fitted], dtype=torch.int64)
        self._block_end = torch.cumsum(counts, 0).to(self.features.device)
        self._block_start = self._block_end - counts.to(self.features.device)
        self.num_synthetic = int(counts.sum())

    # NOTE [one epoch mix]: a SMOTEDataset's length is the epoch its sampler serves. A
    # BalancedSampler with the default oversampling serves the dataset's own target_counts; one
    # with an explicit oversampling whose counts differ overrides them here (documented), and
    # len(dataset), target_counts and num_synthetic follow. A second sampler asking for other
    # counts is refused, so two samplers can never silently disagree about one dataset.
    def serve_counts(self, added: dict[int, int], *, source: str) -> None:
        """Serve ``added`` synthetic rows per class and epoch (called by the sampler).

        Args:
            added: ``{class: rows to add}``; classes must be among :attr:`classes`.
            source: who asks, for messages (e.g. ``"BalancedSampler(oversampling=0.5)"``).

        Raises:
            ValueError: a class that was not fitted, or counts that differ from those another
                sampler already set on this dataset.
        """
        wanted = {c: int(n) for c, n in added.items() if n > 0}
        current = {c: n for c, n in self.target_counts.items() if n > 0}
        if wanted == current:
            return
        _check_slot_counts(wanted, source)
        unknown = sorted(set(wanted) - set(self.classes))
        if unknown:
            raise ValueError(
                f"{source} adds rows to class(es) {unknown}, but the SMOTEDataset was fitted to "
                f"over-sample {self.classes} only; include them in the dataset's sampling_strategy."
            )
        if self._served_by is not None:
            raise ValueError(
                f"{source} asks this SMOTEDataset for {wanted} synthetic rows per epoch, but "
                f"{self._served_by} already set it to serve {current} (its len is "
                f"{len(self)}); one dataset serves one epoch mix. Give each sampler its own "
                f"SMOTEDataset, or use the same oversampling."
            )
        self._served_by = source
        self._set_counts({c: wanted.get(c, 0) for c in self.target_counts})

    # -- size and epoch --------------------------------------------------------------------
    def __len__(self) -> int:
        return self.num_real + self.num_synthetic

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch used by plain (un-encoded) synthetic indices."""
        self.epoch = check_seed(epoch, "epoch")

    @property
    def classes(self) -> list[int]:
        """The classes that receive synthetic rows, ascending."""
        return self.oversampler.classes_.tolist()

    def synthetic_indices(self, label: int, count: int, epoch: int, start: int = 0) -> torch.Tensor:
        """Encoded indices of synthetic slots ``start .. start + count - 1`` of class
        ``label`` in ``epoch`` (for samplers; NOTE [epoch-carrying indices])."""
        position = self.oversampler.class_positions(torch.tensor([label], device=self.features.device))
        slots = torch.arange(start, start + count, dtype=torch.int64)
        return encode(epoch, position.cpu(), slots)

    # -- fetching --------------------------------------------------------------------------
    def _as_index_tensor(self, index: Any) -> torch.Tensor:
        if isinstance(index, slice):  # only the rows asked for, never the whole epoch
            rows = range(len(self))[index]
            return torch.arange(rows.start, rows.stop, rows.step, dtype=torch.int64)
        tensor = torch.as_tensor(index)
        if tensor.dtype == torch.bool or tensor.is_floating_point() or tensor.is_complex():
            raise TypeError(f"indices must be integers; got dtype {tensor.dtype}.")
        return tensor.to(torch.int64).flatten()

    def _check_range(self, index: torch.Tensor) -> None:
        bad = (index < 0) | ((index >= len(self)) & (index < ENCODED_BASE))
        if bool(bad.any()):
            raise IndexError(f"index {int(index[bad][0])} is out of range for a SMOTEDataset of length {len(self)}.")

    def _coordinates(self, synthetic: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int | None]:
        """``(class position, slot, epoch)`` of synthetic indices; ``epoch`` is ``None`` when
        the indices span several epochs (then use :meth:`_epochs`)."""
        low, high = torch.aminmax(synthetic)
        if int(low) >= ENCODED_BASE:  # the sampler's encoded indices
            epoch, position, slot = decode(synthetic)
            if int(position.max()) >= len(self.oversampler.classes_):
                raise IndexError("an encoded index names a class this dataset does not over-sample.")
            first, last = torch.aminmax(epoch)
            return position, slot, int(first) if int(first) == int(last) else None
        if int(high) < ENCODED_BASE:  # plain indices: this dataset's own epoch
            offset = synthetic - self.num_real
            position = block_of(offset, self._block_end)
            return position, offset - self._block_start.index_select(0, position), self.epoch
        return self._coordinates_mixed(synthetic)

    def _coordinates_mixed(self, synthetic: torch.Tensor):
        encoded = synthetic >= ENCODED_BASE
        position = torch.empty_like(synthetic)
        slot = torch.empty_like(synthetic)
        for mask in (encoded, ~encoded):
            part_position, part_slot, _ = self._coordinates(synthetic[mask])
            position[mask], slot[mask] = part_position, part_slot
        return position, slot, None

    def _epochs(self, synthetic: torch.Tensor) -> torch.Tensor:
        epoch = torch.full_like(synthetic, self.epoch)
        encoded = synthetic >= ENCODED_BASE
        epoch[encoded] = decode(synthetic[encoded])[0]
        return epoch

    def _keys(self, epoch: int) -> torch.Tensor:
        return self.oversampler.class_keys(self.seed, epoch)

    def _groups(self, synthetic: torch.Tensor) -> list[tuple[torch.Tensor | None, torch.Tensor, torch.Tensor, torch.Tensor]]:
        """``(mask, class position, slot, key table)`` per epoch present (normally one group,
        with ``mask=None``)."""
        position, slot, epoch = self._coordinates(synthetic)
        if epoch is not None:
            return [(None, position, slot, self._keys(epoch))]
        epochs = self._epochs(synthetic)
        groups = []
        for e in epochs.unique().tolist():
            mask = epochs == e
            groups.append((mask, position[mask], slot[mask], self._keys(int(e))))
        return groups

    def _draw(self, synthetic: torch.Tensor) -> list[tuple[torch.Tensor | None, SyntheticDraw]]:
        return [(mask, self.oversampler.draw_at(p, s, t)) for mask, p, s, t in self._groups(synthetic)]

    def _rows_at(self, position: torch.Tensor, slot: torch.Tensor, table: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        generate = self.oversampler.rows_at
        if self.compile:
            if self._compiled is None:
                self._compiled = torch.compile(self.oversampler.rows_at, dynamic=True)
            generate = self._compiled
        n = len(slot)
        if self.features.device.type != "cpu" or n <= _CPU_CHUNK:
            return generate(position, slot, table)
        # NOTE [cache-sized chunks]: on CPU, generating 16k rows at a time keeps the gathered
        # rows and intermediates in cache; one pass over a whole epoch is several times slower.
        out = torch.empty((n, self.features.shape[1]), dtype=self.features.dtype)
        labels = torch.empty(n, dtype=torch.int64)
        for start in range(0, n, _CPU_CHUNK):
            stop = min(start + _CPU_CHUNK, n)
            labels[start:stop] = generate(position[start:stop], slot[start:stop], table, out=out[start:stop])[1]
        return out, labels

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_compiled"] = None  # compiled code stays in its process; workers compile their own
        return state

    @_generation_threads
    def fetch(self, index: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Batched fetch: ``(features (b, d), labels (b,))`` for any mix of real and synthetic
        indices, with one gather for the real rows and one batched generation for the rest."""
        index = self._as_index_tensor(index).to(self.features.device)
        self._check_range(index)
        synthetic = index >= self.num_real
        synthetic_at = synthetic.nonzero().squeeze(1)
        if len(synthetic_at) == 0:
            return self.features.index_select(0, index), self.labels.index_select(0, index)
        groups = self._groups(index.index_select(0, synthetic_at))
        if len(synthetic_at) == len(index) and len(groups) == 1:  # all synthetic: no copies
            return self._rows_at(*groups[0][1:])
        real_at = (~synthetic).nonzero().squeeze(1)
        out = torch.empty((len(index), self.features.shape[1]), dtype=self.features.dtype, device=self.features.device)
        out_labels = torch.empty(len(index), dtype=torch.int64, device=self.features.device)
        if len(real_at):
            rows = index.index_select(0, real_at)
            out.index_copy_(0, real_at, self.features.index_select(0, rows))
            out_labels.index_copy_(0, real_at, self.labels.index_select(0, rows))
        for mask, position, slot, table in groups:
            at = synthetic_at if mask is None else synthetic_at[mask]
            rows, labels = self._rows_at(position, slot, table)
            out.index_copy_(0, at, rows)
            out_labels.index_copy_(0, at, labels)
        return out, out_labels

    @_generation_threads
    def _parts(self, index: Any) -> Batch:
        """A wrapped dataset's batch: engine rows and labels with each row's base row,
        neighbour and gap (one gather for the real rows, one batched draw for the rest)."""
        index = self._as_index_tensor(index).to(self.features.device)
        self._check_range(index)
        synthetic = index >= self.num_real
        base = torch.where(synthetic, 0, index)
        neighbor = torch.full_like(index, -1)
        gap = torch.zeros(len(index), dtype=torch.float64, device=index.device)
        rows, labels = self.features.index_select(0, base), self.labels.index_select(0, base)
        at = synthetic.nonzero().squeeze(1)
        if len(at):
            synthetic_index = index.index_select(0, at)
            for mask, p, s, t in self._groups(synthetic_index):
                draw, drawn_rows = self.oversampler.draw_rows_at(p, s, t)
                where = at if mask is None else at[mask]
                rows.index_copy_(0, where, drawn_rows)
                labels.index_copy_(0, where, draw.label)
                base.index_copy_(0, where, draw.base)
                neighbor.index_copy_(0, where, draw.neighbor)
                gap.index_copy_(0, where, draw.gap.to(torch.float64))
        return Batch(rows, labels, base, neighbor, gap, synthetic)

    @staticmethod
    def _single(index: Any) -> int | None:
        """The row an int-like index names; ``None`` for a batch index."""
        if isinstance(index, bool):
            raise TypeError(f"index must be an int, a tensor, a list or a slice; got the bool {index}.")
        if isinstance(index, (int, torch.SymInt)) or (isinstance(index, torch.Tensor) and index.dim() == 0):
            return int(index)
        if hasattr(index, "__index__") and not isinstance(index, torch.Tensor):
            return index.__index__()
        return None

    def __getitem__(self, index: Any) -> Any:
        """Items: ``(features, label)`` for arrays; for a wrapped dataset (or with
        ``sample_weight``/``ids``) a dict or tuple of its fields. A batch index (tensor, list,
        slice) gives one item of batched values."""
        row = self._single(index)
        if self._layout is not None:
            items = self._layout.batch(self._parts(index if row is None else [row]))
            return items if row is None else self._layout.row(items, 0)
        if row is None:
            return self.fetch(index)
        features, labels = self.fetch([row])
        return features[0], labels[0]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """DataLoader's batched fetch: one gather, returned as rows for ``collate_fn``.

        NOTE [plain loader rows]: torch passes this list through ``collate_fn``, which
        re-stacks it, so the plain ``DataLoader(ds, batch_size=B, shuffle=True)`` path costs
        one view per row and field plus the stack. Labels of CPU data are handed over as
        Python ints (``default_collate`` makes them the same int64 batch tensor with one
        ``torch.tensor`` call instead of stacking B zero-dimensional views): half the collate
        time of a 1,024-row batch (benchmarks/plain_loader.py). ``ds[i]`` still returns a
        0-d tensor label; the batched fast path (:meth:`dataloader`) skips collation entirely.
        """
        if self._layout is not None:
            items = self._layout.batch(self._parts(indices))
            return [self._layout.row(items, i) for i in range(len(indices))]
        features, labels = self.fetch(indices)
        rows = features.unbind(0)
        if labels.device.type == "cpu" and labels.dtype == torch.int64:  # collates to int64
            return list(zip(rows, labels.tolist()))
        return list(zip(rows, labels.unbind(0)))

    # -- provenance ------------------------------------------------------------------------
    def dataloader(
        self,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int | None = None,
        stratify_batches: bool = False,
        drop_last: bool = False,
        **loader_kwargs: Any,
    ) -> DataLoader:
        """The fast path in one call: ``DataLoader(self, sampler=BalancedSampler(self,
        batch_size=batch_size, ...), batch_size=None)``, serving this dataset's own mix.

        Each batch is one gather plus one batched generation (the plain
        ``DataLoader(ds, batch_size=..., shuffle=True)`` fetches row by row and collates).
        Call ``loader.sampler.set_epoch(epoch)`` each epoch for fresh rows (Lightning does).

        Args:
            batch_size: rows per batch.
            shuffle: shuffle each epoch.
            seed: the sampler's seed (default: this dataset's ``seed``).
            stratify_batches: every batch holds the epoch's class mix (on every DDP rank).
            drop_last: drop each rank's last incomplete batch.
            **loader_kwargs: passed to :class:`~torch.utils.data.DataLoader` (e.g.
                ``num_workers``, ``pin_memory``); ``batch_size``, ``shuffle`` and ``sampler``
                are set here.

        Returns:
            A DataLoader yielding ``(features (b, d), labels (b,))`` batches (dicts or tuples
            of batched fields for a wrapped dataset).

        Raises:
            TypeError: ``loader_kwargs`` sets ``sampler``, ``batch_sampler`` or ``shuffle``.
        """
        from imbalance_torch.data._sampler import BalancedSampler

        clash = sorted({"sampler", "batch_sampler", "shuffle", "batch_size"} & set(loader_kwargs))
        if clash:
            raise TypeError(f"dataloader() sets {clash} itself; pass the sampler's settings as its own arguments.")
        sampler = BalancedSampler(
            self,
            batch_size=batch_size,
            seed=self.seed if seed is None else seed,
            shuffle=shuffle,
            stratify_batches=stratify_batches,
            drop_last_batch=drop_last,
        )
        return DataLoader(self, sampler=sampler, batch_size=None, **loader_kwargs)

    def provenance(self, index: Any) -> dict[str, torch.Tensor]:
        """Where rows come from.

        Returns:
            A dict of ``(b,)`` tensors: ``is_synthetic``; ``base_index`` (the real row itself
            for real rows); ``neighbor_index`` (``-1`` for real rows and random over-sampling);
            ``gap`` (0 for real rows); ``label``; ``epoch``, ``slot`` (``-1`` for real rows).
            With ``ids``, also ``id`` (``-1`` for synthetic rows), ``base_id`` and
            ``neighbor_id`` (``-1`` where there is no neighbour).
        """
        result = self._provenance(index)
        if self._layout is not None and self._layout.ids is not None:
            ids = self._layout.ids
            base = result["base_index"].to(ids.device)
            neighbor = result["neighbor_index"].to(ids.device)
            result["base_id"] = ids.index_select(0, base)
            result["id"] = result["base_id"].masked_fill(result["is_synthetic"].to(ids.device), -1)
            result["neighbor_id"] = ids.index_select(0, neighbor.clamp(min=0)).masked_fill_(neighbor < 0, -1)
        return result

    def _provenance(self, index: Any) -> dict[str, torch.Tensor]:
        index = self._as_index_tensor(index).to(self.features.device)
        self._check_range(index)
        device = self.features.device
        n = len(index)
        synthetic = index >= self.num_real
        result = {
            "is_synthetic": synthetic,
            "base_index": torch.where(synthetic, -1, index),
            "neighbor_index": torch.full((n,), -1, dtype=torch.int64, device=device),
            "gap": torch.zeros(n, dtype=torch.float64, device=device),
            "label": self.labels[torch.where(synthetic, 0, index)],
            "epoch": torch.full((n,), -1, dtype=torch.int64, device=device),
            "slot": torch.full((n,), -1, dtype=torch.int64, device=device),
        }
        at = synthetic.nonzero().squeeze(1)
        if len(at) == 0:
            return result
        rows = index[at]
        result["epoch"][at] = self._epochs(rows)
        result["slot"][at] = self._coordinates(rows)[1]
        for mask, draw in self._draw(rows):
            where = at if mask is None else at[mask]
            result["base_index"][where] = self._source_rows(draw.base)
            result["neighbor_index"][where] = self._source_rows(draw.neighbor)
            result["gap"][where] = draw.gap.to(torch.float64)
            result["label"][where] = draw.label
        return result

    # -- index files -----------------------------------------------------------------------
    def save_index(self, path: str | os.PathLike[str], *, key: bytes | None = None) -> None:
        """Save the fitted neighbour index (safe ``.npz``, see NOTE [index file format]).

        Args:
            path: the file to write (atomically).
            key: optional secret ``bytes`` kept outside the file (e.g. ``os.urandom(32)``);
                the file is signed with HMAC-SHA256 and loads only with
                ``SMOTEDataset(..., index_path=path, index_key=key)``.
        """
        if isinstance(self.features, FeatureSource) and self.fit_rows is not None:
            save_out_of_core(self.oversampler, self.fit_rows, self.features, self.labels, path, key=key)
            return
        self.oversampler.save(path, key=key)

    def _source_rows(self, rows: torch.Tensor) -> torch.Tensor:
        """The oversampler's row indices as training rows (out of core they index the fit
        set, NOTE [out-of-core fit]); ``-1`` stays ``-1``."""
        return rows if self.fit_rows is None else source_rows(self.fit_rows, rows)

    def __repr__(self) -> str:
        wrapped = "" if self._layout is None else f"wrapped={self._layout.source}, "
        return (
            f"SMOTEDataset({wrapped}num_real={self.num_real}, num_synthetic={self.num_synthetic}, "
            f"oversampler={self.oversampler!r}, target_counts={self.target_counts}, seed={self.seed})"
        )


def _source_labels(source: FeatureSource, y: Any, options: dict[str, Any]) -> torch.Tensor:
    """Labels for features read out of core; the options that need in-memory features are
    refused (NOTE [out-of-core features])."""
    named = [name for name, value in options.items() if not (value is None or value is False or (isinstance(value, str) and value == "base"))]
    if named:
        raise ValueError(
            f"{named[0]}= is not supported with features read out of core ({source!r}); pass "
            f"SMOTEDataset(source, y) with the labels only, or load the features into memory."
        )
    if y is None:
        raise TypeError(f"y is required with {source!r}: pass one class label per row (labels stay in memory, 8 bytes per row).")
    return as_label_tensor(y, len(source), torch.device("cpu"), "y")


def _check_slot_counts(added: dict[int, int], source: str) -> None:
    """Synthetic rows per class and epoch are bounded by the slot field of an encoded index
    (NOTE [epoch-carrying indices]): refuse more before any work."""
    over = {c: n for c, n in added.items() if n > MAX_SLOT + 1}
    if over:
        raise ValueError(
            f"{source} asks for {over} synthetic rows per epoch; at most {MAX_SLOT + 1:,} per "
            f"class and epoch are supported. Lower the target, or under-sample the majority."
        )

"""Pull ``(features, labels, row ids)`` out of a batch of any item structure ``SMOTEDataset`` yields.

The ranking losses (``imbalance_torch.losses.AveragePrecisionLoss`` and the DRO form of
``PartialAUCLoss``) key their state by row id, and a synthetic row must pass its base row's
id (NOTE [row ids of the ranking losses] in ``imbalance_torch/losses/_ranking.py``). The
``ids`` field of ``SMOTEDataset`` marks synthetic rows with ``-1`` (they are no observation),
so the id the losses need is a copy of the id field under the ``"base"`` policy, which every
row, synthetic or real, takes from its base row::

    SMOTEDataset(rows, features="x", label="y", ids="id", other_fields={"row": "base"})

and ``batch_fields(batch, features="x", label="y", ids="row")``.
"""

from __future__ import annotations

from typing import Any

import torch

from imbalance_torch._validation import describe

__all__ = ["batch_fields"]


def batch_fields(
    batch: Any, *, features: Any = 0, label: Any = 1, ids: Any = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return ``(features, labels, ids)`` from a batch that is a tuple/list or a dict of fields.

    Args:
        batch: A batch from a ``SMOTEDataset`` loader: a tuple (or list) or a dict of batched
            tensors.
        features: The features' key or position (default 0).
        label: The label's key or position (default 1).
        ids: The row ids' key or position (required): a field whose synthetic rows carry
            their base row's id (``other_fields={name: "base"}``, see the module docstring).

    Returns:
        ``(features, labels, ids)``, ids as int64 ``(b,)``.

    Raises:
        TypeError: ``batch`` is neither a tuple/list nor a dict; a field is not a tensor or
            ids are not integers.
        ValueError: ``ids`` not given; a key or position the batch lacks; ids of ``-1``
            (synthetic rows of the dataset's ``ids`` field).

    Example:
        >>> batch = {"x": torch.zeros(2, 3), "y": torch.tensor([1, 0]), "row": torch.tensor([4, 4])}
        >>> [tuple(t.shape) for t in batch_fields(batch, features="x", label="y", ids="row")]
        [(2, 3), (2,), (2,)]
    """
    if ids is None:
        raise ValueError(
            "ids is required: name the field holding each row's id (for synthetic rows, their "
            "base row's id: declare it with other_fields={'row': 'base'} on the SMOTEDataset)."
        )
    if isinstance(batch, dict):
        kind = "dict"
    elif isinstance(batch, (tuple, list)):
        kind = "tuple"
    else:
        raise TypeError(
            f"batch must be a tuple, list or dict of batched fields, got {type(batch).__name__}; "
            "pass what the SMOTEDataset loader yields."
        )
    out = []
    for name, key in (("features", features), ("label", label), ("ids", ids)):
        try:
            value = batch[key]
        except (KeyError, IndexError, TypeError):
            fields = list(batch) if kind == "dict" else f"positions 0..{len(batch) - 1}"
            raise ValueError(
                f"{name}={key!r} is not in the {kind} batch (it has {fields}); pass the right {name}=."
            ) from None
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"{name}={key!r} holds {describe(value)}, not a tensor; batch the loader (a SMOTEDataset loader does)."
            )
        out.append(value)
    row_ids = out[2]
    if row_ids.is_floating_point() or row_ids.dtype == torch.bool or row_ids.is_complex():
        raise TypeError(f"ids={ids!r} holds dtype {row_ids.dtype}; row ids must be integers.")
    if row_ids.numel() and int(row_ids.min()) < 0:
        raise ValueError(
            f"ids={ids!r} holds {int(row_ids.min())}: SMOTEDataset's ids field marks synthetic rows "
            "with -1, but a ranking loss needs their base row's id; declare a copy of the id field "
            "with other_fields={'row': 'base'} (a tuple position for tuple items) and pass ids='row'."
        )
    return out[0], out[1], row_ids.to(torch.int64)

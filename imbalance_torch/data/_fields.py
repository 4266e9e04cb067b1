"""The fields of a wrapped dataset: how items map to the engine's layout and back.

NOTE [fields of a wrapped dataset]: every field of a wrapped dataset's items is declared, by
one argument of ``SMOTEDataset``, and follows one rule for synthetic rows:

* ``features`` (numeric, one or several fields): flattened and concatenated, in the order
  given, into the engine's ``(n, d)`` matrix; interpolated as the oversampler says, then cast
  back to each field's shape and dtype (integer fields truncated toward zero, as
  imbalanced-learn does);
* ``categorical`` (integer codes): appended after the numeric columns and handed to the
  oversampler as ``categorical_features``; the family's vote (the code most frequent among the
  base row's neighbours) fills them;
* ``label``: the class the synthetic row was drawn for;
* ``sample_weight``: ``weight_policy="base"`` (default) gives a synthetic row its base row's
  weight: the row stands in for a new draw of its base row, as random over-sampling would copy
  it, so the weight of an observation travels with it; ``"interpolate"`` gives
  ``w_base + gap * (w_neighbor - w_base)``, the same step its features took;
* ``ids``: ``-1`` for synthetic rows (they are no observation); ``provenance`` gives their base
  and neighbour ids;
* any other field: ``other_fields={name: policy}`` with ``"base"`` (copied from the base row),
  ``"interpolate"`` (floating fields: the features' step) or ``"drop"`` (left out of the items);
  an undeclared field is refused, so nothing is carried by a rule nobody chose.

Real and synthetic rows leave with the same fields, shapes and dtypes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from imbalance_torch._validation import as_feature_tensor, as_label_tensor, describe
from imbalance_torch.data._read import Columns

__all__ = ["FIELD_POLICIES", "WEIGHT_POLICIES", "Batch", "ItemLayout", "build_layout"]

WEIGHT_POLICIES = ("base", "interpolate")
FIELD_POLICIES = ("base", "interpolate", "drop")
SYNTHETIC_ID = -1


@dataclass
class Batch:
    """Where a batch of rows comes from (real rows: ``base`` is the row, ``neighbor`` -1).

    Attributes:
        rows: ``(b, d)`` engine features; ``labels``: ``(b,)`` int64;
        base, neighbor: ``(b,)`` real row indices (``neighbor`` -1 where none);
        gap: ``(b,)`` float64, 0 for real rows; ``synthetic``: ``(b,)`` bool.
    """

    rows: torch.Tensor
    labels: torch.Tensor
    base: torch.Tensor
    neighbor: torch.Tensor
    gap: torch.Tensor
    synthetic: torch.Tensor


@dataclass
class _Field:
    key: Any  # dict key or tuple position of the items out
    role: str  # features | categorical | label | sample_weight | ids | base | interpolate
    values: torch.Tensor | np.ndarray | None = None  # (n, *shape) for fields not in the engine
    shape: tuple[int, ...] = ()
    dtype: torch.dtype | None = None
    columns: slice | None = None  # engine columns of features / categorical fields


@dataclass
class ItemLayout:
    """The fields of the items out, in order, and the engine tensors built from them."""

    kind: str
    fields: list[_Field]
    features: torch.Tensor
    labels: torch.Tensor
    categorical_columns: list[int]
    categorical_names: list[Any]
    weight_policy: str
    source: str
    ids: torch.Tensor | None = None

    def batch(self, parts: Batch) -> dict[Any, Any] | tuple[Any, ...]:
        """The items of a batch: a dict (or tuple) of ``(b, *shape)`` values."""
        out = [(f.key, self._value(f, parts)) for f in self.fields]
        return dict(out) if self.kind == "dict" else tuple(value for _, value in out)

    def row(self, items: dict[Any, Any] | tuple[Any, ...], i: int) -> dict[Any, Any] | tuple[Any, ...]:
        """Row ``i`` of a batch made by :meth:`batch`."""
        if isinstance(items, dict):
            return {key: value[i] for key, value in items.items()}
        return tuple(value[i] for value in items)

    def _value(self, f: _Field, parts: Batch) -> Any:
        n = len(parts.base)
        if f.role in ("features", "categorical"):
            return parts.rows[:, f.columns].reshape(n, *f.shape).to(f.dtype)
        if f.role == "label":
            return parts.labels.reshape(n, *f.shape).to(f.dtype)
        values: Any = f.values
        if isinstance(values, np.ndarray):  # non-numeric field, policy "base"
            return values[parts.base.cpu().numpy()].tolist()
        base = parts.base.to(values.device)
        if f.role == "ids":
            return values.index_select(0, base).masked_fill_(parts.synthetic.to(values.device), SYNTHETIC_ID)
        if f.role == "interpolate" or (f.role == "sample_weight" and self.weight_policy == "interpolate"):
            return _lerp(values, base, parts.neighbor.to(values.device), parts.gap.to(values.device))
        return values.index_select(0, base)


def _lerp(values: torch.Tensor, base: torch.Tensor, neighbor: torch.Tensor, gap: torch.Tensor) -> torch.Tensor:
    """``v[base] + gap * (v[neighbor] - v[base])``; ``v[base]`` where there is no neighbour."""
    start = values.index_select(0, base)
    has = neighbor >= 0
    end = values.index_select(0, torch.where(has, neighbor, base))
    work = torch.float64 if values.dtype == torch.float64 else torch.float32
    step = gap.to(work).reshape(-1, *([1] * (values.dim() - 1)))
    out = start.to(work) + step * (end.to(work) - start.to(work))
    return out.to(values.dtype) if values.is_floating_point() else out


# -- building the layout -------------------------------------------------------------------


def _names(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    return [value]


def _is_name(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _check_key(columns: Columns, argument: str, key: Any) -> None:
    if columns.kind == "dict":
        if key not in columns.values:
            raise ValueError(
                f"{argument}={key!r} is not a field of the items of {columns.source}; their "
                f"fields are {sorted(map(str, columns.keys))}."
            )
        return
    if isinstance(key, bool) or not isinstance(key, int):
        raise TypeError(
            f"{argument}={key!r}: the items of {columns.source} are tuples, so fields are named "
            f"by position (an int in 0..{len(columns.keys) - 1})."
        )
    if key not in columns.values:
        raise ValueError(
            f"{argument}={key} is out of range: the items of {columns.source} are tuples of "
            f"{len(columns.keys)} fields (positions 0..{len(columns.keys) - 1})."
        )


def _where(columns: Columns, key: Any) -> str:
    return f"field {key!r}" if columns.kind == "dict" else f"position {key}"


def _numeric(columns: Columns, argument: str, key: Any, rule: str) -> torch.Tensor:
    value = columns.values[key]
    if isinstance(value, np.ndarray) or value.dtype == torch.bool or value.is_complex():
        seen = describe(value[0]) if len(value) else "nothing"
        what = "bool" if isinstance(value, torch.Tensor) and value.dtype == torch.bool else "non-numeric"
        raise TypeError(
            f"{argument}={key!r} names the {_where(columns, key)} of {columns.source}, which holds "
            f"{what} values (item 0: {seen}); {rule}"
        )
    return value


def _exact_dtype(dtype: torch.dtype, parts: list[torch.Tensor]) -> torch.dtype:
    """``dtype``, raised to float64 when an integer part would not be exact in it."""
    if not dtype.is_floating_point or dtype == torch.float64:
        return dtype
    digits = int(round(-math.log2(torch.finfo(dtype).eps))) + 1
    for part in parts:
        if not part.is_floating_point() and part.numel() and int(part.abs().max()) >= 2**digits:
            return torch.float64
    return dtype


def _engine_matrix(columns: Columns, numeric: list[Any], categorical: list[Any]) -> tuple[torch.Tensor, list[_Field], list[int]]:
    n = len(columns.values[columns.keys[0]])
    parts, fields, start = [], [], 0
    fix = "features must be numbers; encode categories as integer codes and name them in categorical=."
    for role, keys in (("features", numeric), ("categorical", categorical)):
        for key in keys:
            argument = "features" if role == "features" else "categorical"
            value = _numeric(columns, argument, key, fix if role == "features" else "categorical fields hold integer category codes.")
            if role == "categorical" and value.is_floating_point() and not bool((value == value.round()).all()):
                raise ValueError(
                    f"categorical={key!r} holds values that are not whole numbers; categorical "
                    f"fields hold integer category codes (e.g. from pd.factorize)."
                )
            flat = value.reshape(n, -1)
            fields.append(_Field(key, role, shape=tuple(value.shape[1:]), dtype=value.dtype, columns=slice(start, start + flat.shape[1])))
            start += flat.shape[1]
            parts.append(flat)
    devices = {p.device for p in parts}
    if len(devices) > 1:
        raise ValueError(f"the feature fields of {columns.source} are on several devices {sorted(map(str, devices))}; keep them on one.")
    dtype = parts[0].dtype
    for p in parts[1:]:
        dtype = torch.promote_types(dtype, p.dtype)
    dtype = _exact_dtype(dtype, parts)
    matrix = parts[0].to(dtype) if len(parts) == 1 else torch.cat([p.to(dtype) for p in parts], 1)
    categorical_columns = [c for f in fields if f.role == "categorical" for c in range(f.columns.start, f.columns.stop)]  # type: ignore[union-attr]
    return matrix, fields, categorical_columns


def _check_weights(weights: Any, where: str) -> torch.Tensor:
    if isinstance(weights, np.ndarray) or weights.dtype == torch.bool or weights.is_complex():
        raise TypeError(f"sample_weight ({where}) must hold real numbers; got {describe(weights[:3])}.")
    if weights.is_floating_point() and not bool(torch.isfinite(weights).all()):
        raise ValueError(f"sample_weight ({where}) has NaN or infinite weights; pass finite weights >= 0.")
    if weights.numel() and float(weights.min()) < 0:
        raise ValueError(f"sample_weight ({where}) has negative weights (min {float(weights.min())}); pass weights >= 0.")
    return weights


def _check_ids(ids: Any, where: str) -> torch.Tensor:
    if isinstance(ids, np.ndarray) or ids.is_floating_point() or ids.dtype == torch.bool or ids.is_complex():
        raise TypeError(
            f"ids ({where}) must hold integer ids; got {describe(ids[:3])}. Map other ids to "
            f"integers first (e.g. codes, names = pd.factorize(ids))."
        )
    if not ids.is_signed():
        ids = ids.to(torch.int64)  # an unsigned dtype cannot hold the -1 of synthetic rows
    if ids.numel() and int(ids.min()) < 0:
        raise ValueError(
            f"ids ({where}) holds negative ids (min {int(ids.min())}); {SYNTHETIC_ID} marks "
            f"synthetic rows, so real ids must be >= 0. Shift them."
        )
    return ids


def build_layout(
    columns: Columns,
    y: Any,
    *,
    features: Any,
    label: Any,
    categorical: Any,
    sample_weight: Any,
    ids: Any,
    other_fields: Mapping[Any, str] | None,
    weight_policy: str,
) -> ItemLayout:
    """Check the field arguments against the items read and build the engine's tensors
    (NOTE [fields of a wrapped dataset]).

    See :class:`~imbalance_torch.data.SMOTEDataset` for the arguments.

    Raises:
        TypeError: a field of the wrong type (text features, float ids, ...).
        ValueError: a field that does not exist, is named twice or is undeclared, a bad
            policy, labels that are not whole numbers, negative weights or ids.
    """
    if weight_policy not in WEIGHT_POLICIES:
        raise ValueError(f"weight_policy must be one of {WEIGHT_POLICIES}; got {describe(weight_policy)}.")
    if weight_policy != "base" and sample_weight is None:
        raise ValueError(f"weight_policy={weight_policy!r} needs sample_weight= (a field name or an array of weights).")
    if not isinstance(other_fields, (Mapping, type(None))):
        raise TypeError(f"other_fields must be a dict {{field: policy}}; got {describe(other_fields)}.")
    steps = _Declarations(columns)
    numeric, categorical_keys = steps.feature_names(features), _names(categorical)
    for key in categorical_keys:
        steps.declare("categorical", key)
    policies = steps.policies(other_fields or {})
    matrix, fields, categorical_columns = _engine_matrix(columns, numeric, categorical_keys)
    steps.fields = fields
    matrix = as_feature_tensor(matrix, "features")
    labels = steps.label(y, label, matrix.device)
    if sample_weight is not None:
        steps.carry("sample_weight", sample_weight, _check_weights)
    layout_ids = None if ids is None else steps.carry("ids", ids, _check_ids)
    steps.others(policies)
    return ItemLayout(
        kind=columns.kind,
        fields=steps.in_item_order(),
        features=matrix,
        labels=labels,
        categorical_columns=categorical_columns,
        categorical_names=categorical_keys,
        weight_policy=weight_policy,
        source=columns.source,
        ids=layout_ids,
    )


class _Declarations:
    """The steps of :func:`build_layout`: each field declared once, then given its rule."""

    def __init__(self, columns: Columns) -> None:
        self.columns = columns
        self.declared: dict[Any, str] = {}
        self.fields: list[_Field] = []
        self.rows = len(columns.values[columns.keys[0]])
        # carried arrays (y, sample_weight, ids) go after the last position of tuple items
        self.appended = iter(range(len(columns.keys), len(columns.keys) + 3))

    def _fields_seen(self) -> str:
        return f"the items of {self.columns.source} have fields {sorted(map(str, self.columns.keys))}"

    def declare(self, argument: str, key: Any) -> None:
        _check_key(self.columns, argument, key)
        if key in self.declared:
            raise ValueError(
                f"{_where(self.columns, key)} is named by both {self.declared[key]}= and "
                f"{argument}=; name each field once."
            )
        self.declared[key] = argument

    def feature_names(self, features: Any) -> list[Any]:
        if features is None:
            if self.columns.kind == "dict":
                raise ValueError(
                    f"features= is required for a dataset of dict items: name the field(s) "
                    f"holding numeric features; {self._fields_seen()}."
                )
            features = 0
        numeric = _names(features)
        if not numeric:
            raise ValueError("features= names no field; name at least one numeric field.")
        for key in numeric:
            self.declare("features", key)
        return numeric

    def policies(self, other_fields: Mapping[Any, str]) -> dict[Any, str]:
        for key, policy in other_fields.items():
            self.declare("other_fields", key)
            if policy not in FIELD_POLICIES:
                raise ValueError(f"other_fields[{key!r}]={describe(policy)}; the policy must be one of {FIELD_POLICIES}.")
        return dict(other_fields)

    def label(self, y: Any, label: Any, device: torch.device) -> torch.Tensor:
        """The labels (from ``y`` or the label field) and the label field of the items out."""
        columns = self.columns
        if y is None:
            if label is None and columns.kind == "dict":
                raise ValueError(f"label= is required for a dataset of dict items (or pass the labels as y=); {self._fields_seen()}.")
            label = 1 if label is None else label
            self.declare("label", label)
            values = _numeric(columns, "label", label, "labels must be integer class codes.")
            labels = as_label_tensor(values, self.rows, device, f"the label {_where(columns, label)} of {columns.source}")
            self.fields.append(_Field(label, "label", shape=tuple(values.shape[1:]), dtype=values.dtype))
            return labels
        if label is not None and (columns.kind == "tuple" or label in columns.values):
            self.declare("label", label)  # where the label goes out; its values are not used
        if label is None:
            label = "label" if columns.kind == "dict" else next(self.appended)
        self.fields.append(_Field(label, "label", dtype=torch.int64))
        return as_label_tensor(y, self.rows, device, "y")

    def carry(self, argument: str, value: Any, check: Any) -> torch.Tensor:
        """A field named by ``value``, or an array of one value per row carried beside."""
        columns = self.columns
        if _is_name(value):
            self.declare(argument, value)
            key, values, where = value, columns.values[value], f"the {_where(columns, value)}"
        else:
            key = argument if columns.kind == "dict" else next(self.appended)
            values = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
            where = "an array"
            if values.shape[:1] != (self.rows,):
                raise ValueError(f"{argument} has shape {tuple(values.shape)}; pass one value per item of {columns.source} ({self.rows}).")
            if key in columns.values:
                raise ValueError(
                    f"{argument} is an array, and the items of {columns.source} already hold a "
                    f"field {key!r}; name it instead ({argument}={key!r}) or rename the field."
                )
        checked = check(values, where)
        self.fields.append(_Field(key, argument, values=checked))
        return checked

    def others(self, policies: dict[Any, str]) -> None:
        for key, policy in policies.items():
            if policy == "drop":
                continue
            value = self.columns.values[key]
            if policy == "interpolate" and (isinstance(value, np.ndarray) or not value.is_floating_point()):
                raise TypeError(
                    f"other_fields[{key!r}]='interpolate' needs a floating-point field; the "
                    f"{_where(self.columns, key)} holds {describe(value[:1])}. Use 'base' to copy it from the base row."
                )
            self.fields.append(_Field(key, policy, values=value))

    def in_item_order(self) -> list[_Field]:
        """The fields out in the items' order (carried arrays last); undeclared ones refused."""
        undeclared = [key for key in self.columns.keys if key not in self.declared]
        if undeclared:
            raise ValueError(
                f"the items of {self.columns.source} hold field(s) {undeclared} that no argument "
                f"declares; name each as features=, categorical=, label=, sample_weight= or ids=, "
                f"or give it a policy: other_fields={{{undeclared[0]!r}: 'base'}} ('base', "
                f"'interpolate' or 'drop')."
            )
        order = {key: i for i, key in enumerate(self.columns.keys)}
        ranked = sorted(enumerate(self.fields), key=lambda pair: (order.get(pair[1].key, len(order)), pair[0]))
        return [f for _, f in ranked]

"""`Preprocessing`: the fitted train-split preprocessing, saved in checkpoints as plain values.

One object serves fit, test and predict, so they cannot drift: the data module fits it on the
train split (:func:`~imbalance_torch.lightning.datamodule.splits.split_and_preprocess`) and uses it to
build every split's features; the checkpoint stores :meth:`Preprocessing.state_dict` (lists,
strings and numbers only, so ``torch.load(weights_only=True)`` reads it); scoring applies
:meth:`Preprocessing.transform` to raw tables.

NOTE [raw tables at scoring time]: a raw table (DataFrame, CSV, Parquet, array) is checked
against the training columns before anything is computed:

* a missing feature column is an error naming it;
* extra columns are ignored with a warning naming them (``extra_columns="error"`` refuses
  them); the target column, ``drop_columns`` of training and the id column are expected and
  never reported;
* a column holding the data's own stored index (``Unnamed: 0`` of a CSV written with pandas'
  index, ``__index_level_0__`` of Parquet; the rule of training, NOTE [index columns] in
  ``lightning/tables/feature_roles.py``) is left out with a note before extra columns are looked
  for, so ``extra_columns="error"`` does not refuse a file for being written with its index;
* columns in another order are reordered by name (arrays carry no names and must come in the
  training order, :attr:`Preprocessing.input_columns`);
* a column whose kind changed (numbers in training, text now; text categories in training,
  numbers now) is a ``TypeError`` naming the column and both kinds;
* a category never seen in training is encoded as :data:`UNKNOWN_CATEGORY` (-1), which the
  model's one-hot encoding turns into an all-zero vector (no category); a warning gives the
  count per column and the first such values;
* NaN in a numeric column is filled with the train-split median when imputation was fitted
  (``impute_median=True``), and is an error naming the column and rows otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from imbalance_torch.lightning.tables.raw_columns import (
    UNKNOWN_CATEGORY,
    check_columns,
    describe_source,
    encode,
    file_columns,
    read_table,
)

if TYPE_CHECKING:
    from imbalance_torch.lightning.tables.table import Table

__all__ = [
    "PREPROCESSING_STATE_VERSION",
    "UNKNOWN_CATEGORY",
    "Preprocessing",
    "describe_source",
    "file_columns",
    "read_table",
]

PREPROCESSING_STATE_VERSION = 1

_CATEGORY_KINDS = ("number", "text")


def _category_kind(categories: Sequence[str]) -> str:
    """``number`` when every category (but a missing one, ``nan``) reads as a number."""
    for value in categories:
        if value == "nan":
            continue
        try:
            float(value)
        except ValueError:
            return "text"
    return "number"


@dataclass(frozen=True)
class Preprocessing:
    """The train split's preprocessing: columns, category codes, imputation, scaling, labels.

    Build it with :meth:`fit` (the data module does, on the train split) or
    :meth:`from_state_dict` (from a checkpoint); apply it to raw tables with
    :meth:`transform` (see NOTE [raw tables at scoring time] in this module).

    Attributes:
        input_columns: feature column names in the order of the training input (the order
            arrays must follow).
        feature_names: the model's input columns: numeric ones, then categorical ones.
        num_numeric: how many leading ``feature_names`` are numeric.
        categories: for each categorical column, its categories as text (code ``i`` is
            ``categories[j][i]``).
        category_kinds: for each categorical column, ``number`` or ``text``: what its values
            were in training.
        impute_values: train-split median of each numeric column, or None (NaN refused).
        means: train-split mean of each numeric column, or None (no scaling).
        scales: train-split standard deviation of each numeric column (1 for constant ones).
        class_names: original label of each class code.
        positive_class: code of the positive class (1 for binary data, None otherwise).
        target: name of the label column (ignored when present at scoring time).
        ignored_columns: columns left out in training (``drop_columns``), ignored silently.
        split: how the rows were split, for reports (``kind``, ``seed``, fractions, rows per
            split); later split kinds add their own keys (e.g. a time range).
        source: the training data, for messages.
        csv_dialect: the CSV dialect of the training file (``sep``, ``decimal``) when it was
            not the default; files to score are read with it.
        feature_roles: every column's role (``{"column", "role", "note"}``: ``numeric``,
            ``categorical``, or ``dropped`` and why;
            :func:`~imbalance_torch.lightning.tables.feature_roles.feature_roles`). Dropped columns
            are neither required nor reported as extra at scoring time.
    """

    input_columns: tuple[str, ...]
    feature_names: tuple[str, ...]
    num_numeric: int
    categories: tuple[tuple[str, ...], ...] = ()
    category_kinds: tuple[str, ...] = ()
    impute_values: tuple[float, ...] | None = None
    means: tuple[float, ...] | None = None
    scales: tuple[float, ...] | None = None
    class_names: tuple[str, ...] = ()
    positive_class: int | None = None
    target: str | None = None
    ignored_columns: tuple[str, ...] = ()
    split: dict[str, Any] = field(default_factory=dict)
    source: str = "data"
    feature_roles: tuple[dict[str, str], ...] = ()
    csv_dialect: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.feature_roles:
            from imbalance_torch.lightning.tables.feature_roles import feature_roles

            split_columns = [self.split[k] for k in ("time_column", "group_column") if self.split.get(k)]
            roles = feature_roles(
                self.feature_names, self.num_numeric, ignored=self.ignored_columns,
                split_columns=split_columns,
            )
            object.__setattr__(self, "feature_roles", tuple(roles))

    # ------------------------------------------------------------------------ fitting
    @classmethod
    def fit(
        cls,
        table: Table,
        train_rows: np.ndarray,
        *,
        impute_median: bool,
        scale: bool,
        input_columns: Sequence[str] | None = None,
        target: str | None = None,
        ignored_columns: Sequence[str] = (),
        split: dict[str, Any] | None = None,
        dropped_columns: dict[str, str] | None = None,
        kept_id_like: Sequence[str] = (),
    ) -> Preprocessing:
        """Fit imputation (scikit-learn's ``SimpleImputer``, median) and scaling
        (``StandardScaler``) on the numeric columns of ``train_rows``; keep only their values.

        Args:
            table: the loaded table (numeric columns first, then category codes).
            train_rows: row numbers of the train split.
            impute_median: fit the median imputation (otherwise NaN is refused).
            scale: fit the standardisation.
            input_columns: feature columns in the input's order; ``table.feature_names``
                when None.
            target: label column name.
            ignored_columns: columns left out of the features (``drop_columns``, the split's
                columns).
            split: how the rows were split, for reports (its ``time_column`` and
                ``group_column`` are shown as split columns in :attr:`feature_roles`).
            dropped_columns: columns dropped because they carry nothing (constant, all
                missing, an index), with the reason
                (:func:`~imbalance_torch.lightning.tables.feature_roles.resolve_feature_roles`).
            kept_id_like: id-like columns kept as features on purpose.

        Returns:
            The fitted preprocessing.

        Raises:
            ValueError: numeric values too large to standardise in float64; with
                ``impute_median``, a column with no value in the train split (its median
                cannot be fitted, and it is never imputed to a made-up value).
        """
        from sklearn.impute import SimpleImputer
        from sklearn.preprocessing import StandardScaler

        numeric = table.features[train_rows][:, : table.num_numeric]
        impute_values = means = scales = None
        if impute_median and numeric.shape[1]:
            empty = [table.feature_names[c] for c in np.flatnonzero(np.isnan(numeric).all(axis=0))]
            if empty:
                raise ValueError(
                    f"feature column(s) {empty[:10]} of {table.source} hold no value in the train "
                    f"split ({numeric.shape[0]} rows, all NaN), so impute_median has no median to "
                    "fill them with (it never makes one up); their values lie in other periods or "
                    "groups only. Leave them out (--data.drop_columns), or split so that the "
                    "train split holds some of their values."
                )
            imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(numeric)
            # keep_empty_features fills an all-NaN column with 0.
            impute_values = tuple(float(v) for v in imputer.statistics_)
            numeric = imputer.transform(numeric)
        if scale and numeric.shape[1]:
            with np.errstate(over="ignore", invalid="ignore"):
                scaler = StandardScaler().fit(numeric)
            bad = [
                table.feature_names[c]
                for c in range(numeric.shape[1])
                if not (np.isfinite(scaler.mean_[c]) and np.isfinite(scaler.scale_[c]))
            ]
            if bad:
                raise ValueError(
                    f"feature columns {bad} hold values too large to standardise (their mean or "
                    "spread overflows float64); rescale them (e.g. to other units or a log "
                    "scale) first."
                )
            means = tuple(float(v) for v in scaler.mean_)
            scales = tuple(float(v) for v in scaler.scale_)  # constant columns get 1
        names = tuple(table.feature_names)
        from imbalance_torch.lightning.tables.feature_roles import feature_roles

        split = dict(split or {})
        split_columns = [split[k] for k in ("time_column", "group_column") if split.get(k)]
        roles = feature_roles(
            names, int(table.num_numeric), dropped=dropped_columns, split_columns=split_columns,
            ignored=ignored_columns, kept_id_like=kept_id_like,
        )
        return cls(
            input_columns=tuple(input_columns) if input_columns is not None else names,
            feature_names=names,
            num_numeric=int(table.num_numeric),
            categories=tuple(tuple(c) for c in table.categories),
            category_kinds=tuple(_category_kind(c) for c in table.categories),
            impute_values=impute_values,
            means=means,
            scales=scales,
            class_names=tuple(table.class_names),
            positive_class=1 if len(table.class_names) == 2 else None,
            target=target,
            ignored_columns=tuple(ignored_columns),
            split=split,
            source=table.source,
            feature_roles=tuple(roles),
        )

    # ----------------------------------------------------------------- saved state
    def state_dict(self) -> dict[str, Any]:
        """Plain values (lists, strings, numbers, None): readable with
        ``torch.load(weights_only=True)`` and by JSON."""

        def plain(value: Any) -> Any:
            if isinstance(value, (tuple, list)):
                return [plain(v) for v in value]
            if isinstance(value, dict):
                return {str(k): plain(v) for k, v in value.items()}
            return value

        return {"version": PREPROCESSING_STATE_VERSION, **plain(asdict(self))}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Preprocessing:
        """Rebuild from :meth:`state_dict`.

        Raises:
            ValueError: a state of another version.
        """
        version = state.get("version")
        if version != PREPROCESSING_STATE_VERSION:
            raise ValueError(
                f"the checkpoint's preprocessing has version {version!r}; this imbalance-torch "
                f"reads version {PREPROCESSING_STATE_VERSION}. Score it with the version that "
                "trained it, or train again."
            )

        def maybe(values: Any) -> tuple[float, ...] | None:
            return None if values is None else tuple(float(v) for v in values)

        return cls(
            input_columns=tuple(state["input_columns"]),
            feature_names=tuple(state["feature_names"]),
            num_numeric=int(state["num_numeric"]),
            categories=tuple(tuple(c) for c in state["categories"]),
            category_kinds=tuple(state["category_kinds"]),
            impute_values=maybe(state["impute_values"]),
            means=maybe(state["means"]),
            scales=maybe(state["scales"]),
            class_names=tuple(state["class_names"]),
            positive_class=state["positive_class"],
            target=state["target"],
            ignored_columns=tuple(state["ignored_columns"]),
            split=dict(state["split"]),
            source=state["source"],
            # A state saved before feature roles were kept had no dropped columns but
            # drop_columns: __post_init__ derives its roles from its columns exactly.
            feature_roles=tuple(dict(r) for r in state.get("feature_roles", ())),
            # A state saved before the dialect was kept was read as a plain CSV.
            csv_dialect=dict(state.get("csv_dialect", {})),
        )

    # ------------------------------------------------------------------ applying
    @property
    def num_features(self) -> int:
        return len(self.feature_names)

    def transform_encoded(self, features: np.ndarray) -> np.ndarray:
        """Impute and scale ``(n, d)`` encoded features (numeric columns, then category codes,
        as a :class:`~imbalance_torch.lightning.tables.table.Table` holds them); float64 copy."""
        out = np.array(features, dtype=np.float64, copy=True)
        numeric = out[:, : self.num_numeric]
        if self.impute_values is not None:
            missing = np.isnan(numeric)
            numeric[missing] = np.broadcast_to(np.asarray(self.impute_values), numeric.shape)[missing]
        if self.means is not None and self.scales is not None:
            numeric -= np.asarray(self.means)
            numeric /= np.asarray(self.scales)
        return out

    def transform(
        self,
        data: Any,
        *,
        id_column: str | None = None,
        extra_columns: Literal["warn", "error"] = "warn",
        source: str | None = None,
    ) -> torch.Tensor:
        """Check and preprocess a raw table into the model's ``(n, d)`` float32 input.

        Args:
            data: a pandas DataFrame, a ``.csv`` / ``.parquet`` path, or an ``(n, d)`` array
                or tensor whose columns follow :attr:`input_columns`.
            id_column: a column that identifies rows (never reported as extra).
            extra_columns: ``warn`` (ignore them with a warning) or ``error``.
            source: how messages name the data (a file's name by default).

        Returns:
            ``(n, num_features)`` float32 features.

        Raises:
            ValueError: missing columns, extra columns with ``extra_columns="error"``, NaN
                where no imputation was fitted, infinite values, a wrong array width.
            TypeError: a column whose kind changed since training; an unsupported input.
        """
        source = source or describe_source(data)
        frame = self.as_frame(data)
        encoded = self.encode(frame, id_column=id_column, extra_columns=extra_columns, source=source)
        features = self.transform_encoded(encoded)
        with np.errstate(over="ignore"):
            single = features.astype(np.float32)
        overflow = np.isinf(single) & ~np.isinf(features)
        if overflow.any():
            columns = [self.feature_names[c] for c in np.flatnonzero(overflow.any(axis=0))]
            raise ValueError(
                f"columns {columns} hold values beyond the float32 range after preprocessing; "
                "check their units against the training data."
            )
        return torch.from_numpy(single)

    def as_frame(self, data: Any) -> Any:
        """``data`` as a DataFrame: read a CSV/Parquet path; name an array's columns by
        :attr:`input_columns`.

        Raises:
            ValueError: an array of the wrong shape.
            TypeError: an input that is none of these.
        """
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            return data
        if isinstance(data, (str, os.PathLike)):
            return read_table(data, **self.csv_dialect)
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        if isinstance(data, np.ndarray):
            if data.ndim != 2 or data.shape[1] != len(self.input_columns):
                raise ValueError(
                    f"an array to score must be (rows, {len(self.input_columns)}) with columns "
                    f"in the training order {list(self.input_columns)}, got shape {data.shape}; "
                    "pass a DataFrame to match columns by name."
                )
            return pd.DataFrame(data, columns=list(self.input_columns))
        raise TypeError(
            f"cannot score data of type {type(data).__name__}; pass a pandas DataFrame, a "
            ".csv/.parquet path, or a numpy array or tensor."
        )

    def check_columns(
        self, columns: Sequence[str], *, id_column: str | None = None,
        extra_columns: Literal["warn", "error"] = "warn", source: str = "the data",
        index_columns: Sequence[str] = (),
    ) -> None:
        """Refuse missing columns; warn about (or refuse) extra ones
        (:func:`~imbalance_torch.lightning.tables.raw_columns.check_columns`)."""
        check_columns(
            self, columns, id_column=id_column, extra_columns=extra_columns, source=source,
            index_columns=index_columns,
        )

    def encode(
        self, frame: Any, *, id_column: str | None = None,
        extra_columns: Literal["warn", "error"] = "warn", source: str = "the data",
    ) -> np.ndarray:
        """Check a raw DataFrame's columns and encode it as the training table was encoded
        (:func:`~imbalance_torch.lightning.tables.raw_columns.encode`)."""
        return encode(self, frame, id_column=id_column, extra_columns=extra_columns, source=source)

    def raw_numeric(self, features: torch.Tensor, name: str) -> torch.Tensor:
        """Numeric column ``name`` of preprocessed ``(n, d)`` features back in its raw units
        (float64; imputed cells hold the train median), e.g. a ``cost_column`` such as Amount.

        Raises:
            ValueError: ``name`` is not a numeric feature column.
        """
        numeric = self.feature_names[: self.num_numeric]
        if name not in numeric:
            raise ValueError(
                f"column {name!r} is not a numeric feature column of the training data "
                f"{self.source}; its numeric columns are {list(numeric)}. Name one of them "
                "(a cost column must be a feature, not dropped)."
            )
        j = numeric.index(name)
        values = features[:, j].double()
        if self.means is not None and self.scales is not None:
            values = values * self.scales[j] + self.means[j]
        return values

    @property
    def unused_columns(self) -> tuple[str, ...]:
        """Columns of the training data that are not features (``dropped`` in
        :attr:`feature_roles`): never required, never reported as extra at scoring time."""
        return tuple(r["column"] for r in self.feature_roles if r["role"] == "dropped")

    def describe_features(self) -> str:
        """One line for the console: the features by role, and each unused column with why."""
        from imbalance_torch.lightning.tables.feature_roles import describe_roles

        return describe_roles(self.feature_roles)

    def describe(self) -> dict[str, Any]:
        """A short summary for reports: columns, their roles, split, scaling, imputation and
        labels."""
        return {
            "columns": list(self.input_columns),
            "feature_roles": [dict(r) for r in self.feature_roles],
            "categorical": list(self.feature_names[self.num_numeric :]),
            "scaled": self.means is not None,
            "imputed": self.impute_values is not None,
            "classes": list(self.class_names),
            "positive_class": (
                self.class_names[self.positive_class] if self.positive_class is not None else None
            ),
            "split": dict(self.split),
        }

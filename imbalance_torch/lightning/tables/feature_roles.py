"""Which columns of a table become features: numeric, categorical, or dropped and why.

A loaded :class:`~imbalance_torch.lightning.tables.table.Table` holds every column the user did not
leave out. Before it is split, :func:`resolve_feature_roles` looks at each feature column once
(values only, never labels) and decides:

* **index columns** (NOTE [index columns]) are dropped with a note;
* **constant columns** (one value on every row, NaN aside) and **all-missing columns** (NaN on
  every row) are dropped with a note: they carry nothing a model can use, and median imputation
  would turn an all-missing column into a column of 0 without a word;
* **id-like columns** (NOTE [id-like columns]) are refused with a message naming them and the
  fixes, unless listed in ``keep_id_like``;
* every other column stays a feature, numeric or categorical as loaded.

The roles are decided on the whole table, not the train split, so every seed, split and arm
of a comparison trains on the same feature list, and a model's input width does not depend
on the split; no label is read.

NOTE [id-like columns]: a running id or a transaction number holds a distinct value on
(nearly) every row. As a feature it can only be memorised (its values at scoring time are
new), and where rows are ordered by time or class it predicts the label through the order,
the leakage that made an exported row id score better than the real features. A column is
id-like when it holds whole numbers (or text categories) and at least
:data:`ID_LIKE_DISTINCT_SHARE` of its rows hold distinct values, on a table of at least
:data:`ID_LIKE_MIN_ROWS` rows. Float measurements (amounts with cents, sensor readings) are
not ids: they are distinct on every row by nature, so columns with a fractional value are
never id-like.

NOTE [index columns]: pandas writes a frame's index as a column when asked to, and readers
turn it back into a column: ``to_csv`` writes an unnamed first column that ``read_csv`` calls
``Unnamed: 0``; Parquet stores the index as ``__index_level_0__`` (or under the index's name,
recorded in the file's pandas metadata; ``pandas.read_parquet`` restores it as the index, but
other writers and ``pyarrow`` keep it a column); ``DataFrame.reset_index()`` adds ``index``
(``level_0`` when ``index`` exists). Such a column is the row numbering, not data
(:func:`is_stored_index`, the one rule for training and scoring):

* under the ``__index_level_N__`` name, which only pyarrow gives, whatever its values (the
  parts of a Parquet folder may each hold their own numbering);
* under ``Unnamed: 0``, ``index`` or ``level_0`` as the first column of its file or frame
  (where pandas writes the index; ``Unnamed: 0`` names the first column by its position),
  when it holds whole non-negative numbers with no missing value, repeated or not: the
  index of ``pd.concat([legit, fraud])`` runs 0..539 then 0..59, and written with
  ``to_csv`` it predicts the label through the order of the rows;
* under those names elsewhere, when it holds a distinct whole number (or text) on every row.

It is dropped with a note at training, and at scoring time a file's own index column is left
out with a note before its columns are checked against the training columns (so
``extra_columns="error"`` does not refuse a file only for being written with its index).
It is dropped rather than refused, as an id-like column is, because its name and values say
what it is with no doubt (nobody names a measurement ``Unnamed: 0``), whereas a named id-like
column might be a feature on purpose (a count, an amount in whole units) that only its owner
can judge.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from imbalance_torch._validation import column_as_numpy, column_kind

if TYPE_CHECKING:
    from imbalance_torch.lightning.tables.table import Table

__all__ = [
    "ID_LIKE_DISTINCT_SHARE",
    "ID_LIKE_MIN_ROWS",
    "INDEX_NOTE",
    "ROLE_CATEGORICAL",
    "ROLE_DROPPED",
    "ROLE_NUMERIC",
    "describe_roles",
    "feature_roles",
    "index_column_names",
    "is_index_column_name",
    "is_stored_index",
    "resolve_feature_roles",
    "stored_index_columns",
]

#: Share of rows with distinct values from which a whole-number or text column is id-like
#: (NOTE [id-like columns]). "Nearly every row": an export's row id or a transaction number is
#: distinct on every row; 0.99 also catches one with a few repeats (a re-sent transaction),
#: while a count or a code repeats far more often than once in a hundred rows.
ID_LIKE_DISTINCT_SHARE = 0.99
#: Fewest table rows on which a distinct value per row is taken as a sign of an id: on a
#: small table (a KEEL set of 60 rows) a whole-number measurement can be distinct on every
#: row by chance, and a refusal there would be a false alarm.
ID_LIKE_MIN_ROWS = 100

ROLE_NUMERIC = "numeric"
ROLE_CATEGORICAL = "categorical"
ROLE_DROPPED = "dropped"

#: Names pandas gives its index when it becomes a column (NOTE [index columns]).
_INDEX_NAMES = ("Unnamed: 0", "index", "level_0")
_INDEX_LEVEL = re.compile(r"__index_level_\d+__")
#: Why a stored index column is not a feature (training) and is left out (scoring).
INDEX_NOTE = "the row numbering pandas wrote as a column (an index, not data)"


def is_index_column_name(name: str) -> bool:
    """Whether ``name`` is one pandas gives a frame's index written out as a column."""
    return name in _INDEX_NAMES or _INDEX_LEVEL.fullmatch(name) is not None


def index_column_names(schema: Any) -> list[str]:
    """The columns of a Parquet schema that hold the stored pandas index: those its pandas
    metadata lists as the index, and any ``__index_level_N__`` (NOTE [index columns]).

    Args:
        schema: a ``pyarrow.Schema`` (``pyarrow.parquet.read_schema(path)``).

    Returns:
        Column names, in schema order.
    """
    metadata = schema.pandas_metadata or {}
    listed = {c for c in metadata.get("index_columns", []) if isinstance(c, str)}
    return [n for n in schema.names if n in listed or _INDEX_LEVEL.fullmatch(n) is not None]


def is_stored_index(name: str, values: Any = None, *, first: bool = False) -> bool:
    """Whether a column is the row numbering pandas wrote out as a column: the one rule of
    NOTE [index columns], for training tables and for files to score alike.

    Args:
        name: the column's name.
        values: its values, numbers (NaN where missing) or text; None when they are neither
            (then only the ``__index_level_N__`` name decides).
        first: whether it is the first column of its file or frame, where pandas writes the
            index (``Unnamed: 0`` is the first column by its name: pandas names a blank header
            by its position).

    Returns:
        True when the column is a stored index, to be left out of the features with a note.
    """
    if _INDEX_LEVEL.fullmatch(name) is not None:
        return True
    if name not in _INDEX_NAMES or values is None:
        return False
    values = np.asarray(values)
    if values.size == 0:
        return False
    if values.dtype.kind in "iuf":
        numbers = values.astype(np.float64)
        if not (np.isfinite(numbers).all() and _whole_numbers(numbers)):
            return False
        if (first or name == _INDEX_NAMES[0]) and numbers.min() >= 0:
            return True  # repeated or not: pd.concat([legit, fraud]) numbers each part from 0
        return bool(np.unique(numbers).size == numbers.size)
    if values.dtype.kind in "OUS":  # an index of names: a distinct one on every row
        import pandas as pd  # heavy optional library (recipes extra), needed only for text

        return bool(pd.unique(pd.Series(values.ravel(), dtype=object)).size == values.size)
    return False


def stored_index_columns(frame: Any) -> list[str]:
    """The columns of a DataFrame that hold a stored index (:func:`is_stored_index`).

    Args:
        frame: a pandas DataFrame (a file read to score, or a frame given to score).

    Returns:
        Their names, in column order (empty for most frames: only pandas' index names are
        looked at).
    """
    found = []
    for position, name in enumerate(str(c) for c in frame.columns):
        if not is_index_column_name(name):
            continue
        column = frame.iloc[:, position]
        kind = column_kind(column)
        if kind == "number":
            values = column_as_numpy(column)
        elif kind in ("text", "category"):
            values = column.to_numpy(dtype=object)
        else:
            values = None
        if is_stored_index(name, values, first=position == 0):
            found.append(name)
    return found


def _whole_numbers(values: np.ndarray) -> bool:
    return bool(values.size) and bool(np.all(values == np.round(values)))


def _candidates(table: Table) -> np.ndarray:
    """Feature columns that may be dropped or id-like, found in one vectorised pass: numeric
    columns that are empty, constant or whole numbers, and every categorical column (the
    per-column work of :func:`_examine` then runs on these only, not on every column of a
    wide table)."""
    numeric = table.features[:, : table.num_numeric]
    missing = np.isnan(numeric)
    low = np.where(missing, np.inf, numeric).min(axis=0, initial=np.inf)
    high = np.where(missing, -np.inf, numeric).max(axis=0, initial=-np.inf)
    whole = np.all(missing | (numeric == np.round(numeric)), axis=0)
    named = np.array(
        [_INDEX_LEVEL.fullmatch(c) is not None for c in table.feature_names[: table.num_numeric]],
        dtype=bool,
    )
    flagged = np.flatnonzero(~(low < high) | whole | named)
    return np.concatenate([flagged, np.arange(table.num_numeric, table.features.shape[1])])


def _examine(table: Table, j: int) -> tuple[str | None, str | None]:
    """``(drop reason, id-like reason)`` of feature column ``j`` (None when it does not apply)."""
    n = table.num_rows
    name = table.feature_names[j]
    column = table.features[:, j]
    if is_index_column_name(name):  # NOTE [index columns]: one rule with scoring
        values: Any = column
        if j >= table.num_numeric:  # category codes: the index's own values, as text
            values = np.asarray(table.categories[j - table.num_numeric], dtype=object)[
                column.astype(np.int64)
            ]
        if is_stored_index(name, values, first=name == table.first_column):
            return INDEX_NOTE, None
    if j >= table.num_numeric:  # category codes
        categories = table.categories[j - table.num_numeric]
        if categories == ("nan",):
            return f"all {n} values are missing", None
        if len(categories) == 1:
            return f"constant: every row holds {categories[0]!r}", None
        distinct = len(categories)
        whole = True
    else:
        present = column[~np.isnan(column)]
        if present.size == 0:
            return f"all {n} values are missing (NaN)", None
        first = present[0]
        if np.all(present == first):
            note = f"constant: every row holds {first:g}"
            return note + (f" ({n - present.size} NaN)" if present.size < n else ""), None
        whole = _whole_numbers(present)
        distinct = int(np.unique(present).size)
    if whole and n >= ID_LIKE_MIN_ROWS and distinct >= ID_LIKE_DISTINCT_SHARE * n:
        kind = "text" if j >= table.num_numeric else "whole-number"
        return None, f"{name!r} ({distinct} distinct {kind} values in {n} rows)"
    return None, None


def _id_like_error(found: list[tuple[str, str]], source: str) -> ValueError:
    names = [name for name, _ in found]
    shown = ", ".join(reason for _, reason in found[:5])
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    listed = "[" + ", ".join(names[:5]) + "]"
    return ValueError(
        f"{source} has id-like column(s) {shown}{more}: a distinct value on (nearly) every row, "
        "like a row id or a transaction number. As a feature it can only be memorised, and it "
        "leaks the label wherever rows are ordered by time or class. Leave it out "
        f"(drop_columns={names[:5]!r}, --data.drop_columns '{listed}'; predict --id_column NAME "
        "still carries an id to the scores file), or keep it as a feature on purpose "
        f"(keep_id_like={names[:5]!r}, --data.keep_id_like '{listed}')."
    )


def resolve_feature_roles(
    table: Table,
    *,
    keep_id_like: Sequence[str] = (),
    warn: bool = True,
) -> tuple[Table, dict[str, str]]:
    """Drop the columns that carry nothing, refuse id-like ones, keep the rest.

    Args:
        table: the loaded table.
        keep_id_like: id-like columns to keep as features on purpose.
        warn: emit one ``UserWarning`` naming the dropped columns and why.

    Returns:
        ``(table, dropped)``: the table without the dropped columns, and each dropped column's
        reason, by name (empty when nothing was dropped; then ``table`` is returned as is).

    Raises:
        ValueError: id-like columns not listed in ``keep_id_like`` (naming them and the
            fixes); a ``keep_id_like`` name that is not a feature column; every column dropped.
        TypeError: ``keep_id_like`` given as a string.
    """
    if isinstance(keep_id_like, str):
        raise TypeError(
            f"keep_id_like must be a list of column names, got the string {keep_id_like!r}; "
            f"pass [{keep_id_like!r}] (--data.keep_id_like '[{keep_id_like}]')."
        )
    unknown = [c for c in keep_id_like if c not in table.feature_names]
    if unknown:
        raise ValueError(
            f"keep_id_like={unknown} names columns that are not features of {table.source}; its "
            f"feature columns are: {', '.join(table.feature_names[:30])}"
            + (" ..." if len(table.feature_names) > 30 else "")
            + "."
        )
    dropped: dict[str, str] = {}
    id_like: list[tuple[str, str]] = []
    for j in _candidates(table).tolist():
        name = table.feature_names[j]
        drop, ident = _examine(table, j)
        if drop is not None:
            dropped[name] = drop
        elif ident is not None and name not in keep_id_like:
            id_like.append((name, ident))
    if id_like:
        raise _id_like_error(id_like, table.source)
    if not dropped:
        return table, {}
    keep = [j for j, name in enumerate(table.feature_names) if name not in dropped]
    if not keep:
        raise ValueError(
            f"every feature column of {table.source} carries nothing a model can use: "
            + "; ".join(f"{name!r}: {why}" for name, why in list(dropped.items())[:5])
            + ". Check that the right file and columns were given."
        )
    if warn:
        warnings.warn(
            f"{table.source}: {len(dropped)} column(s) are not used as features: "
            + "; ".join(f"{name!r}, {why}" for name, why in list(dropped.items())[:10])
            + (" ..." if len(dropped) > 10 else "")
            + " (listed in the fitted preprocessing's feature roles).",
            UserWarning,
            stacklevel=3,
        )
    categorical_kept = [j - table.num_numeric for j in keep if j >= table.num_numeric]
    return (
        replace(
            table,
            features=np.ascontiguousarray(table.features[:, keep]),
            feature_names=tuple(table.feature_names[j] for j in keep),
            num_numeric=sum(1 for j in keep if j < table.num_numeric),
            categories=tuple(table.categories[c] for c in categorical_kept),
        ),
        dropped,
    )


def feature_roles(
    feature_names: Sequence[str],
    num_numeric: int,
    *,
    dropped: Mapping[str, str] | None = None,
    ignored: Sequence[str] = (),
    split_columns: Sequence[str] = (),
    kept_id_like: Sequence[str] = (),
) -> list[dict[str, str]]:
    """Each column's role, for reports and checkpoints: ``{"column", "role", "note"}``.

    Args:
        feature_names: the model's input columns (numeric first).
        num_numeric: how many leading ``feature_names`` are numeric.
        dropped: columns dropped by :func:`resolve_feature_roles`, with the reason.
        ignored: columns the user left out (``drop_columns``).
        split_columns: the split's time and group columns.
        kept_id_like: id-like columns kept on purpose (``keep_id_like``).

    Returns:
        One entry per column: features first (in the model's order), then dropped ones.
    """
    roles = []
    for j, name in enumerate(feature_names):
        note = "id-like, kept on purpose (keep_id_like)" if name in kept_id_like else ""
        roles.append(
            {
                "column": name,
                "role": ROLE_NUMERIC if j < num_numeric else ROLE_CATEGORICAL,
                "note": note,
            }
        )
    for name in split_columns:
        roles.append(
            {
                "column": name,
                "role": ROLE_DROPPED,
                "note": "split column (time or group), not a feature",
            }
        )
    for name in ignored:
        if name not in split_columns:
            roles.append({"column": name, "role": ROLE_DROPPED, "note": "drop_columns"})
    for name, why in (dropped or {}).items():
        roles.append({"column": name, "role": ROLE_DROPPED, "note": why})
    return roles


def describe_roles(roles: Sequence[Mapping[str, str]], *, limit: int = 12) -> str:
    """One line: counts per role, the categorical columns, and each dropped column with why.

    Args:
        roles: :func:`feature_roles` entries.
        limit: most names shown per list (then a count of the rest).
    """

    def names(entries: list[Mapping[str, str]], with_note: bool) -> str:
        entries = sorted(entries, key=lambda e: not e["note"])  # noted ones are never cut
        shown = [
            f"{e['column']} ({e['note']})" if with_note and e["note"] else str(e["column"])
            for e in entries[:limit]
        ]
        return ", ".join(shown) + (
            f", and {len(entries) - limit} more" if len(entries) > limit else ""
        )

    numeric = [r for r in roles if r["role"] == ROLE_NUMERIC]
    categorical = [r for r in roles if r["role"] == ROLE_CATEGORICAL]
    dropped = [r for r in roles if r["role"] == ROLE_DROPPED]
    parts = [f"{len(numeric)} numeric ({names(numeric, True)})"]
    if categorical:
        parts.append(f"{len(categorical)} categorical ({names(categorical, True)})")
    if dropped:
        parts.append(f"{len(dropped)} not used: {names(dropped, True)}")
    return "features: " + "; ".join(parts)

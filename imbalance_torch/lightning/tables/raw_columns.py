"""Raw columns of data to score, checked and encoded against a fitted
:class:`~imbalance_torch.lightning.tables.preprocessing.Preprocessing` (NOTE [raw tables at
scoring time] in ``preprocessing.py``), reading a file to score, and how messages name columns
and sources. The fitted object's methods (``check_columns``, ``encode``) call these."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from imbalance_torch._validation import column_as_numpy, column_kind
from imbalance_torch.lightning.tables.feature_roles import INDEX_NOTE, stored_index_columns
from imbalance_torch.lightning.tables.files import read_frame, refuse_duplicate_columns
from imbalance_torch.lightning.tables.table import no_rows_error

if TYPE_CHECKING:
    from imbalance_torch.lightning.tables.preprocessing import Preprocessing

__all__ = [
    "SHOWN_NAMES",
    "UNKNOWN_CATEGORY",
    "check_columns",
    "describe_source",
    "encode",
    "file_columns",
    "lookalikes",
    "number_or_nan",
    "read_table",
    "shown_name",
    "shown_names",
]

#: Code of a category never seen in training (the model encodes it as no category).
UNKNOWN_CATEGORY = -1


def number_or_nan(value: str) -> float:
    """``float(value)``, or NaN for text that is no number."""
    try:
        return float(value)
    except ValueError:
        return float("nan")


def check_columns(
    fitted: Preprocessing,
    columns: Sequence[str],
    *,
    id_column: str | None = None,
    extra_columns: Literal["warn", "error"] = "warn",
    source: str = "the data",
    index_columns: Sequence[str] = (),
) -> None:
    """Refuse missing columns; warn about (or refuse) extra ones (:meth:`Preprocessing.check_columns`).

    Args:
        fitted: the fitted preprocessing whose columns are expected.
        columns: the column names of the data to score.
        id_column: a column that identifies rows (never reported as extra).
        extra_columns: ``warn`` (ignore them with a warning) or ``error`` (refuse them).
        source: how messages name the data.
        index_columns: columns of the data that hold its stored index
            (:func:`~imbalance_torch.lightning.tables.feature_roles.stored_index_columns`, the
            rule of training: NOTE [index columns]): left out with a note before the
            extra columns are looked for, unless the model was trained on them.

    Raises:
        ValueError: missing columns, or extra columns with ``extra_columns="error"``.
    """
    if extra_columns not in ("warn", "error"):
        raise ValueError(f"extra_columns must be 'warn' or 'error', got {extra_columns!r}.")
    if id_column is not None and id_column not in columns:
        raise ValueError(
            f"id_column={shown_name(id_column)} is not a column of {source}; its columns "
            f"are {shown_names(columns)}."
        )
    unused = fitted.unused_columns
    present = set(columns)
    missing = [c for c in fitted.input_columns if c not in present and c not in unused]
    if missing:
        raise ValueError(
            f"{source} lacks the column(s) {shown_names(missing)} that the model was trained on; add "
            f"them (the training columns are {shown_names(fitted.input_columns)})."
            + lookalikes(missing, columns)
        )
    expected = {*fitted.input_columns, *fitted.ignored_columns, *unused, fitted.target, id_column}
    index = [c for c in index_columns if c not in expected]
    if index:
        warnings.warn(
            f"{source}: column(s) {shown_names(index)} hold {INDEX_NOTE}; they are left out, "
            "as such a column is in training.",
            UserWarning,
            stacklevel=4,
        )
    extra = [c for c in columns if c not in expected and c not in index]
    if extra and extra_columns == "error":
        raise ValueError(
            f"{source} has column(s) {shown_names(extra)} that the model was not trained on; drop "
            "them, or ignore them with a warning (--extra_columns warn on the command line, "
            "extra_columns='warn' in Python)."
        )
    if extra:
        warnings.warn(
            f"{source} has column(s) {shown_names(extra)} that the model was not trained on; they "
            "are ignored.",
            UserWarning,
            stacklevel=4,
        )


def encode(
    fitted: Preprocessing,
    frame: Any,
    *,
    id_column: str | None = None,
    extra_columns: Literal["warn", "error"] = "warn",
    source: str = "the data",
) -> np.ndarray:
    """(:meth:`Preprocessing.encode`) Check a raw DataFrame's columns and encode it as the training table was encoded:
    numeric columns (float64, NaN kept), then category codes.

    Raises:
        ValueError: see :meth:`Preprocessing.transform`.
        TypeError: a column whose kind changed since training.
    """
    columns = [str(c) for c in frame.columns]
    refuse_duplicate_columns(columns, source)
    frame = frame.set_axis(columns, axis=1)
    check_columns(
        fitted,
        columns,
        id_column=id_column,
        extra_columns=extra_columns,
        source=source,
        index_columns=stored_index_columns(frame),
    )
    out = np.empty((len(frame), fitted.num_features), dtype=np.float64)
    for j, name in enumerate(fitted.feature_names[: fitted.num_numeric]):
        out[:, j] = _numeric_column(fitted, frame[name], name, source)
    for j, name in enumerate(fitted.feature_names[fitted.num_numeric :]):
        out[:, fitted.num_numeric + j] = _category_codes(fitted, frame[name], j, name, source)
    return out


def _numeric_column(fitted: Preprocessing, column: Any, name: str, source: str) -> np.ndarray:
    kind = column_kind(column)
    if kind != "number":
        raise TypeError(
            f"column {name!r} held numbers in training, but {source} holds {kind} values "
            f"(dtype {column.dtype}) in it; convert it to numbers as in training."
        )
    values = column_as_numpy(column).astype(np.float64)
    if np.isinf(values).any():
        rows = np.flatnonzero(np.isinf(values))
        raise ValueError(
            f"column {name!r} of {source} holds {rows.size} infinite values (first at rows "
            f"{rows[:5].tolist()}); replace or drop them."
        )
    missing = np.isnan(values)
    if missing.any() and fitted.impute_values is None:
        rows = np.flatnonzero(missing)
        raise ValueError(
            f"column {name!r} of {source} holds {rows.size} NaN values (first at rows "
            f"{rows[:5].tolist()}), and the model was trained without imputation "
            "(impute_median=False); fill or drop those rows, or train with "
            "impute_median=True."
        )
    return values


def _category_codes(
    fitted: Preprocessing, column: Any, j: int, name: str, source: str
) -> np.ndarray:
    import pandas as pd  # heavy optional library, only when scoring a frame

    categories = fitted.categories[j]
    kind = column_kind(column)
    if kind == "number" or (
        kind == "category" and pd.api.types.is_numeric_dtype(column.cat.categories)
    ):
        if fitted.category_kinds[j] != "number":
            raise TypeError(
                f"column {name!r} held text categories in training (e.g. "
                f"{list(categories[:3])}), but {source} holds numbers (dtype "
                f"{column.dtype}) in it; pass its categories as text, as in training."
            )
        # Numbers match by value, so 3, 3.0 and "3" are one category.
        known = {number_or_nan(c): i for i, c in enumerate(categories) if c != "nan"}
        values = np.asarray(column.astype("float64").to_numpy(na_value=np.nan), dtype=np.float64)
        codes = np.array(
            [known.get(v, UNKNOWN_CATEGORY) for v in values.tolist()], dtype=np.float64
        )
        missing_code = categories.index("nan") if "nan" in categories else UNKNOWN_CATEGORY
        codes[np.isnan(values)] = missing_code
        shown = values
    elif kind in ("text", "category", "bool"):
        texts = ["nan" if pd.isna(v) else str(v) for v in column.tolist()]
        known_text = {c: i for i, c in enumerate(categories)}
        if fitted.category_kinds[j] == "number":
            # Text read from a file ("3") still matches a numeric category 3 or 3.0.
            by_value = {number_or_nan(c): i for i, c in enumerate(categories) if c != "nan"}
            codes = np.array(
                [
                    known_text.get(t, by_value.get(number_or_nan(t), UNKNOWN_CATEGORY))
                    for t in texts
                ],
                dtype=np.float64,
            )
        else:
            codes = np.array([known_text.get(t, UNKNOWN_CATEGORY) for t in texts], dtype=np.float64)
        shown = np.array(texts, dtype=object)
    else:
        raise TypeError(
            f"column {name!r} held categories in training, but {source} holds {kind} values "
            f"(dtype {column.dtype}) in it; pass text or integer categories."
        )
    unknown = codes == UNKNOWN_CATEGORY
    if unknown.any():
        first = list(dict.fromkeys(shown[unknown].tolist()))[:5]
        warnings.warn(
            f"column {name!r} of {source} holds {int(unknown.sum())} values in categories "
            f"never seen in training (first: {first}); they are encoded as unknown "
            f"(code {UNKNOWN_CATEGORY}: no category in the model's one-hot input).",
            UserWarning,
            stacklevel=5,
        )
    return codes


#: How many column names a message lists before it says how many more there are.
SHOWN_NAMES = 10


def shown_name(name: str) -> str:
    """A column name as a message shows it: ``repr``, or ``ascii`` when the name holds
    characters a reader cannot see or tell apart (zero-width and other format or control
    characters, non-breaking spaces, combining accents of a name not in Unicode NFC form), so
    two names that look alike are printed differently (``'caf\\xe9'`` and ``'cafe\\u0301'``)."""
    import unicodedata

    name = str(name)
    invisible = any(
        unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cn", "Zl", "Zp")
        or (unicodedata.category(ch) == "Zs" and ch != " ")
        for ch in name
    )
    return ascii(name) if invisible or unicodedata.normalize("NFC", name) != name else repr(name)


def shown_names(names: Sequence[str]) -> str:
    """``['a', 'b']`` for at most :data:`SHOWN_NAMES` names, then how many more: a
    message about 200,000 columns stays one short line."""
    names = list(names)
    listed = ", ".join(shown_name(n) for n in names[:SHOWN_NAMES])
    more = (
        f" and {len(names) - SHOWN_NAMES:,} more ({len(names):,} in all)"
        if len(names) > SHOWN_NAMES
        else ""
    )
    return f"[{listed}]{more}"


def lookalikes(missing: Sequence[str], columns: Sequence[str]) -> str:
    """Say which missing names equal a present one once Unicode forms and invisible
    characters are set aside (an NFD ``café`` for an NFC one, a zero-width space)."""
    import unicodedata

    def plain(name: str) -> str:
        text = unicodedata.normalize("NFKC", str(name))
        return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc")).strip()

    present = {}
    for column in columns:
        present.setdefault(plain(column), column)
    pairs = [(name, present[plain(name)]) for name in missing if plain(name) in present]
    if not pairs:
        return ""
    shown = ", ".join(f"{shown_name(b)} for {shown_name(a)}" for a, b in pairs[:SHOWN_NAMES])
    return (
        f" It has {shown}: the same name written with other Unicode characters (another "
        "normalisation form, or invisible characters); rename those columns as in training."
    )


def describe_source(data: Any) -> str:
    """How messages name ``data``: a file's name, else ``the data``."""
    return Path(os.fspath(data)).name if isinstance(data, (str, os.PathLike)) else "the data"


def file_columns(data: Any, *, sep: str = ",") -> list[str] | None:
    """The column names of a ``.csv`` / ``.parquet`` file from its header alone, or None for
    anything else (a built-in name, ``keel:NAME``, a missing file)."""
    text = os.fspath(data) if isinstance(data, (str, os.PathLike)) else ""
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq") or not path.is_file():
        return None
    if suffix == ".csv":
        import csv

        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = next((row for row in csv.reader(handle, delimiter=sep) if row), [])
        # A blank name is read by pandas as "Unnamed: i" (i its position): name it alike.
        return [name if name != "" else f"Unnamed: {i}" for i, name in enumerate(header)]
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def read_table(path: str | os.PathLike, *, sep: str = ",", decimal: str = ".") -> Any:
    """Read a ``.csv`` / ``.parquet`` file (or a Parquet folder) to score into a DataFrame
    (checked like training files: the path, duplicate names, broken lines, line-length and
    column-count bounds).

    Args:
        path: the file or folder.
        sep: a CSV file's field separator (the training file's, kept in
            :attr:`Preprocessing.csv_dialect`).
        decimal: a CSV file's decimal mark.

    Returns:
        The rows as a DataFrame.

    Raises:
        ValueError: another suffix, a broken file, a file with no rows.
        FileNotFoundError: no such file.
    """
    text = os.fspath(path)
    if Path(text).suffix.lower() not in (".csv", ".parquet", ".pq") and not Path(text).is_dir():
        raise ValueError(
            f"data={text!r} is not a .csv or .parquet path; pass a file (or a folder of .parquet "
            "files) of rows to score."
        )
    frame = read_frame(Path(text), text, sep=sep, decimal=decimal)
    if len(frame) == 0:
        raise no_rows_error(Path(text).name, len(frame.columns), "score")
    return frame

"""Reading CSV and Parquet files into DataFrames, checked and bounded before pandas parses them.

* A CSV line, the header included, holds at most ``MAX_LINE_BYTES`` bytes (or the
  ``max_line_bytes`` given to :func:`~imbalance_torch.lightning.tables.table.load_table`): the file is
  read in chunks no longer than the bound before pandas sees it, so a huge line is refused
  after reading about the bound, never pulled into memory.
* Column names are unique: a CSV header is read with the csv module and a Parquet schema with
  pyarrow before pandas, which would rename a second ``Class`` to ``Class.1`` (a feature that
  copies the label) or fail inside pyarrow. DataFrames pass the same check in
  ``table_from_frame``.
* Broken files (empty, ragged or short lines, not UTF-8, not Parquet) are refused with the
  line and the fix.
* :func:`read_sample` reads the header and the first rows only, so checks that need no more
  (target present, declared columns exist, text columns declared) answer in milliseconds
  instead of after the whole file is parsed. The header is read (within the line bound) and
  its columns counted before pandas sees the file: a table of more than ``MAX_COLUMNS``
  columns is refused with the numbers (pandas needs minutes and gigabytes for a CSV of 10^6
  columns, even for its first row), and the sample holds at most ``SAMPLE_CELLS`` cells (fewer
  rows for wide tables), so the pre-check costs no more than the read.
* A path is checked before it is opened: a missing path, a directory, a named pipe (FIFO),
  a device, a socket and a symbolic-link loop each get their own one-line message
  (:mod:`~imbalance_torch.lightning.tables.paths`, whose names are re-exported here).
* A CSV's dialect is ``sep`` (one character, ``,`` by default) and ``decimal`` (``.`` by
  default), given to the header reader and to pandas alike (:func:`check_dialect`).
* A Parquet folder (a directory of ``*.parquet`` files, as Spark and Dask write) is read as
  one table with one schema (:func:`parquet_folder_files`, :func:`parquet_folder_schema`):
  files under hidden folders (``.*``, ``_*``, e.g. ``.ipynb_checkpoints``) are skipped as
  pyarrow skips them, an int column that is float in another file is read as float (no value
  truncated), and any other difference of type is refused naming the files and the types.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imbalance_torch.data._parquet_files import (
    cast_to_schema,
    parquet_folder_files,
    parquet_folder_schema,
)
from imbalance_torch.lightning.tables.paths import check_path, path_mode, special_file_kind

__all__ = [
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "SAMPLE_CELLS",
    "SAMPLE_ROWS",
    "check_dialect",
    "check_path",
    "parquet_folder_files",
    "parquet_folder_schema",
    "path_mode",
    "read_frame",
    "read_sample",
    "refuse_duplicate_columns",
    "special_file_kind",
]

#: The longest CSV line (header included) that :func:`load_table` reads, in bytes (16 MiB).
#: Checked in 1 MiB chunks before pandas parses the file; ``load_table(max_line_bytes=...)``
#: sets another bound for one call.
MAX_LINE_BYTES = 16 * 2**20
_CHUNK_BYTES = 2**20
#: Rows :func:`read_sample` reads after the header (fewer when the table is wide).
SAMPLE_ROWS = 1000
#: The most cells (rows x columns) :func:`read_sample` reads: a table of 10^5 columns is
#: sampled on its first 10 rows.
SAMPLE_CELLS = 10**6
#: The most columns a table file may have (checked on the header before pandas reads it).
#: pandas reads a CSV of 10^6 columns in minutes and gigabytes, even for one row.
MAX_COLUMNS = 100_000


def refuse_duplicate_columns(names: Sequence[str], source: str) -> None:
    """Column names must be unique; a copy is never renamed (``Class.1`` would be a feature)."""
    counts = Counter(name for name in names if name != "")
    repeated = [f"{name!r} ({count} times)" for name, count in counts.items() if count > 1]
    if repeated:
        raise ValueError(
            f"{source} has duplicate column names: {', '.join(repeated[:10])}. Columns are never "
            "renamed (pandas would read a second 'Class' as a feature 'Class.1', a copy of the "
            "label); rename or remove the copies."
        )


def check_dialect(sep: str = ",", decimal: str = ".") -> tuple[str, str]:
    """Check a CSV dialect: ``sep`` between fields, ``decimal`` inside numbers.

    Args:
        sep: one character (``","``, ``";"``, a tab); the two characters ``\\t`` (as typed on
            a command line) stand for a tab.
        decimal: one character (``"."`` or ``","``), other than ``sep``.

    Returns:
        ``(sep, decimal)`` as pandas takes them.

    Raises:
        TypeError: a value that is not a str.
        ValueError: not one character, a quote or line break, or the same for both.
    """
    checked = []
    for name, value in (("sep", sep), ("decimal", decimal)):
        if not isinstance(value, str):
            raise TypeError(
                f"{name} must be one character (a str), got {value!r} of type "
                f"{type(value).__name__}."
            )
        value = "\t" if value == "\\t" else value
        if len(value) != 1 or value in '\r\n"':
            raise ValueError(
                f"{name}={value!r} must be one character other than a quote or a line break; "
                "e.g. sep=';' and decimal=',' for a CSV written with decimal commas (--data.sep "
                "';' --data.decimal ','), sep='\\t' for tabs."
            )
        checked.append(value)
    if checked[0] == checked[1]:
        raise ValueError(
            f"sep={checked[0]!r} and decimal={checked[1]!r} are the same character; a CSV with "
            "decimal commas separates its fields with another one (sep=';')."
        )
    return checked[0], checked[1]


def read_frame(
    path: Path, text: str, max_line_bytes: int | None = None, *, sep: str = ",", decimal: str = "."
) -> Any:
    """Read a CSV or Parquet file (or a Parquet folder) into a DataFrame, refusing broken files.

    Before pandas sees a file: its path is checked (:func:`check_path`); a CSV's line lengths
    are checked against ``max_line_bytes`` and its header is read with the csv module; a
    Parquet file's schema is read with pyarrow (a folder's from all its files); in both, the
    columns are counted (at most :data:`MAX_COLUMNS`) and repeated names are refused (pandas
    would rename or fail on them).

    Args:
        path: the file or Parquet folder.
        text: the path as the user gave it, for messages.
        max_line_bytes: the longest CSV line read (:data:`MAX_LINE_BYTES` when None).
        sep: the CSV field separator (:func:`check_dialect`).
        decimal: the CSV decimal mark.

    Returns:
        The whole table as a DataFrame.

    Raises:
        ValueError: a broken file, too many columns, repeated names, a bad path.
        FileNotFoundError: no such path.
        IsADirectoryError: a directory without Parquet files.
    """
    import pandas as pd  # heavy optional library (recipes extra), loaded when a file is read

    bound = _line_bound(max_line_bytes)
    sep, decimal = check_dialect(sep, decimal)
    files = check_path(path, text)
    if files is not None:
        return _read_parquet_folder(path, files)
    if path.suffix.lower() != ".csv":
        names = _parquet_schema(path).names
        _check_columns(names, path.name)
        try:
            frame = pd.read_parquet(path)
        except ImportError:
            raise
        except Exception as error:  # pyarrow raises its own types (ArrowInvalid, OSError)
            raise _not_parquet(path, error) from None
    else:
        _check_line_lengths(path, bound)
        _check_columns(_csv_header(path, sep), path.name)
        try:
            frame = pd.read_csv(path, sep=sep, decimal=decimal)
        except UnicodeDecodeError as error:
            raise _not_utf8(path, error) from None
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path.name} holds no header and no rows.") from None
        except pd.errors.ParserError as error:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
            detail = (
                f"line {found.group(2)} has {found.group(3)} fields but the header has {found.group(1)}"
                if found
                else f"pandas could not parse it ({' '.join(str(error).split())})"
            )
            raise ValueError(
                f"{path.name} is not a well-formed CSV file: {detail}. Every line must have as "
                "many fields as the header."
            ) from None
        if frame.isna().to_numpy().any():
            _check_short_lines(path, len(frame.columns), sep)
    return frame


def read_sample(
    path: Path,
    text: str,
    max_line_bytes: int | None = None,
    rows: int = SAMPLE_ROWS,
    *,
    sep: str = ",",
    decimal: str = ".",
) -> Any:
    """The header and the first rows of a CSV or Parquet file (or folder), as a DataFrame.

    The same file checks as :func:`read_frame` (a checked path, a bounded line length over
    the lines read here, at most :data:`MAX_COLUMNS` columns, unique names), without reading
    the rest of the file. At most ``rows`` rows and :data:`SAMPLE_CELLS` cells are read: the
    header is counted first, so a wide table is sampled on fewer rows.

    Args:
        path: the file or Parquet folder.
        text: the path as the user gave it, for messages.
        max_line_bytes: the longest CSV line read (:data:`MAX_LINE_BYTES` when None).
        rows: the most rows read after the header.
        sep: the CSV field separator (:func:`check_dialect`).
        decimal: the CSV decimal mark.

    Returns:
        The header and first rows as a DataFrame.

    Raises:
        ValueError: as :func:`read_frame`.
    """
    import pandas as pd  # heavy optional library (recipes extra), loaded when a file is read

    bound = _line_bound(max_line_bytes)
    sep, decimal = check_dialect(sep, decimal)
    files = check_path(path, text)
    if files is not None:
        schema = parquet_folder_schema(files, path.name)
        _check_columns(schema.names, path.name)
        rows = _sample_rows(rows, len(schema.names))
        first = _parquet_batch(files[0], rows)
        table = schema.empty_table() if first is None else cast_to_schema(first, schema, files[0])
        return table.to_pandas()
    if path.suffix.lower() != ".csv":
        schema = _parquet_schema(path)
        _check_columns(schema.names, path.name)
        batch = _parquet_batch(path, _sample_rows(rows, len(schema.names)))
        return (batch if batch is not None else schema.empty_table()).to_pandas()
    _check_line_lengths(path, bound, max_lines=2)
    header = _csv_header(path, sep)
    _check_columns(header, path.name)
    rows = _sample_rows(rows, len(header))
    _check_line_lengths(path, bound, max_lines=rows + 1)
    # A ragged line among the first rows: the header alone here; read_frame names the line.
    first_rows = rows if _fields_match(path, len(header), rows, sep) else 0
    try:
        return pd.read_csv(path, nrows=first_rows, sep=sep, decimal=decimal)
    except UnicodeDecodeError as error:
        raise _not_utf8(path, error) from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path.name} holds no header and no rows.") from None
    except pd.errors.ParserError:
        return pd.read_csv(path, nrows=0, sep=sep)  # read_frame names the broken line


def _sample_rows(rows: int, columns: int) -> int:
    """Rows of a sample of at most :data:`SAMPLE_CELLS` cells (at least one row)."""
    return max(1, min(rows, SAMPLE_CELLS // max(columns, 1)))


def _check_columns(names: Sequence[str], source: str) -> None:
    """At most :data:`MAX_COLUMNS` columns, with unique names; checked before pandas reads."""
    if len(names) > MAX_COLUMNS:
        raise ValueError(
            f"{source} has {len(names):,} columns, more than the {MAX_COLUMNS:,} a table may "
            "have (MAX_COLUMNS: pandas needs minutes and gigabytes to read 10^6 columns, even "
            "one row of them); select the columns to train on first (e.g. "
            "pandas.read_csv(path, usecols=[...]) or pyarrow), or check that the file is not "
            "transposed (one row per example, one column per feature)."
        )
    refuse_duplicate_columns(names, source)


def _parquet_batch(path: Path, rows: int) -> Any:
    import pyarrow.parquet as pq  # heavy optional library, loaded when Parquet is read

    try:
        return next(pq.ParquetFile(path).iter_batches(batch_size=rows), None)
    except Exception as error:  # pyarrow raises its own types (ArrowInvalid, OSError)
        raise _not_parquet(path, error) from None


def _read_parquet_folder(folder: Path, files: list[Path]) -> Any:
    """A Parquet folder as one DataFrame (NOTE [one schema per Parquet folder])."""
    import pyarrow as pa  # heavy optional library, loaded when Parquet is read
    import pyarrow.parquet as pq  # heavy optional library, loaded when Parquet is read

    schema = parquet_folder_schema(files, folder.name)
    _check_columns(schema.names, folder.name)
    tables = []
    for file in files:
        try:
            table = pq.read_table(file)
        except Exception as error:  # pyarrow raises its own types (ArrowInvalid, OSError)
            raise _not_parquet(file, error) from None
        tables.append(cast_to_schema(table, schema, file))
    return pa.concat_tables(tables).to_pandas()


def _fields_match(path: Path, fields: int, rows: int, sep: str = ",") -> bool:
    """Whether the first ``rows`` lines after the header have as many fields as the header."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        try:
            for number, row in enumerate(csv.reader(handle, delimiter=sep)):
                if number > rows:
                    return True
                if row and len(row) != fields:
                    return False
        except (UnicodeDecodeError, csv.Error):
            return False
    return True


def _line_bound(max_line_bytes: int | None) -> int:
    bound = MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes
    if isinstance(bound, bool) or not isinstance(bound, int) or bound < 1:
        raise ValueError(f"max_line_bytes must be a positive int or None, got {bound!r}.")
    return bound


def _parquet_schema(path: Path) -> Any:
    try:
        import pyarrow.parquet as pq  # heavy optional library, loaded when Parquet is read

        return pq.read_schema(path)
    except ImportError:
        raise
    except Exception as error:  # pyarrow raises its own types (ArrowInvalid, OSError)
        raise _not_parquet(path, error) from None


def _not_parquet(path: Path, error: Exception) -> ValueError:
    # pyarrow raises its own types (ArrowInvalid, OSError): one message for all of them
    return ValueError(
        f"{path.name} could not be read as a Parquet file ({type(error).__name__}: "
        f"{error}); check that it is a complete Parquet file."
    )


def _not_utf8(path: Path, error: UnicodeDecodeError) -> ValueError:
    return ValueError(f"{path.name} is not a UTF-8 text CSV file ({error}); save it as UTF-8 CSV.")


def _check_line_lengths(path: Path, bound: int, max_lines: int | None = None) -> None:
    """Refuse a CSV line longer than ``bound`` bytes after reading at most about the bound.

    The file is read in chunks no longer than the bound, so a line inside one chunk is within
    the bound; only the run of bytes since the last newline is carried from chunk to chunk.
    With ``max_lines``, stop once that many lines were checked.
    """
    chunk_size = max(1, min(bound, _CHUNK_BYTES))
    line, run = 1, 0
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            first = chunk.find(b"\n")
            run += len(chunk) if first < 0 else first
            if run > bound:
                raise ValueError(
                    f"line {line} of {path.name} is longer than the bound of {bound} bytes on a "
                    f"CSV line (header included): {run} bytes were read without reaching its "
                    "end. Check that the file is a CSV with one row per line, or raise the "
                    "bound (load_table(..., max_line_bytes=...); default MAX_LINE_BYTES = "
                    f"{MAX_LINE_BYTES})."
                )
            if first >= 0:
                line += chunk.count(b"\n")
                run = len(chunk) - chunk.rfind(b"\n") - 1
                if max_lines is not None and line > max_lines:
                    return


def _csv_header(path: Path, sep: str = ",") -> list[str]:
    """The header's column names as written (pandas would rename repeated ones)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        try:
            return next((row for row in csv.reader(handle, delimiter=sep) if row), [])
        except UnicodeDecodeError as error:
            raise _not_utf8(path, error) from None
        except csv.Error as error:
            raise ValueError(
                f"{path.name} is not a well-formed CSV file: its header could not be read "
                f"({error})."
            ) from None


def _check_short_lines(path: Path, fields: int, sep: str = ",") -> None:
    """pandas fills the missing fields of a short line with NaN; refuse such lines instead."""
    with open(path, newline="", encoding="utf-8") as handle:
        try:
            for number, row in enumerate(csv.reader(handle, delimiter=sep), start=1):
                if row and len(row) < fields:
                    raise ValueError(
                        f"{path.name} is not a well-formed CSV file: line {number} has {len(row)} "
                        f"fields but the header has {fields}. Every line must have as many fields "
                        "as the header (write empty fields as ',,' to mark missing values)."
                    )
        except csv.Error:  # a field beyond the csv module's limit: pandas read it, keep that
            return

"""Reading CSV and Parquet files into DataFrames, checked and bounded before pandas parses them.

* A CSV line, the header included, holds at most ``MAX_LINE_BYTES`` bytes (or the
  ``max_line_bytes`` given to :func:`~imbalance_torch.lightning.tables.load_table`): the file is
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
  instead of after the whole file is parsed.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["MAX_LINE_BYTES", "SAMPLE_ROWS", "read_frame", "read_sample", "refuse_duplicate_columns"]

#: The longest CSV line (header included) that :func:`load_table` reads, in bytes (16 MiB).
#: Checked in 1 MiB chunks before pandas parses the file; ``load_table(max_line_bytes=...)``
#: sets another bound for one call.
MAX_LINE_BYTES = 16 * 2**20
_CHUNK_BYTES = 2**20
#: Rows :func:`read_sample` reads after the header.
SAMPLE_ROWS = 1000


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


def read_frame(path: Path, text: str, max_line_bytes: int | None = None) -> Any:
    """Read a CSV or Parquet file into a DataFrame, refusing broken files with a message.

    Before pandas sees a file: a CSV's line lengths are checked against ``max_line_bytes`` and
    its header is read with the csv module; a Parquet file's schema is read with pyarrow; in
    both, repeated column names are refused (pandas would rename or fail on them).
    """
    import pandas as pd

    bound = _line_bound(max_line_bytes)
    _check_path(path, text)
    if path.suffix.lower() != ".csv":
        refuse_duplicate_columns(_parquet_schema(path).names, path.name)
        try:
            frame = pd.read_parquet(path)
        except ImportError:
            raise
        except Exception as error:  # pyarrow raises its own types (ArrowInvalid, OSError)
            raise _not_parquet(path, error) from None
    else:
        _check_line_lengths(path, bound)
        refuse_duplicate_columns(_csv_header(path), path.name)
        try:
            frame = pd.read_csv(path)
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
            _check_short_lines(path, len(frame.columns))
    return frame


def read_sample(path: Path, text: str, max_line_bytes: int | None = None, rows: int = SAMPLE_ROWS) -> Any:
    """The header and the first ``rows`` rows of a CSV or Parquet file, as a DataFrame.

    The same file checks as :func:`read_frame` (a bounded line length, over the lines read
    here; unique column names), without reading the rest of the file.
    """
    import pandas as pd

    bound = _line_bound(max_line_bytes)
    _check_path(path, text)
    if path.suffix.lower() != ".csv":
        schema = _parquet_schema(path)
        refuse_duplicate_columns(schema.names, path.name)
        import pyarrow.parquet as pq

        try:
            batch = next(pq.ParquetFile(path).iter_batches(batch_size=rows), None)
        except Exception as error:  # pyarrow raises its own types (ArrowInvalid, OSError)
            raise _not_parquet(path, error) from None
        return (batch if batch is not None else schema.empty_table()).to_pandas()
    _check_line_lengths(path, bound, max_lines=rows + 1)
    header = _csv_header(path)
    refuse_duplicate_columns(header, path.name)
    # A ragged line among the first rows: the header alone here; read_frame names the line.
    first_rows = rows if _fields_match(path, len(header), rows) else 0
    try:
        return pd.read_csv(path, nrows=first_rows)
    except UnicodeDecodeError as error:
        raise _not_utf8(path, error) from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path.name} holds no header and no rows.") from None
    except pd.errors.ParserError:
        return pd.read_csv(path, nrows=0)  # read_frame names the broken line


def _fields_match(path: Path, fields: int, rows: int) -> bool:
    """Whether the first ``rows`` lines after the header have as many fields as the header."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        try:
            for number, row in enumerate(csv.reader(handle)):
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


def _check_path(path: Path, text: str) -> None:
    if path.is_dir():
        raise IsADirectoryError(
            f"data={text!r} is a directory, not a file; pass the path of the .csv or .parquet "
            "file itself."
        )
    if not path.is_file():
        raise FileNotFoundError(
            f"data={text!r}: no such file (relative paths start at {os.getcwd()}); pass the "
            "path of an existing .csv or .parquet file."
        )
    if path.stat().st_size == 0:
        raise ValueError(f"{path.name} is empty (0 bytes): no header and no rows.")


def _parquet_schema(path: Path) -> Any:
    try:
        import pyarrow.parquet as pq

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


def _csv_header(path: Path) -> list[str]:
    """The header's column names as written (pandas would rename repeated ones)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        try:
            return next((row for row in csv.reader(handle) if row), [])
        except UnicodeDecodeError as error:
            raise _not_utf8(path, error) from None
        except csv.Error as error:
            raise ValueError(
                f"{path.name} is not a well-formed CSV file: its header could not be read "
                f"({error})."
            ) from None


def _check_short_lines(path: Path, fields: int) -> None:
    """pandas fills the missing fields of a short line with NaN; refuse such lines instead."""
    with open(path, newline="", encoding="utf-8") as handle:
        try:
            for number, row in enumerate(csv.reader(handle), start=1):
                if row and len(row) < fields:
                    raise ValueError(
                        f"{path.name} is not a well-formed CSV file: line {number} has {len(row)} "
                        f"fields but the header has {fields}. Every line must have as many fields "
                        "as the header (write empty fields as ',,' to mark missing values)."
                    )
        except csv.Error:  # a field beyond the csv module's limit: pandas read it, keep that
            return

"""The files and the one schema of a Parquet folder, shared by every reader of one.

NOTE [one schema per Parquet folder]: a folder of Parquet files (as Spark and Dask write) is
one table. Its files are the ``*.parquet`` / ``*.pq`` files under it in sorted path order,
skipping every path with a component that starts with ``.`` or ``_`` (``.ipynb_checkpoints``,
``_temporary``, ``_SUCCESS``), the prefixes pyarrow's dataset discovery ignores. Its schema is
taken from all files, not the first: the files must have the same column names in the same
order, and a column whose type differs between files is promoted as pyarrow's
``unify_schemas(promote_options="permissive")`` promotes it (int64 in one file and float64 in
the next read as float64, so 0.34 is never truncated to 0); values are cast with pyarrow's
safe casts, so an integer a float64 cannot hold exactly is refused, not rounded. Types with no
common type (text in one file, numbers in the next) are refused naming the files and types.
``ParquetSource`` and the Lightning table readers both use these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["PARQUET_SUFFIXES", "cast_to_schema", "parquet_folder_files", "parquet_folder_schema"]

#: File-name endings read as Parquet inside a folder.
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Path components starting with these are skipped, as pyarrow's dataset discovery does.
HIDDEN_PREFIXES = (".", "_")


def parquet_folder_files(folder: Path) -> list[Path]:
    """The Parquet files of ``folder`` (NOTE [one schema per Parquet folder]).

    Args:
        folder: a directory.

    Returns:
        The ``*.parquet`` / ``*.pq`` files under it, in sorted path order, without those under
        a hidden path component (``.*``, ``_*``). Empty when there are none.
    """
    files = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(part.startswith(HIDDEN_PREFIXES) for part in parts):
            continue
        if path.suffix.lower() in PARQUET_SUFFIXES and path.is_file():
            files.append(path)
    return files


def parquet_folder_schema(files: Sequence[Path], where: str) -> Any:
    """One ``pyarrow.Schema`` for all ``files`` (NOTE [one schema per Parquet folder]).

    Args:
        files: the folder's files (:func:`parquet_folder_files`), at least one.
        where: how messages name the folder.

    Returns:
        The first file's schema with each column's type promoted to fit every file.

    Raises:
        ValueError: files with other column names, or a column whose types have no common
            type, naming the files and the types.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(file) for file in files]
    names = list(schemas[0].names)
    for file, schema in zip(files[1:], schemas[1:]):
        if list(schema.names) != names:
            raise ValueError(
                f"{where}: {file.name} has columns {list(schema.names)[:30]}, {files[0].name} "
                f"has {names[:30]}; every file of a Parquet folder must have the same columns in "
                "the same order."
            )
    fields = []
    for i, name in enumerate(names):
        seen: dict[Any, Path] = {}
        for file, schema in zip(files, schemas):
            seen.setdefault(schema.field(i).type, file)
        if len(seen) == 1:
            fields.append(schemas[0].field(i))
            continue
        try:
            merged = pa.unify_schemas(
                [pa.schema([pa.field(name, kind)]) for kind in seen], promote_options="permissive"
            )
        except (pa.ArrowTypeError, pa.ArrowInvalid, NotImplementedError):
            shown = ", ".join(f"{kind} in {file.name}" for kind, file in list(seen.items())[:5])
            raise ValueError(
                f"{where}: column {name!r} has types that cannot be read as one ({shown}); "
                "write it with one type in every file (e.g. numbers everywhere), or leave the "
                "odd files out of the folder."
            ) from None
        fields.append(merged.field(0))
    return pa.schema(fields, metadata=schemas[0].metadata)


def cast_to_schema(table: Any, schema: Any, file: Path) -> Any:
    """``table`` (read from ``file``) cast to the folder's ``schema`` with a safe cast.

    Raises:
        ValueError: a value the folder's type cannot hold exactly (an integer beyond 2**53
            read as float64), naming the file.
    """
    import pyarrow as pa

    if table.schema.equals(schema, check_metadata=False):
        return table
    target = pa.schema([schema.field(name) for name in table.column_names])
    try:
        return table.cast(target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ValueError(
            f"{file.name} holds a value its folder's column type cannot hold exactly ({error}); "
            "write the column with one type in every file."
        ) from None

"""Time splits: sortable keys of a time column, the cuts, and the split itself (NOTE [purged
groups] in ``lightning/datamodule/split_kinds.py`` for a time split with a group column)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Literal, get_args

import numpy as np

from imbalance_torch.lightning.datamodule.splits import SPLIT_NAMES, Splits, check_fractions

__all__ = ["GROUP_RULES", "GroupRule", "cut_key", "show_time", "time_keys", "time_split"]

GroupRule = Literal["latest", "first"]
GROUP_RULES: tuple[str, ...] = get_args(GroupRule)


def time_keys(values: Any, column: str) -> tuple[np.ndarray, bool]:
    """Sortable keys of a time column: ``(keys, is_datetime)``.

    Numbers are kept as float64 (seconds, days, a row counter); dates (datetime values or
    text such as ``2024-05-01 13:00``) become int64 nanoseconds since 1970 (UTC when they
    carry a time zone). Text dates with different UTC offsets (``+01:00`` in winter,
    ``+02:00`` in summer) are converted to UTC, with a warning that says so.

    Raises:
        ValueError: missing or infinite times, dates outside the range a key can hold
            (1677-09-21 to 2262-04-11; never wrapped), or values that are neither numbers nor
            dates (naming the column, the first bad value and its row).
        TypeError: a column of True/False.
    """
    import pandas as pd  # heavy optional library (recipes extra), loaded for date columns

    series = pd.Series(values)
    if series.isna().any():
        rows = np.flatnonzero(series.isna().to_numpy())
        raise ValueError(
            f"time_column={column!r} has {rows.size} missing value(s), first at rows "
            f"{rows[:5].tolist()}; every row needs a time to be put in order. Fill or drop "
            "those rows."
        )
    if series.dtype == bool:
        raise TypeError(
            f"time_column={column!r} holds True/False, not times; name a column of numbers "
            "or dates."
        )
    if pd.api.types.is_numeric_dtype(series.dtype):
        keys = series.to_numpy(dtype=np.float64)
        infinite = np.flatnonzero(np.isinf(keys))
        if infinite.size:
            raise ValueError(
                f"time_column={column!r} has {infinite.size} infinite value(s), first at rows "
                f"{infinite[:5].tolist()}; every row needs a finite time to be put in order. "
                "Fix or drop those rows."
            )
        return keys, False
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = _parse_dates(series, column)
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    low, high = pd.Timestamp.min, pd.Timestamp.max
    outside = np.flatnonzero(((series < low) | (series > high)).to_numpy())
    if outside.size:
        row = int(outside[0])
        raise ValueError(
            f"time_column={column!r} holds {outside.size} date(s) outside the range a time "
            f"split can order ({low.date()} to {high.date()}), first {str(series.iloc[row])!r} at row "
            f"{row}; fix or drop those rows (a year such as 1500 is often a typo)."
        )
    return series.dt.as_unit("ns").to_numpy().astype(np.int64), True


def _parse_dates(series: Any, column: str) -> Any:
    """Text dates as datetimes; mixed UTC offsets converted to UTC with a warning."""
    import pandas as pd  # heavy optional library (recipes extra), loaded for date columns

    try:
        parsed = pd.to_datetime(series, errors="coerce", format="mixed")
    except ValueError as error:  # pandas: "Mixed timezones detected. Pass utc=True ..."
        if "timezone" not in str(error).lower():
            raise
        parsed = pd.to_datetime(series, errors="coerce", format="mixed", utc=True)
        warnings.warn(
            f"time_column={column!r} holds dates with different UTC offsets (or with and "
            "without one); they were converted to UTC to be put in order (a date without an "
            "offset is read as UTC).",
            UserWarning,
            stacklevel=4,
        )
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise ValueError(
            f"time_column={column!r} holds values that are neither numbers nor dates: "
            f"{series.iloc[bad[0]]!r} at row {bad[0]} ({bad.size} such rows); write times "
            "as numbers (e.g. seconds) or dates such as 2024-05-01 13:00."
        )
    return parsed


def cut_key(value: Any, is_datetime: bool, name: str) -> float | int:
    """A cut point (``val_start`` / ``test_start``) as a key comparable with :func:`time_keys`."""
    import pandas as pd  # heavy optional library (recipes extra), loaded for date columns

    if is_datetime:
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            stamp = pd.NaT
        if pd.isna(stamp):
            raise ValueError(
                f"{name}={value!r} is not a date, but the time column holds dates; pass one such "
                "as 2024-05-01 or 2024-05-01 13:00."
            )
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        if not pd.Timestamp.min <= stamp <= pd.Timestamp.max:
            raise ValueError(
                f"{name}={value!r} is outside the range a time split can order "
                f"({pd.Timestamp.min.date()} to {pd.Timestamp.max.date()}); pass a date in it."
            )
        return int(stamp.as_unit("ns").value)
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number or a date, got {value!r}.")
    try:
        key = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}={value!r} is not a number, but the time column holds numbers; pass a "
            "number in the column's unit."
        ) from None
    if not np.isfinite(key):
        raise ValueError(
            f"{name}={value!r} is not a finite time; pass a number in the column's unit."
        )
    return key


def show_time(key: float | int, is_datetime: bool) -> str:
    if is_datetime:
        import pandas as pd  # heavy optional library (recipes extra), loaded for date columns

        return str(pd.Timestamp(int(key)))
    return f"{key:g}"


# ----------------------------------------------------------------------------- splitters
def _time_cuts(
    keys: np.ndarray,
    val_fraction: float,
    test_fraction: float,
    val_start: float | int | None,
    test_start: float | int | None,
) -> tuple[Any, Any]:
    """The first validation and the first test time: the given cut points, or the times at the
    fractions' quantiles of the rows."""
    n = keys.shape[0]
    if (val_start is None) != (test_start is None):
        raise ValueError(
            f"val_start={val_start!r} and test_start={test_start!r}: give both cut points, or "
            "neither (then val_fraction and test_fraction place the cuts)."
        )
    if val_start is None:
        check_fractions(val_fraction, test_fraction)
        ordered = np.sort(keys, kind="stable")
        num_test = int(round(test_fraction * n))
        num_val = int(round(val_fraction * n))
        first_val = n - num_test - num_val
        if num_test < 1 or num_val < 1 or first_val < 1:
            raise ValueError(
                f"{n} rows cannot be split in time into train/validation/test with "
                f"val_fraction={val_fraction}, test_fraction={test_fraction}; use more rows."
            )
        val_cut, test_cut = ordered[first_val].item(), ordered[n - num_test].item()
    else:
        val_cut, test_cut = val_start, test_start
        if not val_cut < test_cut:
            raise ValueError(
                f"val_start must be earlier than test_start, got {val_start!r} and {test_start!r}."
            )
    return val_cut, test_cut


def time_split(
    keys: np.ndarray,
    *,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    val_start: float | int | None = None,
    test_start: float | int | None = None,
    groups: np.ndarray | None = None,
    show_time: Callable[[Any], str] = "{:g}".format,
    group_rule: str = "latest",
) -> Splits:
    """Train on the earliest rows, validate on the next, test on the latest.

    Args:
        keys: ``(n,)`` sortable times (:func:`time_keys`).
        val_fraction: share of rows from the validation cut on (ignored with cut points).
        test_fraction: share of rows from the test cut on (ignored with cut points).
        val_start: the first validation time (a key); rows before it train.
        test_start: the first test time (a key).
        groups: ``(n,)`` group codes: NOTE [purged groups].
        show_time: how messages write a key.
        group_rule: with ``groups``: ``latest`` or ``first`` (NOTE [purged groups]).

    Returns:
        The three index arrays; rows of a group purged from earlier periods are in none.

    Raises:
        ValueError: bad fractions, cut points out of order, or an empty split (naming the
            cut and how many rows share its time; with ``groups``, how many groups span a cut
            and the fixes that work: no group column, or a group split).
    """
    keys = np.asarray(keys)
    val_cut, test_cut = _time_cuts(keys, val_fraction, test_fraction, val_start, test_start)
    split_of_row = np.searchsorted(
        np.array([val_cut, test_cut], dtype=keys.dtype), keys, side="right"
    )
    periods = split_of_row  # each row's period by time alone (the group rule makes new arrays)
    if group_rule not in GROUP_RULES:
        raise ValueError(f"group_rule={group_rule!r} is not one of {', '.join(GROUP_RULES)}.")
    if groups is not None:
        codes = np.asarray(groups)
        size = int(codes.max()) + 1 if codes.size else 0
        if group_rule == "first":
            # NOTE [purged groups]: a group lives in the split of its first row; all rows kept.
            first = np.full(size, 2, dtype=np.int64)
            np.minimum.at(first, codes, split_of_row)
            split_of_row = first[codes]
        else:
            # NOTE [purged groups]: a group lives in the split of its latest row.
            latest = np.zeros(size, dtype=np.int64)
            np.maximum.at(latest, codes, split_of_row)
            keep = split_of_row == latest[codes]
            split_of_row = np.where(keep, split_of_row, -1)
    splits = Splits(*(np.flatnonzero(split_of_row == s) for s in range(3)))
    for name in SPLIT_NAMES:
        if splits[name].size == 0:
            if groups is not None:
                raise _empty_with_groups(name, periods, np.asarray(groups), group_rule)
            tied = int(np.isin(keys, [val_cut, test_cut]).sum())
            raise ValueError(
                f"the time split leaves the {name} split empty (cuts at times {show_time(val_cut)} "
                f"and {show_time(test_cut)}; rows of one time stay together, and {tied} row(s) sit on a cut). "
                "Move val_start/test_start, or change val_fraction/test_fraction."
            )
    return splits


def _empty_with_groups(
    name: str, periods: np.ndarray, codes: np.ndarray, group_rule: str
) -> ValueError:
    """A time split with groups left ``name`` empty: say how many groups span a cut and name
    the fixes that keep every split (NOTE [purged groups])."""
    size = int(codes.max()) + 1
    earliest = np.full(size, 2, dtype=np.int64)
    latest = np.zeros(size, dtype=np.int64)
    np.minimum.at(earliest, codes, periods)
    np.maximum.at(latest, codes, periods)
    present = np.bincount(codes, minlength=size) > 0
    spanning = int((present & (earliest < latest)).sum())
    return ValueError(
        f"the time split with groups leaves the {name} split empty: {spanning} of "
        f"{int(present.sum())} groups span a cut (rows in two periods), and each group lives in "
        f"the split of its {group_rule} row (group_rule={group_rule!r}), so no group is left for the "
        f"{name} split. Moving the cuts helps little while groups span them: drop "
        "group_column (--data.group_column; a plain time split keeps time order and every row, "
        "and a group seen in history comes back later, as in production), or split whole "
        "groups at random (split='group', --data.split group; time order is not kept)."
    )

"""Time columns and labels read by one rule (issue 22 items 2 and 3).

Times: infinities refused like NaN (with the row), dates a split cannot order refused (never
wrapped: year 1500 became 2084), mixed UTC offsets converted to UTC with a warning. Labels:
NOTE [one label rule] in ``imbalance_torch/lightning/tables/table.py`` in every entry point.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from imbalance_torch.lightning import ImbalanceDataModule
from imbalance_torch.lightning.datamodule.split_kinds import SplitPlan, time_keys
from imbalance_torch.lightning.tables.table import load_table, table_from_arrays, table_from_frame


# ----------------------------------------------------------------------- times
def timed_frame(when: list, rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    times = list(pd.date_range("2024-01-01", periods=rows, freq="h").astype(str))
    for row, value in enumerate(when):
        times[row * 7 + 3] = value
    return pd.DataFrame({
        "when": times,
        "amount": rng.standard_normal(rows),
        "Class": (np.arange(rows) % 4 == 0).astype(int),
    })


def time_module(data: pd.DataFrame, container: str, tmp_path: Path) -> ImbalanceDataModule:
    kwargs = {"target": "Class", "split": "time", "time_column": "when"}
    if container == "DataFrame":
        return ImbalanceDataModule.from_frame(data, **kwargs)
    path = tmp_path / f"data.{container.lower()}"
    data.to_csv(path, index=False) if container == "CSV" else data.to_parquet(path, index=False)
    return ImbalanceDataModule(data=str(path), **kwargs)


@pytest.mark.parametrize("container", ["DataFrame", "CSV", "Parquet"])
def test_a_date_in_1500_is_refused_not_wrapped_into_2084(tmp_path, container):
    data = timed_frame(["1500-03-01 00:00:00"])
    with pytest.raises(ValueError, match=(
        r"time_column='when' holds 1 date\(s\) outside the range a time split can order "
        r"\(1677-09-21 to 2262-04-11\), first '1500-03-01 00:00:00' at row 3; fix or drop those rows"
    )):
        time_module(data, container, tmp_path).setup("fit")


@pytest.mark.parametrize("container", ["DataFrame", "CSV", "Parquet"])
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_times_are_refused_like_nan_with_their_rows(tmp_path, container, value):
    rows = 120
    data = pd.DataFrame({
        "when": np.arange(rows, dtype=np.float64),
        "amount": np.linspace(0, 1, rows),
        "Class": (np.arange(rows) % 4 == 0).astype(int),
    })
    data.loc[[5, 40], "when"] = value
    with pytest.raises(ValueError, match=(
        r"time_column='when' has 2 infinite value\(s\), first at rows \[5, 40\]; every row needs "
        r"a finite time to be put in order"
    )):
        time_module(data, container, tmp_path).setup("fit")


def test_mixed_utc_offsets_are_converted_to_utc_with_a_warning():
    values = pd.Series(["2024-03-30 23:30+01:00", "2024-03-31 00:10+02:00", "2024-03-31 01:00+02:00"])
    with pytest.warns(UserWarning, match=(
        r"time_column='when' holds dates with different UTC offsets \(or with and without one\); "
        r"they were converted to UTC"
    )):
        keys, is_datetime = time_keys(values, "when")
    assert is_datetime
    expected = pd.to_datetime(["2024-03-30 22:30", "2024-03-30 22:10", "2024-03-30 23:00"])
    np.testing.assert_array_equal(keys, expected.as_unit("ns").asi8)  # the second is earliest


def test_a_csv_time_column_with_mixed_offsets_splits_in_utc_order(tmp_path):
    rows = 200
    stamps = pd.date_range("2024-03-01", periods=rows, freq="6h", tz="Europe/Paris")  # crosses DST
    data = pd.DataFrame({
        "when": [s.isoformat() for s in stamps],
        "amount": np.linspace(0, 1, rows),
        "Class": (np.arange(rows) % 4 == 0).astype(int),
    })
    assert {s[-6:] for s in data["when"]} == {"+01:00", "+02:00"}
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    dm = ImbalanceDataModule(data=str(path), target="Class", split="time", time_column="when")
    with pytest.warns(UserWarning, match="converted to UTC"):
        dm.setup("fit")
    assert dm.splits.train.max() < dm.splits.val.min() <= dm.splits.val.max() < dm.splits.test.min()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("val_start", "1500-01-01", r"val_start='1500-01-01' is outside the range a time split can order"),
    ("test_start", float("inf"), r"test_start=inf is not a finite time"),
])
def test_cut_points_a_split_cannot_order_are_refused(name, value, message):
    numeric = isinstance(value, float)
    rows = 40
    columns = {"when": np.arange(rows, dtype=float) if numeric else pd.date_range("2024-01-01", periods=rows).astype(str)}
    labels = (np.arange(rows) % 2).astype(int)
    cuts = {"val_start": 10.0 if numeric else "2024-01-10", "test_start": 20.0 if numeric else "2024-01-20", name: value}
    plan = SplitPlan("time", time_column="when", **cuts)
    with pytest.raises(ValueError, match=message):
        plan.split(labels, columns)


# ----------------------------------------------------------------------- labels
def table_of(labels, container: str, tmp_path: Path):
    """The same labels beside one feature column, through one entry point."""
    features = np.arange(len(labels), dtype=np.float64)[:, None]
    if container == "ndarray":
        return table_from_arrays(features, np.asarray(labels))
    if container == "tensor":
        return table_from_arrays(torch.from_numpy(features), torch.tensor(labels))
    if container == "list":
        return table_from_arrays(features, list(labels))
    frame = pd.DataFrame({"x": features[:, 0], "t": labels})
    if container == "DataFrame":
        return table_from_frame(frame, target="t")
    path = tmp_path / f"data.{container.lower()}"
    frame.to_csv(path, index=False) if container == "CSV" else frame.to_parquet(path, index=False)
    return load_table(path, target="t")


LABEL_CONTAINERS = ["ndarray", "tensor", "list", "DataFrame", "CSV", "Parquet"]


@pytest.mark.parametrize("container", LABEL_CONTAINERS)
@pytest.mark.parametrize("odd", [0.5, 1.0000001])
def test_fractional_labels_are_refused_with_their_row_everywhere(tmp_path, container, odd):
    labels = [0.0] * 20 + [1.0] * 10
    for row in range(5, 15):
        labels[row] = odd
    with pytest.raises(ValueError, match=(
        rf"must hold class labels; got the number {odd} at row 5 \(10 such rows, first at rows "
        r"\[5, 6, 7, 8, 9\]\), which is not a whole number\. Regression targets cannot be over-sampled"
    )):
        table_of(labels, container, tmp_path)


@pytest.mark.parametrize("container", ["ndarray", "DataFrame", "CSV", "Parquet"])
def test_infinite_labels_are_refused(tmp_path, container):
    labels = [0.0] * 20 + [1.0] * 9 + [np.inf]
    with pytest.raises(ValueError, match=r"has 1 infinite labels \(first at rows \[29\]\)"):
        table_of(labels, container, tmp_path)


@pytest.mark.parametrize("container", ["ndarray", "list", "DataFrame", "CSV", "Parquet"])
def test_text_labels_that_denote_one_number_are_one_class(tmp_path, container):
    """'1', '1.0' and ' 1' are one class, as the same CSV column read as numbers is."""
    labels = ["0"] * 20 + ["1", "1.0", " 1"] * 4
    table = table_of(labels, container, tmp_path)
    assert table.class_names == ("0", "1")
    assert table.class_counts() == [20, 12]


@pytest.mark.parametrize("container", ["ndarray", "DataFrame", "CSV", "Parquet"])
def test_numeric_text_among_names_that_denote_one_number_is_refused(tmp_path, container):
    labels = ["ok"] * 20 + ["1"] * 5 + ["1.0"] * 5
    with pytest.raises(ValueError, match=(
        r"holds the labels '1' and '1\.0', which denote the same number but are different text, "
        r"among labels that are not all numbers; write each class one way"
    )):
        table_of(labels, container, tmp_path)


@pytest.mark.parametrize("container", ["ndarray", "DataFrame", "CSV", "Parquet"])
def test_text_names_stay_names(tmp_path, container):
    table = table_of(["ok"] * 20 + ["fraud"] * 5, container, tmp_path)
    assert table.class_names == ("ok", "fraud") and table.class_counts() == [20, 5]


def test_from_arrays_matches_the_core_on_whole_float_labels():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = table_from_arrays(np.zeros((6, 1)), np.array([0.0, 1.0, 0.0, 1.0, 0.0, 0.0]))
    assert table.class_names == ("0", "1") and table.labels.tolist() == [0, 1, 0, 1, 0, 0]

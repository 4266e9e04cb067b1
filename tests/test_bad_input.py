"""Bad input, one matrix: every case fails early and clearly, or is accepted unchanged.

Each case is ``(name, build, error, check)``. ``build(tmp_path)`` feeds one input to the public
API (core, Lightning data module, CSV/Parquet loading, the recipes). With ``error`` set, it
must raise exactly that type (ours or Python's, never a torch/numpy/scikit-learn/pandas one)
with ``check`` (a regex) in the message. With ``error=None`` the input is accepted and
``check(result)`` asserts the data were not silently changed (counts and values as expected,
no NaN or infinity produced). Every case runs under a 60 s alarm: nothing may hang.
"""

from __future__ import annotations

import importlib.util
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pytest
import torch

from imbalance_torch import (
    ADASYN,
    SMOTE,
    SMOTENC,
    BalancedSampler,
    BorderlineSMOTE,
    RandomOverSampler,
    SMOTEDataset,
)
from imbalance_torch.lightning import ImbalanceDataModule, TabularClassifier, load_table
from imbalance_torch.neighbors import IndexFileError

REPO = Path(__file__).resolve().parents[1]


class Case(NamedTuple):
    name: str
    build: Callable[[Path], Any]
    error: type[BaseException] | None
    check: str | Callable[[Any], None]


def recipe(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"recipe_{name}", REPO / "recipes" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


g = torch.Generator().manual_seed(0)
X = torch.randn(60, 3, generator=g)
y = torch.tensor([0] * 50 + [1] * 10)
x_np, y_np = X.numpy().astype(np.float64), y.numpy()


BOOL_RULE = (
    r"over-sampling interpolates between rows, so a bool feature would become fractions such "
    r"as 0\.94, which are neither True nor False"
)


def _with(value, row=0, column=0):
    bad = X.clone()
    bad[row, column] = value
    return bad


def core(name, build, error, check):
    """A case that needs no files."""
    return Case(name, lambda _: build(), error, check)


# --------------------------------------------------------------------- accepted inputs
def synthetic_rows(dataset):
    rows, labels = dataset[torch.arange(dataset.num_real, len(dataset))]
    assert bool(torch.isfinite(rows.float()).all()), "synthetic rows hold NaN or infinity"
    return rows, labels


def identical_minority():
    features = X.clone()
    features[50:] = torch.tensor([1.0, -2.0, 3.0])
    return SMOTEDataset(features, y, seed=0)


def check_identical_minority(dataset):
    rows, labels = synthetic_rows(dataset)
    assert len(rows) == 40 and bool((labels == 1).all())
    assert bool((rows == torch.tensor([1.0, -2.0, 3.0])).all())  # zero-distance neighbours: the row itself


def check_duplicates(dataset):
    assert len(dataset) == 200 and dataset.num_real == 120
    index = torch.arange(dataset.num_real, len(dataset))
    prov = dataset.provenance(index)
    assert bool((prov["base_index"] != prov["neighbor_index"]).all())  # never its own neighbour
    rows, _ = synthetic_rows(dataset)
    base, neighbor = dataset.features[prov["base_index"]], dataset.features[prov["neighbor_index"]]
    expected = base + prov["gap"].float()[:, None] * (neighbor - base)
    assert torch.allclose(rows, expected, atol=1e-6)
    assert torch.equal(dataset.features, torch.cat([X, X]))  # the real rows are unchanged


def check_within_minority_box(dataset, features):
    rows, _ = synthetic_rows(dataset)
    minority = features[50:].to(rows.dtype)
    assert bool((rows >= minority.min(0).values).all() and (rows <= minority.max(0).values).all())
    assert rows.dtype == features.dtype


def huge_values():
    features = X.clone()
    features[50:] *= 1e38 / 3
    features[50, 0], features[51, 0] = 1e38, -1e38
    return SMOTEDataset(features, y), features


def near_float32_max():
    features = X.clone()
    features[50:55] = 3e38
    features[55:] = -3e38
    return SMOTEDataset(features, y), features


def float16_features():
    features = (X * 1000).half()
    return SMOTEDataset(features, y), features


def ten_thousand_classes_sampler():
    labels = torch.cat([torch.zeros(3, dtype=torch.long), torch.arange(1, 10_001)])
    sampler = BalancedSampler(list(range(len(labels))), labels=labels, seed=0)
    return sampler, labels


def check_ten_thousand_classes_sampler(result):
    sampler, labels = result
    index = sampler.epoch_indices()
    assert len(index) == 30_003 and int(index.min()) >= 0 and int(index.max()) < len(labels)
    assert set(torch.bincount(labels[index]).tolist()) == {3}  # every class exactly 3 times
    assert set(sampler.epoch_counts().values()) == {3}


def ten_thousand_classes_dataset():
    labels = torch.cat([torch.zeros(5, dtype=torch.long), torch.arange(1, 10_001).repeat_interleave(2)])
    features = torch.randn(len(labels), 2, generator=torch.Generator().manual_seed(1))
    return SMOTEDataset(features, labels, oversampler=SMOTE(k_neighbors=1))


def check_ten_thousand_classes_dataset(dataset):
    assert len(dataset.classes) == 10_000 and dataset.num_synthetic == 30_000
    _, labels = synthetic_rows(dataset)
    assert set(torch.bincount(labels)[1:].tolist()) == {3}


def one_row_minority_duplicates():
    labels = torch.tensor([0] * 59 + [1])
    return BalancedSampler(list(range(60)), labels=labels, seed=0)


def check_one_row_minority_duplicates(sampler):
    index = sampler.epoch_indices()
    assert sampler.epoch_counts() == {0: 59, 1: 59}
    assert int((index == 59).sum()) == 59  # the one minority row, duplicated; nothing invented


# ---------------------------------------------------------------- data module inputs
def data(features, labels, **kwargs):
    module = ImbalanceDataModule.from_arrays(features, labels, **kwargs)
    module.setup("fit")
    return module


def check_string_labels(module):
    assert module.class_names == ("no", "yes")  # the minority is the positive class 1
    np.testing.assert_array_equal(module.table.labels, (np.arange(60) >= 50).astype(np.int64))


def check_huge_values_module(module):
    features, _ = module.split_tensors("train")
    assert bool(torch.isfinite(features).all())
    rows, _ = synthetic_rows(module.train_dataset())
    assert len(rows) > 0


def check_float16_module(module):
    np.testing.assert_array_equal(module.table.features, X.half().numpy().astype(np.float64))
    assert bool(torch.isfinite(module.split_tensors("train")[0]).all())


def check_ten_thousand_classes_module(module):
    assert module.num_classes == 10_000 and len(set(module.sampled_class_counts)) == 1
    assert len(module.train_sampler().epoch_indices()) == sum(module.sampled_class_counts)


# ------------------------------------------------------------------------- files
def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def csv(tmp_path, text, name="data.csv", **kwargs):
    return load_table(write(tmp_path, name, text), target=kwargs.pop("target", "t"), **kwargs)


GOOD_CSV = "a,b,t\n" + "".join(f"{i},{i % 7},{'fraud' if i % 10 == 0 else 'ok'}\n" for i in range(100))


def duplicate_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    labels = pa.array([0, 1, 0, 1])
    pq.write_table(pa.Table.from_arrays([pa.array([1.0, 2, 3, 4]), labels, labels], names=["a", "t", "t"]), tmp_path / "data.parquet")
    return tmp_path / "data.parquet"


def struct_target_parquet(tmp_path):
    pd.DataFrame({"a": [1.0, 2, 3, 4], "t": [{"code": i % 2} for i in range(4)]}).to_parquet(tmp_path / "data.parquet")
    return tmp_path / "data.parquet"


def check_csv_string_labels(table):
    assert table.class_names == ("ok", "fraud") and table.class_counts() == [90, 10]
    np.testing.assert_array_equal(table.features[:, 0], np.arange(100.0))


def run_recipe(tmp_path, *args):
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=120,
    )


def fails_with_one_line(fragment):
    def check(done):
        assert done.returncode != 0
        assert "Traceback" not in done.stderr, done.stderr[-2000:]
        assert fragment in done.stderr.strip().splitlines()[-1], done.stderr[-2000:]
    return check



# ------------------------------------------------------------ containers (issue 9, item 6)
# NOTE [one rule per container] (imbalance_torch/_validation.py): the same content gets the same
# result or the same message in every container. A concept is a feature frame (columns x0..x2)
# plus labels; each container feeds it to the entry point that takes that container. The core
# (SMOTEDataset, BalancedSampler) takes tensors, arrays and DataFrames; the tables
# (ImbalanceDataModule.from_arrays / from_frame, load_table) also take CSV and Parquet files.
# "DataFrame (nullable)" is the same content in pandas' nullable dtypes (Int64, Float64,
# boolean, string), whose missing values are pd.NA.
CORE_CONTAINERS = ("tensor", "ndarray", "DataFrame", "DataFrame (nullable)")
TABLE_CONTAINERS = ("tensor", "ndarray", "DataFrame", "DataFrame (nullable)", "CSV", "Parquet")
NULLABLE = {"b": "boolean", "i": "Int64", "u": "UInt64", "f": "Float64", "O": "string"}


def concept_frame(concept: str) -> pd.DataFrame:
    values = {
        "bool features": x_np > 0,
        "integer features": np.round(x_np * 10).astype(np.int64),
        "strings": np.where(x_np > 0, "up", "down").astype(object),
        "NaN": np.where((np.arange(60)[:, None] == 4) & (np.arange(3) == 1), np.nan, x_np),
        "infinity": np.where((np.arange(60)[:, None] == 7) & (np.arange(3) == 2), np.inf, x_np),
        "float16": (x_np * 1000).astype(np.float16),
        "empty": np.zeros((0, 3)),
    }[concept]
    return pd.DataFrame(values, columns=["x0", "x1", "x2"])


def as_container(frame: pd.DataFrame, container: str) -> Any:
    if container == "ndarray":
        return frame.to_numpy()
    if container == "tensor":
        return torch.tensor(frame.to_numpy())
    if container == "DataFrame (nullable)":
        return frame.astype({c: NULLABLE.get(frame[c].dtype.kind, frame[c].dtype) for c in frame})
    return frame


def core_input(concept: str, container: str) -> SMOTEDataset:
    frame = concept_frame(concept)
    return SMOTEDataset(as_container(frame, container), y[: len(frame)], seed=0)


def table_input(concept: str, container: str, tmp_path: Path) -> Any:
    frame = concept_frame(concept)
    labels = y_np[: len(frame)]
    if container in ("tensor", "ndarray"):
        module = ImbalanceDataModule.from_arrays(as_container(frame, container), labels)
    elif container.startswith("DataFrame"):
        module = ImbalanceDataModule.from_frame(as_container(frame, container).assign(t=labels), target="t")
    else:
        path = tmp_path / ("data.csv" if container == "CSV" else "data.parquet")
        framed = frame.assign(t=labels)
        framed.to_csv(path, index=False) if container == "CSV" else framed.to_parquet(path)
        module = ImbalanceDataModule.from_table(load_table(path, target="t"))
    module.setup("fit")
    return module


def reference_dataset(concept: str) -> SMOTEDataset:
    return SMOTEDataset(torch.tensor(concept_frame(concept).to_numpy()), y, seed=0)


def check_same_dataset(concept: str, dtype: torch.dtype) -> Callable[[SMOTEDataset], None]:
    def check(dataset: SMOTEDataset) -> None:
        reference = reference_dataset(concept)
        assert dataset.features.dtype == dtype and torch.equal(dataset.features, reference.features)
        assert torch.equal(synthetic_rows(dataset)[0], synthetic_rows(reference)[0])
    return check


def check_same_table(concept: str, container: str) -> Callable[[Any], None]:
    def check(module: Any) -> None:
        expected = concept_frame(concept).to_numpy().astype(np.float64)
        # A CSV holds float16 values as their shortest text, which reads back as float64.
        tolerance = 1e-3 if container == "CSV" and concept == "float16" else 0
        np.testing.assert_allclose(module.table.features, expected, rtol=tolerance, atol=0)
        np.testing.assert_array_equal(module.table.labels, y_np)
    return check


STRINGS_CORE = r"X holds non-numeric values (\(dtype object\)|in columns \['x0 \((object|str|string)\)')"
STRINGS_TABLE = r"features of \S+ are not numeric(: columns x0 \((object|str|string)\)| \(dtype object\))"
CORE_RULES: dict[str, tuple[type[BaseException] | None, Any]] = {
    "bool features": (TypeError, r"X holds bool values in column\(s\) \[('x0'|0), ('x1'|1), ('x2'|2)\]; " + BOOL_RULE),
    "integer features": (None, check_same_dataset("integer features", torch.int64)),
    "strings": (TypeError, STRINGS_CORE),
    "NaN": (ValueError, r"X has 1 NaN or infinite value\(s\), first at row 4, column 1"),
    "infinity": (ValueError, r"X has 1 NaN or infinite value\(s\), first at row 7, column 2 \(value inf\)"),
    "float16": (None, check_same_dataset("float16", torch.float16)),
    "empty": (ValueError, r"X is empty \(shape \(0, 3\)\); pass at least one row and column"),
}
TABLE_RULES: dict[str, tuple[type[BaseException] | None, Any]] = {
    "bool features": (TypeError, r"features of \S+ hold bool values in column\(s\) \[('x0'|0), ('x1'|1), ('x2'|2)\]; " + BOOL_RULE),
    "integer features": (None, "same table"),
    "strings": (TypeError, STRINGS_TABLE),
    "NaN": (ValueError, r"features of \S+ contain 1 NaN values in 1 columns: 'x1' \(1 rows, first at rows \[4\]\)"),
    "infinity": (ValueError, r"features of \S+ contain 1 infinite values in 1 columns: 'x2' \(1 rows, first at rows \[7\]\)"),
    "float16": (None, "same table"),
    # Arrays and frames: no rows; a CSV or Parquet file: a header (3 features and the target).
    "empty": (ValueError, r"features of \S+ are empty \(shape \(0, 3\)\)|\S+ has a header but no rows \(4 column\(s\) and nothing under them\); there is nothing to train on"),
}
# A tensor cannot hold text; there is no nullable float16 (the pandas container is the numpy one).
NO_SUCH_INPUT = {("strings", "tensor"), ("float16", "DataFrame (nullable)")}


def container_cases() -> list[Case]:
    cases = []
    for concept, (error, check) in CORE_RULES.items():
        for container in CORE_CONTAINERS:
            if (concept, container) not in NO_SUCH_INPUT:
                build = partial(core_input, concept, container)
                cases.append(core(f"container {container}, core: {concept}", build, error, check))
    for concept, (error, check) in TABLE_RULES.items():
        for container in TABLE_CONTAINERS:
            if (concept, container) not in NO_SUCH_INPUT:
                build = partial(table_input, concept, container)
                rule = check_same_table(concept, container) if check == "same table" else check
                cases.append(Case(f"container {container}, tables: {concept}", build, error, rule))
    return cases


def label_cases() -> list[Case]:
    """BalancedSampler(labels=...) and SMOTEDataset(y=...) over tensor, ndarray and Series."""
    rules = {
        "bool labels": (y_np > 0, TypeError, r"labels has dtype torch.bool; pass integer class labels"),
        "NaN label": (np.r_[y_np[:-1], np.nan], ValueError, "labels has NaN or infinite labels"),
        "string labels": (np.where(y_np > 0, "b", "a").astype(object), TypeError, "labels holds strings"),
    }
    cases = []
    for concept, (values, error, message) in rules.items():
        for container in ("tensor", "ndarray", "Series", "Series (nullable)"):
            if concept == "string labels" and container == "tensor":
                continue
            if container == "tensor":
                labels = torch.from_numpy(values)
            elif container == "Series":
                labels = pd.Series(values)
            elif container == "Series (nullable)":
                labels = pd.Series(values).astype(NULLABLE.get(values.dtype.kind, "Int64") if concept != "NaN label" else "Int64")
            else:
                labels = values
            build = partial(BalancedSampler, list(range(60)), labels=labels)
            cases.append(core(f"container {container}, sampler labels: {concept}", build, error, message))
    return cases


EVIL_YAML = "trainer:\n  max_epochs: !!python/object/apply:os.system ['touch {marker}']\n"


def evil_config(tmp_path):
    marker = tmp_path / "code_ran"
    path = write(tmp_path, "evil.yaml", EVIL_YAML.format(marker=marker))
    try:
        recipe("train").main(["fit", "--config", str(path)])
    finally:
        assert not marker.exists()


CASES = [
    # -- core: SMOTEDataset / oversamplers / BalancedSampler (moved from tests/data/test_errors.py)
    core("NaN feature", lambda: SMOTEDataset(_with(float("nan"), 4, 2), y), ValueError, r"X has 1 NaN or infinite value\(s\), first at row 4, column 2"),
    core("inf feature", lambda: SMOTEDataset(_with(float("inf")), y), ValueError, "NaN or infinite"),
    core("lengths differ", lambda: SMOTEDataset(X, y[:-1]), ValueError, "X has 60 rows, y has 59"),
    core("single class", lambda: SMOTEDataset(X, torch.zeros(60, dtype=torch.long)), ValueError, r"at least 2 classes .* got 1 class"),
    core("fractional labels", lambda: SMOTEDataset(X, y.float() + 0.5), ValueError, "float 0.5 at row 0, which is not a whole number"),
    core("string labels", lambda: SMOTEDataset(X, np.array(["a"] * 50 + ["b"] * 10)), TypeError, "holds strings"),
    core("class too small for k", lambda: SMOTEDataset(X, torch.tensor([0] * 56 + [1] * 4)), ValueError, r"k_neighbors=5 needs at least 6 rows of class 1, which has 4; lower k_neighbors to 3"),
    core("class of one row", lambda: SMOTEDataset(X, torch.tensor([0] * 59 + [1])), ValueError, r"class 1: it has 1 row\(s\)"),
    core("adasyn too small", lambda: SMOTEDataset(X, torch.tensor([0] * 57 + [1] * 3), oversampler=ADASYN()), ValueError, "n_neighbors=5 needs at least 6 rows of class 1, which has 3; lower n_neighbors to 2"),
    core("strategy removes rows", lambda: SMOTEDataset(X, y, sampling_strategy={1: 5}), ValueError, "asks for 5 rows of class 1, which has 10; over-sampling cannot remove rows"),
    core("float strategy removes rows", lambda: SMOTEDataset(X, y, sampling_strategy=0.1), ValueError, "would add no rows"),
    core("unknown class", lambda: SMOTEDataset(X, y, sampling_strategy={3: 50}), ValueError, r"class\(es\) \[3\] that are not in y"),
    core("categorical out of range", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[5])), ValueError, r"categorical_features \[5\] are out of range for X with 3 columns"),
    core("categorical covers all", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[0, 1, 2])), ValueError, "covers all 3 columns"),
    core("categorical empty", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[])), ValueError, "categorical_features is empty"),
    core("categorical not codes", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[0])), ValueError, "must hold integer category codes"),
    core("categorical mask length", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[True, False])), ValueError, "boolean mask of length 2 but X has 3"),
    core("empty X", lambda: SMOTEDataset(torch.empty(0, 3), torch.empty(0, dtype=torch.long)), ValueError, r"X is empty \(shape \(0, 3\)\)"),
    core("1-D X", lambda: SMOTEDataset(X[:, 0], y), ValueError, r"X must be 2-D .* got shape \(60,\)"),
    core("3-D X", lambda: SMOTEDataset(X.reshape(60, 3, 1), y), ValueError, r"X must be 2-D .* got shape \(60, 3, 1\)"),
    core("devices differ", lambda: SMOTEDataset(X, y.to("meta")), ValueError, "X is on cpu but y is on meta"),
    core("float seed", lambda: SMOTEDataset(X, y, seed=1.5), TypeError, "seed must be a non-negative int; got 1.5"),
    core("bool seed", lambda: SMOTEDataset(X, y, seed=True), TypeError, "seed must be a non-negative int; got True"),
    core("negative seed", lambda: SMOTEDataset(X, y, seed=-1), ValueError, r"seed must be in \[0, 2\*\*63\)"),
    core("k zero", lambda: SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=0)), ValueError, "k_neighbors must be an int >= 1; got k_neighbors=0"),
    core("k bool", lambda: SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=True)), TypeError, "k_neighbors must be an int >= 1; got True"),
    core("k float", lambda: SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=5.0)), TypeError, "k_neighbors must be an int"),
    core("m zero", lambda: SMOTEDataset(X, y, oversampler=BorderlineSMOTE(m_neighbors=0)), ValueError, "m_neighbors must be an int >= 1"),
    core("unknown kind", lambda: SMOTEDataset(X, y, oversampler=BorderlineSMOTE(kind="borderline-3")), ValueError, "kind='borderline-3' is not known"),
    core("shrinkage negative", lambda: SMOTEDataset(X, y, oversampler=RandomOverSampler(shrinkage=-1.0)), ValueError, "shrinkage must be >= 0"),
    core("shrinkage dict missing class", lambda: SMOTEDataset(X, y, oversampler=RandomOverSampler(shrinkage={0: 1.0})), ValueError, "without class 1"),
    core("oversampler type", lambda: SMOTEDataset(X, y, oversampler="smote"), TypeError, "oversampler must be an imbalance_torch oversampler"),
    core("bool features", lambda: SMOTEDataset(X > 0, y), TypeError, BOOL_RULE),
    core("complex features", lambda: SMOTEDataset(X.to(torch.complex64), y), TypeError, "complex dtype"),
    core("object features", lambda: SMOTEDataset(np.array([["a", 1]] * 60, dtype=object), y), TypeError, r"X holds non-numeric values \(dtype object\)"),
    core("sampler without labels", lambda: BalancedSampler(list(range(60))), TypeError, "labels is required for a list"),
    core("sampler batch size", lambda: BalancedSampler(list(range(60)), labels=y, batch_size=0), ValueError, "batch_size must be an int >= 1"),
    core("sampler rank", lambda: BalancedSampler(list(range(60)), labels=y, num_replicas=2, rank=2), ValueError, "rank=2 must be below num_replicas=2"),
    core("sampler shuffle", lambda: BalancedSampler(list(range(60)), labels=y, shuffle="yes"), TypeError, "shuffle must be a bool"),
    core("sampler labels length", lambda: BalancedSampler(list(range(60)), labels=y[:10]), ValueError, "has 60 rows, labels has 10"),
    # -- core: more dtypes and shapes
    core("bool labels", lambda: SMOTEDataset(X, y.bool()), TypeError, r"y has dtype torch.bool; pass integer class labels"),
    core("complex labels", lambda: SMOTEDataset(X, y.to(torch.complex64)), TypeError, "y has complex dtype torch.complex64"),
    core("NaN label", lambda: SMOTEDataset(X, torch.tensor([0.0] * 50 + [1.0] * 9 + [float("nan")])), ValueError, "y has NaN or infinite labels"),
    core("one-hot labels", lambda: SMOTEDataset(X, torch.zeros(60, 2)), ValueError, r"y must be 1-D class labels; got shape \(60, 2\). For one-hot labels pass y.argmax\(1\)"),
    core("string labels as a list", lambda: SMOTEDataset(X, ["a"] * 50 + ["b"] * 10), TypeError, r"y holds strings"),
    core("text features as a list", lambda: SMOTEDataset([[1, "a", 2]] * 60, y), TypeError, r"X holds non-numeric values \(dtype <U"),
    core("empty labels for the sampler", lambda: BalancedSampler([], labels=torch.tensor([], dtype=torch.long)), ValueError, "empty"),
    core("index file missing", lambda: SMOTEDataset(X, y, index_path="/nonexistent/index.npz"), FileNotFoundError, "does not exist; fit and save it first"),
    Case("index file is a directory", lambda tmp: SMOTEDataset(X, y, index_path=tmp), IsADirectoryError, "is a directory; pass the file's path"),
    Case("index file of other data", lambda tmp: (SMOTEDataset(X, y).save_index(tmp / "i.npz"), SMOTEDataset(X + 1, y, index_path=tmp / "i.npz")), IndexFileError, "belongs to other training data"),
    # -- core: accepted inputs, data not silently changed
    core("minority of one row, duplicated", one_row_minority_duplicates, None, check_one_row_minority_duplicates),
    core("all-identical minority rows (zero distances)", identical_minority, None, check_identical_minority),
    core("duplicate rows", lambda: SMOTEDataset(torch.cat([X, X]), torch.cat([y, y])), None, check_duplicates),
    core("extreme values 1e38", huge_values, None, lambda r: check_within_minority_box(*r)),
    core("values near float32 max (+-3e38)", near_float32_max, None, lambda r: check_within_minority_box(*r)),
    core("float16 features", float16_features, None, lambda r: check_within_minority_box(*r)),
    core("10,000 classes, BalancedSampler", ten_thousand_classes_sampler, None, check_ten_thousand_classes_sampler),
    core("10,000 classes, SMOTEDataset", ten_thousand_classes_dataset, None, check_ten_thousand_classes_dataset),
    # -- data module (arrays)
    core("data: object features", lambda: data(np.array([[1, "a"]] * 60, dtype=object), y_np), TypeError, r"features of arrays are not numeric \(dtype object\)"),
    core("data: complex features", lambda: data(x_np.astype(complex), y_np), TypeError, r"features of arrays are complex \(dtype complex128\)"),
    core("data: bool features (refused, as in the core)", lambda: data(x_np > 0, y_np), TypeError, r"features of arrays hold bool values in column\(s\) \[0, 1, 2\]; " + BOOL_RULE),
    core("data: string labels (mapped)", lambda: data(x_np, np.array(["no"] * 50 + ["yes"] * 10)), None, check_string_labels),
    core("data: mixed label types", lambda: data(x_np, np.array([0] * 50 + ["yes"] * 10, dtype=object)), TypeError, r"labels of arrays mix value types \(int, str\)"),
    core("data: complex labels", lambda: data(x_np, y_np.astype(complex)), TypeError, "labels of arrays are complex"),
    core("data: NaN label", lambda: data(x_np, np.r_[np.zeros(50), np.ones(9), np.nan]), ValueError, r"has a missing label at row 59 \(NaN, None or an empty cell\)"),
    core("data: minority of one row", lambda: data(x_np, np.array(["a"] * 59 + ["b"])), ValueError, r"class 'b' \(1\) has 1 row\(s\); a stratified train/validation/test split needs at least 3 rows"),
    core("data: empty validation split", lambda: data(x_np, y_np, val_fraction=0.005), ValueError, "the validation split would hold about 0 of 60 rows, fewer than the 2 classes"),
    core("data: no rows", lambda: data(np.zeros((0, 3)), np.zeros(0)), ValueError, r"features of arrays are empty \(shape \(0, 3\)\)"),
    core("data: infinite feature", lambda: data(np.where(np.arange(60)[:, None] == 7, np.inf, x_np), y_np), ValueError, r"contain 3 infinite values in 3 columns: 'x0' \(1 rows, first at rows \[7\]\)"),
    core("data: beyond float32 without scaling", lambda: data(x_np * 1e39, y_np, scale=False), ValueError, r"beyond the float32 range \(\|x\| > 3.4e38\)"),
    core("data: too large to standardise", lambda: data(x_np * 1e300, y_np), ValueError, "too large to standardise"),
    core("data: extreme values 1e38, SMOTE", lambda: data(x_np * 1e38 / 4, y_np, resampling="smote", resampling_options={"k_neighbors": 3}, scale=False), None, check_huge_values_module),
    core("data: float16 features", lambda: data(X.half().numpy(), y_np), None, check_float16_module),
    core("data: 10,000 classes", lambda: data(np.random.default_rng(0).standard_normal((50_000, 2)), np.arange(50_000) % 10_000, resampling="random_over"), None, check_ten_thousand_classes_module),
    core("data: unknown resampling", lambda: ImbalanceDataModule(resampling="smot"), ValueError, "resampling='smot' is not a known strategy; known: none, random_over"),
    core("data: ratio above 1", lambda: ImbalanceDataModule(resampling="smote", ratio=2.0), ValueError, r"ratio must be a float in \(0, 1\]"),
    core("data: bool batch size", lambda: ImbalanceDataModule(batch_size=True), TypeError, "batch_size must be an int >= 1; got True of type bool"),
    core("data: resampled validation loader", lambda: data(x_np, y_np).dataloader("val", resampling="smote"), ValueError, "always served at the natural class ratio"),
    core("data: model with other class count", lambda: TabularClassifier(num_features=3, num_classes=3, natural_class_counts=[5, 5]), ValueError, "the data has 2 classes"),
    # -- CSV / Parquet loading
    Case("csv: ragged row (extra field)", lambda tmp: csv(tmp, "a,b,t\n1,2,0\n3,4,1,9\n5,6,0\n"), ValueError, "data.csv is not a well-formed CSV file: line 3 has 4 fields but the header has 3"),
    Case("csv: short row (missing field)", lambda tmp: csv(tmp, "a,b,t\n1,2\n3,4,1\n5,6,0\n"), ValueError, "line 2 has 2 fields but the header has 3"),
    Case("csv: header only", lambda tmp: csv(tmp, "a,b,t\n"), ValueError, r"data.csv has a header but no rows \(3 column\(s\) and nothing under them\); there is nothing to train on"),
    Case("csv: empty file", lambda tmp: csv(tmp, ""), ValueError, r"data.csv is empty \(0 bytes\)"),
    Case("csv: blank lines only", lambda tmp: csv(tmp, "\n\n\n"), ValueError, "holds no header and no rows"),
    Case("csv: missing file", lambda tmp: load_table(tmp / "missing.csv", target="t"), FileNotFoundError, "missing.csv': no such file"),
    Case("csv: a directory", lambda tmp: (tmp / "dir.csv").mkdir() or load_table(tmp / "dir.csv", target="t"), IsADirectoryError, "is a directory, not a file"),
    Case("csv: not UTF-8 text", lambda tmp: csv(tmp, b"a,b,t\n\xff\xfe,1,0\n"), ValueError, "is not a UTF-8 text CSV file"),
    Case("csv: string labels (mapped)", lambda tmp: csv(tmp, GOOD_CSV), None, check_csv_string_labels),
    Case("csv: missing target column", lambda tmp: csv(tmp, GOOD_CSV, target="Class"), ValueError, "target='Class' is not a column of data.csv; its columns are: a, b, t"),
    Case("csv: text column not declared categorical", lambda tmp: csv(tmp, "a,b,t\nx,1,0\ny,2,1\nz,3,0\n"), TypeError, r"features of data.csv are not numeric: columns a \((object|str)\); declare them categorical"),
    Case("csv: empty target cell", lambda tmp: csv(tmp, "a,b,t\n1,2,0\n3,4,\n5,6,1\n"), ValueError, r"the target of data.csv has a missing label at row 1 \(NaN, None or an empty cell\)"),
    Case("csv: inf in a feature", lambda tmp: csv(tmp, "a,b,t\n1,inf,0\n3,4,1\n5,6,0\n"), ValueError, r"features of data.csv contain 1 infinite values in 1 columns: 'b'"),
    Case("csv: unknown suffix", lambda tmp: load_table(write(tmp, "data.txt", GOOD_CSV), target="t"), ValueError, r"neither a built-in dataset \(fraud_like\), 'keel:NAME', nor a .csv/.parquet path"),
    Case("parquet: not a Parquet file", lambda tmp: load_table(write(tmp, "data.parquet", GOOD_CSV), target="t"), ValueError, "data.parquet could not be read as a Parquet file"),
    Case("csv: repeated header name (never renamed)", lambda tmp: csv(tmp, "a,t,t\n1,0,0\n2,1,1\n3,0,0\n"), ValueError, r"data.csv has duplicate column names: 't' \(2 times\)\. Columns are never renamed"),
    Case("parquet: repeated column name", lambda tmp: load_table(duplicate_parquet(tmp), target="t"), ValueError, r"data.parquet has duplicate column names: 't' \(2 times\)"),
    core("DataFrame: repeated column name", lambda: ImbalanceDataModule.from_frame(pd.DataFrame(np.zeros((4, 3)), columns=["a", "t", "t"]), target="t"), ValueError, r"DataFrame has duplicate column names: 't' \(2 times\)"),
    Case("parquet: target of structs", lambda tmp: load_table(struct_target_parquet(tmp), target="t"), TypeError, r"the target of data.parquet holds dict values \(\{'code': 0\} at row 0\), not class labels"),
    Case("csv: line beyond the bound", lambda tmp: csv(tmp, "a,t\n" + "9" * 5000, max_line_bytes=1024), ValueError, r"line 2 of data.csv is longer than the bound of 1024 bytes on a CSV line \(header included\): \d+ bytes were read"),
    Case("data module: ragged CSV path", lambda tmp: ImbalanceDataModule(data=str(write(tmp, "r.csv", "a,t\n1,0\n2,1,3\n")), target="t").setup("fit"), ValueError, "r.csv is not a well-formed CSV file: line 3 has 3 fields but the header has 2"),
    # -- recipes
    Case("compare.py: missing data file", lambda tmp: recipe("compare").main(["--data", str(tmp / "nope.csv"), "--target", "t", "--out", str(tmp / "o")]), FileNotFoundError, "nope.csv': no such file"),
    Case("compare.py: unknown strategy", lambda tmp: recipe("compare").main(["--strategies", "smot", "--rows", "2000", "--out", str(tmp / "o")]), ValueError, "unknown strategy 'smot'; known"),
    Case("compare.py: bad ratio", lambda tmp: recipe("compare").main(["--strategies", "smote", "--ratios", "2", "--rows", "2000", "--out", str(tmp / "o")]), ValueError, r"--ratios takes minority/majority ratios in \(0, 1\], got 2.0"),
    Case("train.py: config with a Python tag", evil_config, ValueError, r"evil.yaml: not a valid YAML config \(could not determine a constructor for the tag"),
    Case("train.py: unknown config key", lambda tmp: recipe("train").main(["fit", "--config", str(write(tmp, "c.yaml", "data:\n  resampler: smote\n"))]), ValueError, r"c.yaml: unknown key\(s\) data.resampler; known data keys"),
    Case("compare.py command line: ragged CSV", lambda tmp: run_recipe(tmp, "recipes/compare.py", "--data", str(write(tmp, "r.csv", "a,t\n1,0\n2,1,3\n")), "--target", "t", "--out", str(tmp / "o")), None, fails_with_one_line("error: r.csv is not a well-formed CSV file: line 3 has 3 fields")),
]

CASES += container_cases() + label_cases()

# Inputs the core does not handle yet (reported with a repro); strict, so a fix shows up.
CORE_XFAIL: dict[str, str] = {}


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=CORE_XFAIL[case.name])] if case.name in CORE_XFAIL else []
    return pytest.param(case, id=case.name, marks=marks)


class _Deadline:
    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        def expire(signum, frame):
            raise TimeoutError(f"the case ran for more than {self.seconds} s (a hang?)")

        self.previous = signal.signal(signal.SIGALRM, expire)
        signal.alarm(self.seconds)

    def __exit__(self, *exc) -> None:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.previous)


def test_the_matrix_covers_the_required_inputs():
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)
    names = " | ".join(c.name for c in CASES)
    for required in ("object", "bool", "complex", "string labels", "one row", "all-identical",
                     "duplicate rows", "1e38", "float16", "10,000 classes", "empty validation split",
                     "ragged row", "header only", "missing file", "a directory", "repeated header",
                     "repeated column", "target of structs", "beyond the bound"):
        assert required in names, required


@pytest.mark.filterwarnings("ignore:LightningCLI's args parameter")
@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(case: Case, tmp_path):
    with _Deadline(60):
        if case.error is None:
            case.check(case.build(tmp_path))
            return
        with pytest.raises(BaseException) as info:
            case.build(tmp_path)
    error = info.value
    # Exactly the promised type: a bare ValueError from pandas/numpy/scikit-learn subclasses
    # (ParserError, AxisError, ...) or an internal torch error does not count.
    assert isinstance(error, case.error), f"{type(error).__module__}.{type(error).__name__}: {error}"
    module = type(error).__module__
    assert module == "builtins" or module.startswith("imbalance_torch"), f"{module}.{type(error).__name__}: {error}"
    assert re.search(case.check, str(error)), f"{type(error).__name__}: {error}"

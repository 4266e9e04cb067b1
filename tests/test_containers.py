"""pandas extension dtypes in the core (issue 9, case e): one rule per container.

NOTE [one rule per container] (imbalance_torch/_validation.py): a nullable column becomes its
numpy dtype, or float64 with NaN where a value is missing; the result is then the result (or
the message) of the same content as a numpy array. The container x concept matrix lives in
tests/test_bad_input.py; these tests walk every nullable dtype through SMOTEDataset,
BalancedSampler(labels=) and the tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from imbalance_torch import BalancedSampler, SMOTEDataset
from imbalance_torch.lightning import ImbalanceDataModule

LABELS = np.r_[np.zeros(30, dtype=np.int64), np.ones(10, dtype=np.int64)]
VALUES = (np.arange(120).reshape(40, 3) * 7 % 11).astype(np.int64)
NUMPY_OF = {
    "Int8": np.int8, "Int16": np.int16, "Int32": np.int32, "Int64": np.int64,
    "UInt8": np.uint8, "UInt16": np.uint16, "UInt32": np.uint32, "UInt64": np.uint64,
    "Float32": np.float32, "Float64": np.float64,
}


def frame_of(dtype: str, missing_at: tuple[int, int] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(VALUES, columns=["a", "b", "c"]).astype(dtype)
    if missing_at is not None:
        frame.iloc[missing_at] = pd.NA
    return frame


@pytest.mark.parametrize("dtype", list(NUMPY_OF))
def test_a_single_nullable_dtype_frame_is_its_numpy_array(dtype):
    dataset = SMOTEDataset(frame_of(dtype), LABELS, seed=0)
    reference = SMOTEDataset(VALUES.astype(NUMPY_OF[dtype]), LABELS, seed=0)
    assert dataset.features.dtype == reference.features.dtype
    assert torch.equal(dataset.features, reference.features)
    synthetic = torch.arange(dataset.num_real, len(dataset))
    assert torch.equal(dataset[synthetic][0], reference[synthetic][0])


@pytest.mark.parametrize("dtype", list(NUMPY_OF))
def test_a_missing_value_reaches_the_nan_message_with_row_and_column(dtype):
    with pytest.raises(ValueError, match=r"X has 1 NaN or infinite value\(s\), first at row 5, column 2 \(value nan\)"):
        SMOTEDataset(frame_of(dtype, missing_at=(5, 2)), LABELS)


def test_mixed_nullable_and_numpy_columns_are_float64():
    frame = pd.DataFrame({
        "a": pd.array(VALUES[:, 0], dtype="Int64"),
        "b": pd.array(VALUES[:, 1], dtype="UInt8"),
        "c": VALUES[:, 2].astype(np.float32),
    })
    dataset = SMOTEDataset(frame, LABELS, seed=0)
    assert dataset.features.dtype == torch.float64
    assert torch.equal(dataset.features, torch.from_numpy(VALUES.astype(np.float64)))
    frame.loc[9, "b"] = pd.NA
    with pytest.raises(ValueError, match=r"first at row 9, column 1 \(value nan\)"):
        SMOTEDataset(frame, LABELS)


def test_wide_unsigned_arrays_become_int64_with_the_same_values():
    for dtype in (np.uint16, np.uint32, np.uint64):
        dataset = SMOTEDataset(VALUES.astype(dtype), LABELS, seed=0)
        assert dataset.features.dtype == torch.int64 and torch.equal(dataset.features, torch.from_numpy(VALUES))
    too_big = VALUES.astype(np.uint64)
    too_big[3, 1] = 2**63 + 5
    with pytest.raises(ValueError, match=r"X holds uint64 values of 2\*\*63 or more \(first at row 3, column 1\), beyond the int64 range"):
        SMOTEDataset(too_big, LABELS)


def test_boolean_string_and_category_columns_in_the_core():
    frame = pd.DataFrame({"a": VALUES[:, 0].astype(np.float64), "flag": pd.array(LABELS == 1, dtype="boolean")})
    with pytest.raises(TypeError, match=r"X holds bool values in column\(s\) \['flag'\]; over-sampling interpolates between rows.*SMOTENC\(categorical_features=\[\.\.\.\]\)"):
        SMOTEDataset(frame, LABELS)
    text = frame.assign(flag=pd.array(["x", "y"] * 20, dtype="string"))
    with pytest.raises(TypeError, match=r"X holds non-numeric values in columns \['flag \(string\)'\]; expected numbers"):
        SMOTEDataset(text, LABELS)
    category = frame.assign(flag=pd.Categorical(["x", "y"] * 20))
    with pytest.raises(TypeError, match=r"X has category columns \['flag'\]; the core takes numbers. Pass their codes \(X\[col\].cat.codes\).*from_frame"):
        SMOTEDataset(category, LABELS)
    with pytest.raises(TypeError, match=r"X has complex dtype torch.complex128; expected real numbers"):
        SMOTEDataset(frame.assign(flag=np.ones(40, dtype=complex)), LABELS)


@pytest.mark.parametrize("dtype", ["Int8", "Int64", "UInt8", "UInt64", "Float32", "Float64"])
def test_nullable_labels_are_their_numbers(dtype):
    labels = pd.Series(LABELS).astype(dtype)
    sampler = BalancedSampler(list(range(40)), labels=labels, seed=0)
    assert sampler.epoch_counts() == {0: 30, 1: 30}
    assert torch.equal(SMOTEDataset(VALUES.astype(np.float64), labels, seed=0).labels, torch.from_numpy(LABELS))
    missing = labels.copy()
    missing.iloc[4] = pd.NA
    with pytest.raises(ValueError, match="labels has NaN or infinite labels; pass integer class labels"):
        BalancedSampler(list(range(40)), labels=missing)


def test_text_and_category_labels_in_the_core_say_strings():
    for labels in (pd.Series(np.where(LABELS == 1, "b", "a"), dtype="string"), pd.Series(pd.Categorical(np.where(LABELS == 1, "b", "a")))):
        with pytest.raises(TypeError, match=r"y holds strings \(dtype object\); map them to integer class codes"):
            SMOTEDataset(VALUES.astype(np.float64), labels)
    codes = pd.Series(pd.Categorical(LABELS))  # a category of integers is its integers
    assert torch.equal(SMOTEDataset(VALUES.astype(np.float64), codes).labels, torch.from_numpy(LABELS))


def test_from_arrays_takes_a_nullable_frame_and_declared_bool_columns():
    frame = pd.DataFrame({"a": pd.array(VALUES[:, 0], dtype="Int64"), "flag": pd.array(LABELS == 0, dtype="boolean")})
    with pytest.raises(TypeError, match=r"features of arrays hold bool values in column\(s\) \['flag'\]"):
        ImbalanceDataModule.from_arrays(frame, LABELS)
    table = ImbalanceDataModule.from_arrays(frame, LABELS, categorical_features=[1]).table
    assert table.feature_names == ("a", "flag") and table.categories == (("0", "1"),)
    np.testing.assert_array_equal(table.features[:, 0], VALUES[:, 0])
    with pytest.raises(TypeError, match=r"features of arrays are not numeric: columns s \(string\); pass the frame to ImbalanceDataModule.from_frame"):
        ImbalanceDataModule.from_arrays(frame.assign(s=pd.array(["x"] * 40, dtype="string")), LABELS)


def test_a_one_column_frame_of_labels_is_its_column():
    features = VALUES.astype(np.float64)
    frame = pd.DataFrame({"y": pd.array(LABELS, dtype="Int64")})
    assert torch.equal(SMOTEDataset(features, frame, seed=0).labels, torch.from_numpy(LABELS))
    with pytest.raises(TypeError, match=r"y has dtype torch.bool; pass integer class labels"):
        SMOTEDataset(features, pd.DataFrame({"y": LABELS == 1}))
    with pytest.raises(TypeError, match=r"y holds strings"):
        SMOTEDataset(features, pd.DataFrame({"y": np.where(LABELS == 1, "b", "a")}))

"""Split kinds: time splits keep time order, group splits keep every id on one side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imbalance_torch.lightning import ImbalanceDataModule, make_fraud_like
from imbalance_torch.lightning.datamodule import group_splits
from imbalance_torch.lightning.datamodule.split_kinds import (
    SplitPlan,
    describe_split,
    group_split,
    time_keys,
    time_split,
)

SPLITS = ("train", "val", "test")


def labels_times_groups(rows=2000, seed=0):
    rng = np.random.default_rng(seed)
    labels = (rng.random(rows) < 0.1).astype(np.int64)
    times = rng.integers(0, rows // 4, rows).astype(float)  # many rows share a time
    groups = rng.integers(0, 150, rows)
    return labels, times, groups


def assert_time_order(times, splits):
    for earlier, later in (("train", "val"), ("val", "test")):
        assert times[splits[earlier]].max() < times[splits[later]].min()


def assert_groups_apart(groups, splits):
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        assert not set(groups[splits[a]]) & set(groups[splits[b]])


def test_time_split_by_fractions_keeps_time_order_and_ties_together():
    labels, times, _ = labels_times_groups()
    splits, description = SplitPlan("time", time_column="t").split(labels, {"t": times})
    assert_time_order(times, splits)
    assert sum(splits[s].size for s in SPLITS) == times.size
    # Ties stay on one side, so each share is close to its fraction, not exact.
    assert abs(splits.test.size / times.size - 0.2) < 0.02
    assert description["kind"] == "time"
    assert description["time_range"]["test"][1] == f"{times.max():g}"
    assert description["rows"] == {s: int(splits[s].size) for s in SPLITS}


def test_time_split_by_cut_points_on_dates():
    stamps = pd.date_range("2024-01-01", periods=240, freq="h")
    shuffled = np.random.default_rng(1).permutation(stamps.astype(str).to_numpy())
    labels = np.arange(240) % 5 == 0
    plan = SplitPlan("time", time_column="when", val_start="2024-01-08", test_start="2024-01-09 12:00")
    splits, description = plan.split(labels.astype(np.int64), {"when": shuffled})
    when = pd.to_datetime(pd.Series(shuffled))
    assert when[splits.train].max() < pd.Timestamp("2024-01-08") <= when[splits.val].min()
    assert when[splits.val].max() < pd.Timestamp("2024-01-09 12:00") <= when[splits.test].min()
    assert description["time_range"]["test"] == ["2024-01-09 12:00:00", "2024-01-10 23:00:00"]
    assert "time split on 'when': train 2024-01-01 00:00:00 to" in describe_split(description)


def test_time_split_with_groups_purges_earlier_rows_and_keeps_both_promises():
    labels, times, _ = labels_times_groups()
    # Cards active over a window of time, some windows across a cut.
    groups = (times // 25).astype(np.int64) * 2 + np.random.default_rng(1).integers(0, 2, times.size)
    splits, description = SplitPlan("time", time_column="t", group_column="g").split(
        labels, {"t": times, "g": groups}
    )
    assert_time_order(times, splits)
    assert_groups_apart(groups, splits)
    kept = sum(splits[s].size for s in SPLITS)
    assert description["purged_rows"] == times.size - kept > 0
    assert "earlier rows of later groups left out" in describe_split(description)


def test_time_split_warns_when_groups_span_the_periods():
    times = np.arange(100.0)
    groups = np.where((times < 10) | ((times >= 40) & (times < 45)), times, 1000 + times % 3)
    plan = SplitPlan("time", time_column="t", group_column="g", val_fraction=0.3, test_fraction=0.3)
    with pytest.raises(ValueError, match=r"left out 55 of 100 rows .* pass allow_dropped_rows=True"):
        plan.split(np.arange(100) % 2, {"t": times, "g": groups})
    allowed = SplitPlan("time", time_column="t", group_column="g", val_fraction=0.3, test_fraction=0.3,
                        allow_dropped_rows=True)
    with pytest.warns(UserWarning, match=r"left out 55 of 100 rows"):
        splits, _ = allowed.split(np.arange(100) % 2, {"t": times, "g": groups})
    assert splits.train.tolist() == list(range(10))
    assert splits.val.tolist() == list(range(40, 45))


def test_group_split_keeps_every_id_on_one_side_and_stratifies():
    labels, _, groups = labels_times_groups()
    splits, description = SplitPlan("group", group_column="g", seed=3).split(labels, {"g": groups})
    assert_groups_apart(groups, splits)
    assert sum(splits[s].size for s in SPLITS) == labels.size
    assert description["stratified"] is True
    assert sum(description["groups"].values()) == np.unique(groups).size
    for name in SPLITS:
        assert abs(labels[splits[name]].mean() - labels.mean()) < 0.03
    again, _ = SplitPlan("group", group_column="g", seed=3).split(labels, {"g": groups})
    assert all(np.array_equal(splits[s], again[s]) for s in SPLITS)


def test_group_split_beyond_the_stratified_limit_draws_groups(monkeypatch):
    monkeypatch.setattr(group_splits, "STRATIFIED_GROUP_LIMIT", 10)
    labels, _, groups = labels_times_groups()
    splits, stratified = group_split(labels, groups, val_fraction=0.2, test_fraction=0.2, seed=0)
    assert not stratified
    assert_groups_apart(groups, splits)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ({"kind": "random"}, ValueError, r"split='random' is not one of stratified, time, group"),
        ({"kind": "time"}, ValueError, r"split='time' needs time_column.*--data.time_column Time"),
        ({"kind": "group"}, ValueError, r"split='group' needs group_column.*--data.group_column card_id"),
        ({"time_column": "t"}, ValueError, r"time_column='t' is read by split='time' only"),
        ({"group_column": "g"}, ValueError, r"group_column='g' is read by split='group' \(or 'time'\) only"),
        ({"kind": "time", "time_column": "t", "val_start": 5}, ValueError, r"give both cut points, or neither"),
        ({"kind": "group", "group_column": "g", "val_start": 5, "test_start": 6}, ValueError, r"cut points of split='time', got split='group'"),
        ({"kind": "time", "time_column": 3}, TypeError, r"time_column must be a column name \(str\), got 3"),
        ({"kind": "time", "time_column": "t", "val_fraction": 0.5, "test_fraction": 0.5}, ValueError, r"must leave rows for training"),
    ],
)
def test_split_plan_refuses_bad_settings(arguments, error, match):
    with pytest.raises(error, match=match):
        SplitPlan(**arguments)


def test_time_split_errors():
    labels = np.zeros(10, dtype=np.int64)
    with pytest.raises(ValueError, match=r"time_column='t' has 1 missing value\(s\), first at rows \[2\]"):
        time_keys(np.array([1.0, 2.0, np.nan]), "t")
    with pytest.raises(TypeError, match=r"time_column='t' holds True/False, not times"):
        time_keys(np.array([True, False]), "t")
    with pytest.raises(ValueError, match=r"leaves the val split empty \(cuts at times 2024-01-03 00:00:00 and 2024-01-03 00:00:00"):
        SplitPlan("time", time_column="t").split(labels, {"t": np.array(["2024-01-01"] * 5 + ["2024-01-03"] * 5)})
    with pytest.raises(ValueError, match=r"neither numbers nor dates: 'soon' at row 1 \(1 such rows\)"):
        time_keys(np.array(["2024-01-01", "soon"], dtype=object), "t")
    with pytest.raises(ValueError, match=r"test_start='tomorrow' is not a date"):
        SplitPlan("time", time_column="t", val_start="2024-01-01", test_start="tomorrow").split(
            labels, {"t": pd.date_range("2024-01-01", periods=10).astype(str).to_numpy()}
        )
    with pytest.raises(ValueError, match=r"val_start must be earlier than test_start, got 5 and 5"):
        time_split(np.arange(10.0), val_start=5, test_start=5)
    with pytest.raises(ValueError, match=r"leaves the train split empty .* 9 row\(s\) sit on a cut"):
        time_split(np.array([0.0] * 8 + [1.0, 2.0]))
    with pytest.raises(ValueError, match=r"reads column 't', which this data does not carry"):
        SplitPlan("time", time_column="t").split(labels, {})


def test_group_split_needs_enough_groups():
    labels = np.array([0, 1] * 10)
    with pytest.raises(ValueError, match=r"needs at least 5 groups, but there are 3"):
        group_split(labels, np.arange(20) % 3, val_fraction=0.2, test_fraction=0.2, seed=0)


def test_data_module_time_split_reads_the_columns_beside_the_features():
    x, y, names = make_fraud_like(1200, positive_fraction=0.1, seed=2)
    frame = pd.DataFrame(x, columns=list(names)).assign(Class=y)
    frame["when"] = np.random.default_rng(0).permutation(1200)
    frame["card"] = np.arange(1200) % 97
    data = ImbalanceDataModule.from_frame(
        frame, target="Class", split="time", time_column="when", drop_columns=["card"]
    )
    data.setup("fit")
    assert data.num_features == len(names)  # neither 'when' nor 'card' is a feature
    assert_time_order(frame["when"].to_numpy(), data.splits)
    preprocessing = data.preprocessing
    assert preprocessing.split["kind"] == "time"
    assert set(preprocessing.split["time_range"]) == set(SPLITS)
    assert "when" in preprocessing.ignored_columns
    # Scaling is fitted on the train split only (the earliest rows).
    train_mean = x[data.splits.train, 0].mean()
    scaled = data.split_tensors("train")[0][:, 0].double()
    assert abs(float(scaled.mean())) < 1e-4
    assert abs(float(preprocessing.means[0]) - train_mean) < 1e-6


def test_data_module_group_split_from_a_file(tmp_path):
    x, y, names = make_fraud_like(1200, positive_fraction=0.1, seed=2)
    frame = pd.DataFrame(x, columns=list(names)).assign(Class=y, card=np.arange(1200) % 97)
    path = tmp_path / "cards.csv"
    frame.to_csv(path, index=False)
    data = ImbalanceDataModule(data=str(path), target="Class", split="group", group_column="card")
    data.setup("fit")
    assert_groups_apart(frame["card"].to_numpy(), data.splits)
    assert data.preprocessing.split["groups"]["test"] > 0


def test_a_time_split_without_a_class_says_to_move_the_cuts():
    # x is a measurement (np.arange(100.0) would be an id-like column: NOTE [id-like columns])
    frame = pd.DataFrame({"x": np.linspace(0.0, 1.0, 100) ** 2, "when": np.arange(100), "Class": 0})
    frame.loc[[5, 10, 50, 60, 70], "Class"] = 1  # no fraud in the test period (80..99)
    data = ImbalanceDataModule.from_frame(frame, target="Class", split="time", time_column="when")
    with pytest.raises(ValueError, match=r"the test split has no row of class '1' \(1\); the data has 5 such rows\. A time split is not stratified: .* Move the cut points \(--data\.val_start, --data\.test_start\)"):
        data.setup("fit")

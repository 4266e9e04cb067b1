"""Splits say what they cost: rows left out per split and class, a bound that needs a flag, a
row-keeping group rule for time splits, and a warning for thin validation and test splits
(NOTE [purged groups], NOTE [rows left out] in lightning/datamodule/split_kinds.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from imbalance_torch.lightning import ImbalanceDataModule, make_fraud_like
from imbalance_torch.lightning.datamodule.split_kinds import (
    MAX_LEFT_OUT_SHARE,
    MIN_EVAL_CLASS_ROWS,
    SplitPlan,
    describe_split,
)

SPLITS = ("train", "val", "test")


def straddling_cards(rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Transactions in time order where many cards are used in two periods (they straddle
    the cuts), as in card data where a card lives longer than a period."""
    x, y, names = make_fraud_like(rows, positive_fraction=0.1, seed=seed)
    frame = pd.DataFrame(x[:, 1:7], columns=list(names[1:7])).assign(Class=y)
    rng = np.random.default_rng(seed)
    frame["when"] = np.arange(rows)
    frame["card"] = rng.integers(0, rows // 2, rows)  # about 2 rows a card, spread over time
    return frame


def card_module(path, **kwargs) -> ImbalanceDataModule:
    return ImbalanceDataModule(
        data=str(path), target="Class", split="time", time_column="when", group_column="card", **kwargs
    )


def test_time_split_with_straddling_groups_is_refused_with_counts_and_the_fixes(tmp_path):
    path = tmp_path / "cards.csv"
    straddling_cards().to_csv(path, index=False)
    with pytest.raises(ValueError, match=(
        r"the time split with group_column='card' \(group_rule='latest'\) left out \d+ of 3000 rows "
        r"\(\d+\.\d%; class '0' \d+ of \d+ \(\d+%\), class '1' \d+ of \d+ \(\d+%\)\): more than 10% of "
        r"the rows, so the model would train and be judged on a different problem\. .*drop --data\.group_column .* --data\.group_rule first .* pass "
        r"allow_dropped_rows=True \(--data\.allow_dropped_rows true\)"
    )):
        card_module(path).setup("fit")


def test_allowed_left_out_rows_are_counted_per_split_and_class(tmp_path):
    frame = straddling_cards()
    path = tmp_path / "cards.csv"
    frame.to_csv(path, index=False)
    data = card_module(path, allow_dropped_rows=True)
    with pytest.warns(UserWarning, match=r"left out \d+ of 3000 rows"):
        data.setup("fit")
    split = data.preprocessing.split
    kept = sum(data.splits[s].size for s in SPLITS)
    left = split["left_out"]
    assert left["rows"] == split["purged_rows"] == 3000 - kept > MAX_LEFT_OUT_SHARE * 3000
    labels = frame["Class"].to_numpy()
    totals = np.bincount(labels, minlength=2)
    for s in SPLITS:
        assert split["class_counts"][s] == np.bincount(labels[data.splits[s]], minlength=2).tolist()
    assert left["class_counts"] == (totals - sum(np.array(split["class_counts"][s]) for s in SPLITS)).tolist()
    assert left["share"] == pytest.approx(left["rows"] / 3000)
    text = describe_split(split)
    assert f"{left['rows']} rows ({left['share']:.1%}) left out by the split rule" in text
    assert "WARNING" not in text  # the counts are the report; the warning was the console's


def test_first_row_rule_keeps_every_row_and_states_its_leakage(tmp_path):
    frame = straddling_cards()
    path = tmp_path / "cards.parquet"
    frame.to_parquet(path, index=False)
    data = card_module(path, group_rule="first")
    data.setup("fit")
    splits = data.splits
    assert sum(splits[s].size for s in SPLITS) == len(frame)
    cards = frame["card"].to_numpy()
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        assert not set(cards[splits[a]]) & set(cards[splits[b]])
    # Each card sits in the split of its first row: first rows keep time order.
    first = frame.groupby("card")["when"].min()
    firsts = {s: first[np.unique(cards[splits[s]])] for s in SPLITS}
    assert firsts["train"].max() < firsts["val"].min() and firsts["val"].max() < firsts["test"].min()
    # The train split holds later rows of its cards: the leakage the description names.
    assert frame["when"].to_numpy()[splits.train].max() > firsts["val"].min()
    split = data.preprocessing.split
    assert split["group_rule"] == "first" and "left_out" not in split
    assert "leakage in time" in describe_split(split)


def test_a_class_losing_half_its_rows_is_refused_even_when_few_rows_go():
    # 1000 rows; 30 positives in 10 groups that straddle the cuts, every other row alone.
    rows = 1000
    labels = np.zeros(rows, dtype=np.int64)
    groups = np.arange(rows)
    spread = np.linspace(0, rows - 1, 30).astype(int)
    labels[spread] = 1
    groups[spread] = 5000 + np.arange(30) % 10
    plan = SplitPlan("time", time_column="t", group_column="g")
    with pytest.raises(ValueError, match=r"left out 2\d of 1000 rows \(2\.\d%; .*more than half the rows of class '1'"):
        plan.split(labels, {"t": np.arange(rows, dtype=float), "g": groups}, class_names=("0", "1"))


def test_split_plan_refuses_a_bad_group_rule_and_flag():
    with pytest.raises(ValueError, match=r"group_rule='earliest' is not one of latest, first"):
        SplitPlan("time", time_column="t", group_column="g", group_rule="earliest")
    with pytest.raises(TypeError, match=r"allow_dropped_rows must be true or false, got 'yes'"):
        SplitPlan("time", time_column="t", allow_dropped_rows="yes")


def test_rules_that_keep_every_row_report_counts_and_nothing_left_out():
    labels = (np.arange(600) % 4 == 0).astype(np.int64)
    for plan, columns in (
        (SplitPlan(), {}),
        (SplitPlan("time", time_column="t"), {"t": np.arange(600.0)}),
        (SplitPlan("group", group_column="g"), {"g": np.arange(600) // 3}),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            splits, description = plan.split(labels, columns, class_names=("0", "1"))
        assert "left_out" not in description and "warnings" not in description
        assert description["classes"] == ["0", "1"]
        assert sum(sum(description["class_counts"][s]) for s in SPLITS) == 600
        assert "rows per class train" in describe_split(description)


# --------------------------------------------------------------- thin evaluation splits
def two_positive_frame() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"a": rng.standard_normal(500), "b": rng.standard_normal(500)})
    frame["when"] = np.arange(500)
    frame["Class"] = 0
    frame.loc[[10, 40, 80, 120, 200, 250, 290, 305, 330, 420, 450, 480], "Class"] = 1
    return frame  # validation period 300..399 holds 2 positives (305, 330)


def test_validation_split_with_two_positives_warns_with_what_to_do(tmp_path):
    path = tmp_path / "thin.csv"
    two_positive_frame().to_csv(path, index=False)
    data = ImbalanceDataModule(data=str(path), target="Class", split="time", time_column="when")
    with pytest.warns(UserWarning, match=(
        rf"the validation split holds 2 row\(s\) of class '1', fewer than {MIN_EVAL_CLASS_ROWS}: "
        r".*Use a larger val_fraction, move the cut points \(--data\.val_start, --data\.test_start\)"
    )):
        data.setup("fit")
    split = data.preprocessing.split
    assert any("validation split holds 2 row(s)" in w for w in split["warnings"])
    assert any("test split holds 3 row(s)" in w for w in split["warnings"])
    assert "WARNING: the validation split holds 2 row(s) of class '1'" in describe_split(split)


def test_thin_split_warning_reaches_the_comparison_report():
    from imbalance_torch.lightning.compare.summary import dataset_facts as _dataset_facts
    from imbalance_torch.lightning.compare.summary import summary_markdown as _markdown

    frame = two_positive_frame()
    with pytest.warns(UserWarning, match=r"validation split holds 2 row\(s\)"):
        data = ImbalanceDataModule.from_frame(frame, target="Class", split="time", time_column="when")
        facts = _dataset_facts(data)
    assert any("validation split holds 2 row(s)" in w for w in facts["split"]["warnings"])
    meta = {
        "dataset": facts, "command": "compare", "seeds": 1, "budget_text": "b", "wall_s": 1.0,
        "machine": "m", "jobs": 1, "cached_runs": 0, "out": "o", "min_precision": 0.9,
    }
    report = _markdown(meta, "", [], "", [])
    split_line = next(line for line in report.splitlines() if line.startswith("- Split:"))
    assert "WARNING: the validation split holds 2 row(s) of class '1'" in split_line


def test_stratified_split_with_few_positives_warns_too():
    labels = np.zeros(400, dtype=np.int64)
    labels[:20] = 1  # 4 per evaluation split
    with pytest.warns(UserWarning, match=r"the test split holds 4 row\(s\) of class '1'.*--data\.test_fraction"):
        SplitPlan().split(labels, class_names=("0", "1"))


def test_thin_split_warning_is_one_bounded_line_for_many_classes():
    labels = np.repeat(np.arange(300), 5)  # 300 classes of 5 rows: one per evaluation split
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, description = SplitPlan(val_fraction=0.2, test_fraction=0.2).split(labels)
    thin = [str(w.message) for w in caught if "split holds" in str(w.message)]
    assert len(thin) == len(description["warnings"]) == 2
    assert thin[0].startswith("the validation split holds fewer than 10 rows of 300 classes ('0' 1, '1' 1, '2' 1, '3' 1, '4' 1, ...)")
    assert max(len(t) for t in thin) < 500

"""Threshold policies on one fixed example, every answer computed by hand.

Flag ``score >= t``. Ten rows, four positives::

    score   0.9 0.8 0.7 0.6 0.5 0.4 0.3 0.2 0.1 0.05
    target   1   0   1   1   0   0   1   0   0   0

    t       flagged  tp fp  precision recall  F1     cost (10 per miss, 3 per alarm)
    inf        0      0  0     -       0      -      40
    0.9        1      1  0    1.0     .25    .40     30
    0.8        2      1  1    .50     .25    .33     33
    0.7        3      2  1    .67     .50    .57     23
    0.6        4      3  1    .75     .75    .75     13
    0.5        5      3  2    .60     .75    .67     16
    0.4        6      3  3    .50     .75    .60     19
    0.3        7      4  3    .57     1.0    .73      9
    0.2        8      4  4    .50     1.0    .67     12
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from imbalance_torch.lightning.model.thresholds import (
    ThresholdSettings,
    alert_count_threshold,
    alert_share_threshold,
    choose_thresholds,
    cost_threshold,
    min_precision_threshold,
    threshold_report,
)

SCORES = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
TARGET = np.array([1, 0, 1, 1, 0, 0, 1, 0, 0, 0])


def test_max_f1():
    assert choose_thresholds(SCORES, TARGET, ThresholdSettings())["max_f1"] == pytest.approx(0.6)


def test_min_precision_takes_the_largest_recall_above_the_floor():
    assert min_precision_threshold(SCORES, TARGET, 0.7) == 0.6  # 0.75 precision, 0.75 recall
    assert min_precision_threshold(SCORES, TARGET, 0.8) == 0.9  # only the top row is precise
    assert min_precision_threshold(SCORES, TARGET, 0.5) == 0.3  # recall 1 at precision .57


def test_min_precision_out_of_reach_flags_nothing():
    assert min_precision_threshold([0.9, 0.1], [0, 1], 0.6) == math.inf


def test_alert_share_and_count():
    assert alert_share_threshold(SCORES, 0.25) == 0.8  # floor(2.5) = 2 rows
    assert alert_share_threshold(SCORES, 0.3) == 0.7  # 0.3 * 10 is 3 rows, not 2.9999
    assert alert_count_threshold(SCORES, 3) == 0.7
    # Ties at the top larger than the budget: nothing can be flagged within it.
    assert alert_count_threshold([0.9, 0.9, 0.5], 1) == math.inf
    assert alert_count_threshold([0.9, 0.9, 0.5], 2) == 0.9


def test_cost_per_missed_positive_and_per_false_alarm():
    assert cost_threshold(SCORES, TARGET, np.full(10, 10.0), 3.0) == 0.3  # total cost 9
    # Every catch brings an alarm dearer than the miss: flag nothing (cost 1 < 100 or 101).
    assert cost_threshold([0.9, 0.1], [0, 1], np.ones(2), 100.0) == math.inf


def test_cost_column_gives_each_rows_cost_when_missed():
    # The first positive is worth 100, the others 1: catching it alone is cheapest
    # (t=0.9: 3 missed + 0 alarms = 3; t=0.6: 1 + 3 = 4; t=0.3: 0 + 9 = 9).
    amounts = np.array([100, 5, 1, 1, 5, 5, 1, 5, 5, 5], dtype=float)
    assert cost_threshold(SCORES, TARGET, amounts, 3.0) == 0.9


def test_choose_thresholds_runs_every_policy_asked():
    settings = ThresholdSettings(min_precision=0.7, alert_share=0.25, alert_count=3,
                                 cost_missed=10.0, cost_false_alarm=3.0)
    assert settings.policies == ["max_f1", "min_precision", "alert_share", "alert_count", "cost"]
    chosen = choose_thresholds(SCORES, TARGET, settings)
    assert chosen == pytest.approx(
        {"max_f1": 0.6, "min_precision": 0.6, "alert_share": 0.8, "alert_count": 0.7, "cost": 0.3}
    )


def test_report_gives_precision_recall_alerts_cost_and_value_caught():
    report = threshold_report({"cost": 0.6, "none": math.inf}, SCORES, TARGET,
                              missed_costs=np.full(10, 10.0), cost_false_alarm=3.0)
    assert report == pytest.approx({
        "threshold_cost": 0.6, "precision_cost": 0.75, "recall_cost": 0.75, "alerts_cost": 4,
        "value_caught_cost": 30.0, "cost_cost": 13.0,
        "threshold_none": math.inf, "precision_none": 0.0, "recall_none": 0.0, "alerts_none": 0,
        "value_caught_none": 0.0, "cost_none": 40.0,
    })


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"min_precision": 0.0}, ValueError, r"min_precision must be in \(0.0, 1.0\], got 0.0"),
        ({"alert_share": 1.5}, ValueError, r"alert_share must be in \(0.0, 1.0\], got 1.5"),
        ({"alert_count": 0}, ValueError, r"alert_count must be in \[1, inf\], got 0"),
        ({"alert_count": 2.0}, TypeError, "alert_count must be an int, got 2.0"),
        ({"alert_count": True}, TypeError, "alert_count must be an int, got True"),
        ({"cost_false_alarm": "3"}, TypeError, "cost_false_alarm must be a number, got '3' of type str"),
        ({"cost_missed": -1.0, "cost_false_alarm": 1.0}, ValueError, r"cost_missed must be in \[0.0, inf\], got -1.0"),
        ({"cost_missed": 1.0}, ValueError, "a cost threshold needs both the cost of a missed positive .* and cost_false_alarm"),
        ({"cost_false_alarm": 1.0}, ValueError, "a cost threshold needs both"),
        ({"cost_missed": 1.0, "cost_column": "Amount", "cost_false_alarm": 1.0}, ValueError,
         "cost_missed=1.0 and cost_column='Amount' both give the cost of a missed positive; give one"),
    ],
)
def test_bad_settings_are_explained(kwargs, error, match):
    with pytest.raises(error, match=match):
        ThresholdSettings(**kwargs)


def test_cost_column_needs_its_values():
    settings = ThresholdSettings(cost_column="Amount", cost_false_alarm=1.0)
    with pytest.raises(ValueError, match="cost_column='Amount' needs that column's values, but none were given"):
        settings.missed_costs(10)

"""Decision thresholds chosen on validation scores: max F1, a precision floor, an alert
budget, a cost. Pure functions of ``(scores, target[, costs])``; no Lightning state.

NOTE [threshold conventions]: a row is flagged when ``score >= threshold``. Every policy picks
among the distinct scores (and ``inf``, which flags nothing), so the thresholds reproduce on
test or new rows exactly the decisions that were measured on validation. Ties go to the
higher threshold (fewer alerts), except max F1, which keeps the convention of
:func:`~imbalance_torch.lightning.model.metrics.max_f1_threshold`.

* ``max_f1``: maximal F1 on validation (the model's ``decision_threshold``).
* ``min_precision``: the largest recall among thresholds whose precision is at least
  ``min_precision`` (the threshold behind R@P); ``inf`` when no threshold reaches it.
* ``alert_share`` / ``alert_count``: the lowest threshold that flags at most
  ``floor(alert_share * rows)`` / ``alert_count`` validation rows. A count is a count of
  validation rows; to keep a daily budget on other volumes, use the share.
* ``cost``: the lowest total cost, ``sum of missed positives' costs + cost_false_alarm *
  false alarms``; a missed positive costs ``cost_missed``, or its value in ``cost_column``
  (e.g. Amount). "Value caught" is the cost of the positives flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "COST_METRICS",
    "ThresholdSettings",
    "alert_budget_rows",
    "alert_count_threshold",
    "alert_share_for_one_row",
    "alert_share_threshold",
    "choose_thresholds",
    "cost_threshold",
    "min_precision_threshold",
    "threshold_report",
    "top_rows",
]


COST_METRICS = ("cost", "value_caught")
"""Metrics reported when costs are given: total cost (lower is better) and value caught."""


def _check_number(name: str, value: object, *, low: float, high: float | None = None,
                  open_low: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TypeError(f"{name} must be a number, got {value!r} of type {type(value).__name__}.")
    too_low = value <= low if open_low else value < low
    if too_low or (high is not None and value > high):
        bound = f"{'(' if open_low else '['}{low}, {high if high is not None else 'inf'}]"
        raise ValueError(f"{name} must be in {bound}, got {value!r}.")


@dataclass(frozen=True)
class ThresholdSettings:
    """Which thresholds to choose on validation, besides max F1.

    Args:
        min_precision: precision floor of the ``min_precision`` threshold (None: not chosen).
        alert_share: share of rows flagged by the ``alert_share`` threshold, in (0, 1].
        alert_count: validation rows flagged by the ``alert_count`` threshold.
        cost_missed: cost of one missed positive (the ``cost`` threshold).
        cost_false_alarm: cost of one false alarm (the ``cost`` threshold).
        cost_column: a numeric feature column holding each row's cost when missed (e.g.
            Amount), instead of ``cost_missed``.

    Raises:
        ValueError: values out of range; ``cost_missed`` and ``cost_column`` both given; one
            half of a cost without the other.
        TypeError: a value of the wrong type.
    """

    min_precision: float | None = None
    alert_share: float | None = None
    alert_count: int | None = None
    cost_missed: float | None = None
    cost_false_alarm: float | None = None
    cost_column: str | None = None

    def __post_init__(self) -> None:
        _check_number("min_precision", self.min_precision, low=0.0, high=1.0, open_low=True)
        _check_number("alert_share", self.alert_share, low=0.0, high=1.0, open_low=True)
        if self.alert_count is not None and (
            isinstance(self.alert_count, bool) or not isinstance(self.alert_count, int)
        ):
            raise TypeError(f"alert_count must be an int, got {self.alert_count!r}.")
        _check_number("alert_count", self.alert_count, low=1)
        _check_number("cost_missed", self.cost_missed, low=0.0)
        _check_number("cost_false_alarm", self.cost_false_alarm, low=0.0)
        if self.cost_missed is not None and self.cost_column is not None:
            raise ValueError(
                f"cost_missed={self.cost_missed} and cost_column={self.cost_column!r} both give "
                "the cost of a missed positive; give one of them."
            )
        missed = self.cost_missed is not None or self.cost_column is not None
        if missed != (self.cost_false_alarm is not None):
            raise ValueError(
                "a cost threshold needs both the cost of a missed positive (cost_missed or "
                f"cost_column) and cost_false_alarm; got cost_missed={self.cost_missed}, "
                f"cost_column={self.cost_column!r}, cost_false_alarm={self.cost_false_alarm}."
            )

    @property
    def has_costs(self) -> bool:
        return self.cost_false_alarm is not None

    @property
    def policies(self) -> list[str]:
        """Names of the thresholds chosen, ``max_f1`` first."""
        names = ["max_f1"]
        names += ["min_precision"] if self.min_precision is not None else []
        names += ["alert_share"] if self.alert_share is not None else []
        names += ["alert_count"] if self.alert_count is not None else []
        names += ["cost"] if self.has_costs else []
        return names

    def missed_costs(self, rows: int, column_values: np.ndarray | None = None) -> np.ndarray | None:
        """Each row's cost when missed: its ``cost_column`` value or ``cost_missed``."""
        if not self.has_costs:
            return None
        if self.cost_column is not None:
            if column_values is None:
                raise ValueError(
                    f"cost_column={self.cost_column!r} needs that column's values, but none "
                    "were given; score through a model whose data holds the column."
                )
            return np.asarray(column_values, dtype=np.float64)
        return np.full(rows, float(self.cost_missed), dtype=np.float64)  # type: ignore[arg-type]


def _curve(scores: np.ndarray, target: np.ndarray, values: np.ndarray | None = None):
    """Distinct thresholds (descending) with the positives, negatives and positives' values
    flagged at each (``score >= threshold``)."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    positive = target[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(sorted_scores) != 0), sorted_scores.size - 1]
    true_positives = np.cumsum(positive)[last]
    false_positives = np.cumsum(1.0 - positive)[last]
    caught = None if values is None else np.cumsum(values[order] * positive)[last]
    return sorted_scores[last], true_positives, false_positives, caught


def _as_numpy(values: object) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)


def min_precision_threshold(scores: object, target: object, min_precision: float) -> float:
    """The threshold with the largest recall whose precision is at least ``min_precision``
    (the highest such threshold on ties); ``inf`` when none reaches it."""
    thresholds, tp, fp, _ = _curve(_as_numpy(scores), _as_numpy(target))
    precision = tp / (tp + fp)
    valid = np.flatnonzero((precision >= min_precision) & (tp > 0))
    if valid.size == 0:
        return math.inf
    best = valid[np.argmax(tp[valid])]  # argmax: the first, i.e. highest threshold
    return float(thresholds[best])


def alert_count_threshold(scores: object, count: int) -> float:
    """The lowest threshold that flags at most ``count`` rows (``inf`` if ties at the top
    exceed it)."""
    thresholds, tp, fp, _ = _curve(_as_numpy(scores), np.zeros(len(_as_numpy(scores))))
    fits = np.flatnonzero(tp + fp <= count)
    return float(thresholds[fits[-1]]) if fits.size else math.inf


def alert_share_threshold(scores: object, share: float) -> float:
    """The lowest threshold that flags at most ``floor(share * rows)`` rows."""
    rows = len(_as_numpy(scores))
    return alert_count_threshold(scores, math.floor(share * rows + 1e-9))


def alert_budget_rows(rows: int, *, alert_count: int | None = None, alert_share: float | None = None) -> int:
    """How many rows of a file of ``rows`` rows an alert budget flags: ``min(alert_count,
    rows)``, or ``floor(alert_share * rows)`` (the rule of :func:`alert_share_threshold`: a
    budget is never exceeded, so a share below one row of the file flags none)."""
    if alert_count is not None:
        return min(int(alert_count), rows)
    if alert_share is None:
        raise ValueError("give alert_count or alert_share.")
    return math.floor(alert_share * rows + 1e-9)


def alert_share_for_one_row(rows: int) -> float:
    """The smallest share, rounded up to three significant digits, whose budget
    (:func:`alert_budget_rows`) is at least one row of a file of ``rows`` rows (``rows >= 1``):
    what to suggest when a share rounds down to no row.

    Args:
        rows: rows of the scored file, ``>= 1``.

    Returns:
        The share, in ``(0, 1]``.
    """
    share = 1.0 / rows
    scale = 10 ** (2 - math.floor(math.log10(share)))
    shown = math.ceil(round(share * scale, 6)) / scale
    while alert_budget_rows(rows, alert_share=shown) < 1:  # float rounding
        shown += 1 / scale
    return min(shown, 1.0)


def top_rows(scores: object, count: int) -> np.ndarray:
    """``(n,)`` bool: the ``count`` rows of highest score, equal scores taken in row order
    (the earlier row first), so exactly ``min(count, n)`` rows are flagged whatever the ties."""
    values = _as_numpy(scores)
    flags = np.zeros(values.size, dtype=bool)
    flags[np.argsort(-values, kind="stable")[: max(int(count), 0)]] = True
    return flags


def cost_threshold(scores: object, target: object, missed_costs: object, cost_false_alarm: float) -> float:
    """The threshold of lowest total cost (missed positives' costs + false alarms'), the
    highest one on ties; ``inf`` (flag nothing) when flagging never pays."""
    values = _as_numpy(missed_costs)
    thresholds, _, fp, caught = _curve(_as_numpy(scores), _as_numpy(target), values)
    total_missed = float(np.sum(values * _as_numpy(target)))
    costs = np.r_[total_missed, total_missed - caught + cost_false_alarm * fp]
    best = int(np.argmin(costs))  # the first minimum: fewest alerts
    return math.inf if best == 0 else float(thresholds[best - 1])


def choose_thresholds(
    scores: object, target: object, settings: ThresholdSettings,
    missed_costs: np.ndarray | None = None,
) -> dict[str, float]:
    """Every threshold of ``settings.policies`` on validation ``(scores, target)``.

    Args:
        scores: ``(n,)`` positive-class probabilities.
        target: ``(n,)`` 0/1 labels.
        settings: which thresholds.
        missed_costs: ``(n,)`` cost of each row when missed (:meth:`ThresholdSettings.missed_costs`).

    Returns:
        Policy name -> threshold (flag ``score >= threshold``).
    """
    from imbalance_torch.lightning.model.metrics import max_f1_threshold

    scores_np, target_np = _as_numpy(scores), _as_numpy(target)
    out = {"max_f1": max_f1_threshold(torch.as_tensor(scores_np).float(), torch.as_tensor(target_np).long())}
    if settings.min_precision is not None:
        out["min_precision"] = min_precision_threshold(scores_np, target_np, settings.min_precision)
    if settings.alert_share is not None:
        out["alert_share"] = alert_share_threshold(scores_np, settings.alert_share)
    if settings.alert_count is not None:
        out["alert_count"] = alert_count_threshold(scores_np, settings.alert_count)
    if settings.has_costs:
        costs = missed_costs if missed_costs is not None else settings.missed_costs(len(scores_np))
        out["cost"] = cost_threshold(scores_np, target_np, costs, float(settings.cost_false_alarm))  # type: ignore[arg-type]
    return out


def threshold_report(
    thresholds: dict[str, float], scores: object, target: object, *,
    missed_costs: np.ndarray | None = None, cost_false_alarm: float | None = None,
) -> dict[str, float]:
    """What each threshold gives on ``(scores, target)`` (e.g. test rows).

    Returns:
        For each policy ``name``: ``threshold_{name}``, ``precision_{name}`` (0 when nothing
        is flagged), ``recall_{name}``, ``alerts_{name}`` (rows flagged), and with costs
        ``cost_{name}`` (missed positives' costs + false alarms') and ``value_caught_{name}``
        (flagged positives' costs).
    """
    scores_np, target_np = _as_numpy(scores), _as_numpy(target) > 0.5
    out: dict[str, float] = {}
    for name, threshold in thresholds.items():
        flagged = scores_np >= threshold
        tp = int(np.sum(flagged & target_np))
        fp = int(np.sum(flagged & ~target_np))
        out[f"threshold_{name}"] = float(threshold)
        out[f"precision_{name}"] = tp / (tp + fp) if tp + fp else 0.0
        out[f"recall_{name}"] = tp / int(target_np.sum()) if target_np.any() else 0.0
        out[f"alerts_{name}"] = float(tp + fp)
        if missed_costs is not None and cost_false_alarm is not None:
            values = np.asarray(missed_costs, dtype=np.float64)
            out[f"value_caught_{name}"] = float(values[flagged & target_np].sum())
            out[f"cost_{name}"] = float(values[~flagged & target_np].sum() + cost_false_alarm * fp)
    return out

"""Split kinds: stratified at random, by time, or by group (rows of one id never cross splits).

:class:`SplitPlan` holds the split settings of a data module and turns the labels (and the
time or group column) into :class:`~imbalance_torch.lightning.datamodule.splits.Splits`:

* ``stratified``: each class keeps its share in every split, at random by ``seed``
  (:func:`~imbalance_torch.lightning.datamodule.splits.stratified_split`).
* ``time``: train on the earliest rows, validate on the next, test on the latest, by the
  ``time_column``. The cuts are times: ``val_start`` and ``test_start`` when given, otherwise
  the times at the ``val_fraction`` / ``test_fraction`` quantiles of the rows. A row whose time
  equals a cut goes to the later split, so every train time is strictly earlier than every
  validation time, and every validation time strictly earlier than every test time. With a
  ``group_column`` too, NOTE [purged groups] applies. Time decides the rows, so a time split
  is not stratified: a split left without a class is refused by
  :func:`~imbalance_torch.lightning.datamodule.splits.check_split_counts`, naming the class.
* ``group``: whole groups of the ``group_column`` (a card, a customer) go to one split,
  stratified where possible with scikit-learn's ``StratifiedGroupKFold``. The fractions are
  met to the nearest ``1/k`` folds: ``test_fraction=0.2`` makes 5 folds and tests on one.

NOTE [purged groups]: a time split with a group column cannot keep three promises at once
when groups span the cuts (a card used on every day): time order, no id on two sides, and
every row used. ``group_rule`` says which one gives way:

* ``latest`` (the default) keeps time order and groups apart by leaving rows out: each group
  belongs to the split of its latest row, and its rows from earlier periods are used nowhere
  (counted as ``purged_rows`` and in ``left_out``, per class). Where most groups span the
  cuts, most rows go: the split then refuses to continue (NOTE [rows left out]).
* ``first`` keeps every row and groups apart, and gives up time order in the train split:
  each group belongs to the split of its first row, so the train split also holds the later
  rows (from the validation and test periods) of groups first seen in training, and the
  validation and test splits hold only groups new in their period. That is leakage in time
  (a model trains on rows of the days it is validated and tested on), and the evaluation
  measures new groups only.

``latest`` is the default because it is the one whose numbers mean what they say (tomorrow's
rows, scored by a model trained on the past); ``first`` is offered, with its leakage named in
the split description, and a plain time split (no ``group_column``) keeps time order and
every row, letting a card seen in history come back tomorrow, as it does in production.

NOTE [rows left out]: a split rule that leaves rows out (``latest`` above) reports them per
class in the split description (``left_out``) and with a warning, and refuses to continue when
it leaves out more than :data:`MAX_LEFT_OUT_SHARE` of the rows or more than
:data:`MAX_CLASS_LOSS_SHARE` of a class's rows, unless ``allow_dropped_rows`` confirms it.
Separately, a validation or test split with fewer than :data:`MIN_EVAL_CLASS_ROWS` rows of a
class gets a warning, kept in the description (``warnings``) for the reports.

The splitters live beside this module, by job: time splits in
:mod:`~imbalance_torch.lightning.datamodule.time_splits`, group splits in
:mod:`~imbalance_torch.lightning.datamodule.group_splits`; stratified splits and the split
checks in :mod:`~imbalance_torch.lightning.datamodule.splits`. This module holds the plan and
re-exports their public names.

The time and group columns are not features: the data module reads them beside the table
(:attr:`~imbalance_torch.lightning.tables.table.Table.split_columns`) and the fitted preprocessing
ignores them at scoring time.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from imbalance_torch.lightning.datamodule.group_splits import STRATIFIED_GROUP_LIMIT, group_split
from imbalance_torch.lightning.datamodule.split_text import describe_split
from imbalance_torch.lightning.datamodule.splits import (
    SPLIT_NAMES,
    Splits,
    check_fractions,
    stratified_split,
)
from imbalance_torch.lightning.datamodule.time_splits import (
    GROUP_RULES,
    GroupRule,
    cut_key,
    show_time,
    time_keys,
    time_split,
)

__all__ = [
    "GROUP_RULES",
    "MAX_CLASS_LOSS_SHARE",
    "MAX_LEFT_OUT_SHARE",
    "MIN_EVAL_CLASS_ROWS",
    "SPLIT_KINDS",
    "STRATIFIED_GROUP_LIMIT",
    "GroupRule",
    "SplitKind",
    "SplitPlan",
    "describe_split",
    "group_split",
    "time_keys",
    "time_split",
]

SplitKind = Literal["stratified", "time", "group"]
SPLIT_KINDS: tuple[str, ...] = get_args(SplitKind)

#: Share of all rows a split rule may leave out before it refuses to continue without
#: ``allow_dropped_rows`` (NOTE [rows left out]): beyond a tenth, the splits no longer stand
#: for the data the user gave, and the user should choose that knowingly.
MAX_LEFT_OUT_SHARE = 0.10
#: Share of one class's rows a split rule may leave out before it refuses (NOTE [rows left
#: out]): a rule that loses most frauds changes the problem even when few rows go overall.
MAX_CLASS_LOSS_SHARE = 0.5
#: Fewest rows of a class a validation or test split should hold; below it, AUPRC, the
#: thresholds chosen on validation and early stopping rest on a handful of rows (a split
#: with 2 positives can score AUPRC 1.000 by chance), so a warning says so.
MIN_EVAL_CLASS_ROWS = 10


# ----------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class SplitPlan:
    """How a data module splits its rows (its ``split*`` arguments, checked once).

    Args:
        kind: ``stratified``, ``time`` or ``group``.
        val_fraction: share of rows for validation.
        test_fraction: share of rows for test.
        seed: seed of a stratified or group split.
        time_column: the time column (``time`` splits; not a feature).
        group_column: the id column whose rows never cross splits (``group`` splits, or
            ``time`` splits: NOTE [purged groups]; not a feature).
        val_start: first validation time of a ``time`` split (a number or a date).
        test_start: first test time of a ``time`` split.
        group_rule: ``latest`` or ``first``: which split a group spanning the cuts of a
            ``time`` split with a ``group_column`` belongs to (NOTE [purged groups]).
        allow_dropped_rows: continue when the split rule leaves out more rows than the bounds
            of NOTE [rows left out].

    Raises:
        ValueError: an unknown kind or group rule, a kind without its column, cut points
            without a time split, or bad fractions.
        TypeError: a column name that is not a string; ``allow_dropped_rows`` not a bool.
    """

    kind: str = "stratified"
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    seed: int = 0
    time_column: str | None = None
    group_column: str | None = None
    val_start: float | str | None = None
    test_start: float | str | None = None
    group_rule: str = "latest"
    allow_dropped_rows: bool = False

    def __post_init__(self) -> None:
        if self.kind not in SPLIT_KINDS:
            raise ValueError(f"split={self.kind!r} is not one of {', '.join(SPLIT_KINDS)}.")
        if self.group_rule not in GROUP_RULES:
            raise ValueError(
                f"group_rule={self.group_rule!r} is not one of {', '.join(GROUP_RULES)} (NOTE "
                "[purged groups] in lightning/datamodule/split_kinds.py)."
            )
        if not isinstance(self.allow_dropped_rows, bool):
            raise TypeError(
                f"allow_dropped_rows must be true or false, got {self.allow_dropped_rows!r}."
            )
        for name in ("time_column", "group_column"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a column name (str), got {value!r}.")
        if self.kind == "time" and self.time_column is None:
            raise ValueError(
                "split='time' needs time_column, the column that orders the rows "
                "(--data.time_column Time)."
            )
        if self.kind == "group" and self.group_column is None:
            raise ValueError(
                "split='group' needs group_column, the id whose rows must stay in one split "
                "(--data.group_column card_id)."
            )
        if self.kind != "time" and self.time_column is not None:
            raise ValueError(
                f"time_column={self.time_column!r} is read by split='time' only, got "
                f"split={self.kind!r}; pass --data.split time, or list the column in "
                "drop_columns to leave it out of the features."
            )
        if self.kind == "stratified" and self.group_column is not None:
            raise ValueError(
                f"group_column={self.group_column!r} is read by split='group' (or 'time') only, "
                "got split='stratified'; pass --data.split group to keep each group in one split."
            )
        if self.kind != "time" and (self.val_start is not None or self.test_start is not None):
            raise ValueError(
                f"val_start/test_start are cut points of split='time', got split={self.kind!r}."
            )
        if (self.val_start is None) != (self.test_start is None):
            raise ValueError(
                f"val_start={self.val_start!r} and test_start={self.test_start!r}: give both cut "
                "points, or neither (then val_fraction and test_fraction place the cuts)."
            )
        if self.val_start is None:
            check_fractions(self.val_fraction, self.test_fraction)

    @property
    def empty_class_fix(self) -> str | None:
        """What to do when a split holds no row of a class (None: the stratified advice)."""
        if self.kind == "time":
            return (
                "A time split is not stratified: its rows are those of their period. Move the "
                "cut points (--data.val_start, --data.test_start) or change val_fraction/"
                "test_fraction so that every period holds a row of each class."
            )
        if self.kind == "group":
            return (
                "Groups go whole to one split: use larger fractions, more groups, or "
                "--data.split stratified."
            )
        return None

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the split reads; they are not features."""
        return tuple(c for c in (self.time_column, self.group_column) if c is not None)

    def _column(self, values: Mapping[str, np.ndarray], name: str) -> np.ndarray:
        if name not in values:
            raise ValueError(
                f"split={self.kind!r} reads column {name!r}, which this data does not carry; "
                "load the data from a file or a DataFrame that has it."
            )
        return np.asarray(values[name])

    def split(
        self,
        labels: np.ndarray,
        columns: Mapping[str, np.ndarray] | None = None,
        *,
        class_names: Sequence[str] | None = None,
    ) -> tuple[Splits, dict[str, Any]]:
        """Split the rows, and describe the split for reports and checkpoints.

        Args:
            labels: ``(n,)`` class codes.
            columns: the values of :attr:`columns`, by name.
            class_names: names of the classes, for messages.

        Returns:
            ``(splits, description)``; the description holds plain values: the kind, its
            settings, rows per split and, for time splits, each split's first and last time.
        """
        columns = columns or {}
        description: dict[str, Any] = {"kind": self.kind}
        if self.kind == "stratified":
            splits = stratified_split(
                labels,
                val_fraction=self.val_fraction,
                test_fraction=self.test_fraction,
                seed=self.seed,
                class_names=class_names,
            )
            description.update(
                seed=self.seed, val_fraction=self.val_fraction, test_fraction=self.test_fraction
            )
        elif self.kind == "group":
            groups = self._column(columns, self.group_column)  # type: ignore[arg-type]
            splits, stratified = group_split(
                labels,
                groups,
                val_fraction=self.val_fraction,
                test_fraction=self.test_fraction,
                seed=self.seed,
            )
            description.update(
                seed=self.seed,
                stratified=stratified,
                val_fraction=self.val_fraction,
                test_fraction=self.test_fraction,
                group_column=self.group_column,
                groups={name: int(np.unique(groups[splits[name]]).size) for name in SPLIT_NAMES},
            )
        else:
            splits, facts = self._time_split(columns)
            description.update(facts)
        description["rows"] = {name: int(splits[name].size) for name in SPLIT_NAMES}
        self._count_rows(labels, splits, description, class_names)
        return splits, description

    def _count_rows(
        self,
        labels: np.ndarray,
        splits: Splits,
        description: dict[str, Any],
        class_names: Sequence[str] | None,
    ) -> None:
        """Rows per split and class, rows left out (NOTE [rows left out]), and warnings about
        thin validation and test splits; refuse a split that leaves out too much.

        Raises:
            ValueError: rows left out beyond the bounds, without ``allow_dropped_rows``.
        """
        labels = np.asarray(labels)
        num_classes = max(int(labels.max(initial=-1)) + 1, len(class_names or ()))
        names = (
            list(class_names) if class_names is not None else [str(c) for c in range(num_classes)]
        )
        total = np.bincount(labels, minlength=num_classes)
        per_split = {n: np.bincount(labels[splits[n]], minlength=num_classes) for n in SPLIT_NAMES}
        description["classes"] = names
        description["class_counts"] = {n: c.tolist() for n, c in per_split.items()}
        lost = total - sum(per_split.values())
        left = int(lost.sum())
        if left:
            n = int(labels.size)
            description["left_out"] = {
                "rows": left,
                "share": left / n,
                "class_counts": lost.tolist(),
                "class_shares": [
                    float(lost[c] / total[c]) if total[c] else 0.0 for c in range(num_classes)
                ],
            }
            per_class = ", ".join(
                f"class {names[c]!r} {int(lost[c])} of {int(total[c])} ({lost[c] / total[c]:.0%})"
                for c in range(num_classes)
                if total[c]
            )
            text = (
                f"the {self.kind} split{self._rule_text()} left out {left} of {n} rows "
                f"({left / n:.1%}; {per_class})"
            )
            worst = [
                c
                for c in range(num_classes)
                if total[c] and lost[c] > MAX_CLASS_LOSS_SHARE * total[c]
            ]
            if (left > MAX_LEFT_OUT_SHARE * n or worst) and not self.allow_dropped_rows:
                bound = (
                    f"more than half the rows of class {names[worst[0]]!r}"
                    if worst
                    else f"more than {MAX_LEFT_OUT_SHARE:.0%} of the rows"
                )
                raise ValueError(
                    f"{text}: {bound}, so the model would train and be judged on a different "
                    f"problem. {self._left_out_fix()} To continue anyway, pass "
                    "allow_dropped_rows=True (--data.allow_dropped_rows true)."
                )
            # Warned here; the reports show the counts (describe_split), not a second warning.
            warnings.warn(f"{text}. {self._left_out_fix()}", UserWarning, stacklevel=4)
        notes = self._thin_split_notes(per_split, names, num_classes)
        if notes:
            description["warnings"] = notes
            for note in notes:
                warnings.warn(note, UserWarning, stacklevel=4)

    def _thin_split_notes(
        self, per_split: Mapping[str, np.ndarray], names: list[str], num_classes: int
    ) -> list[str]:
        """One note for each validation or test split with fewer than
        :data:`MIN_EVAL_CLASS_ROWS` rows of a class (warned about and kept for the reports)."""
        notes: list[str] = []
        resting = {  # what a handful of rows decides, per split
            "val": "its AUPRC, the thresholds chosen on validation and early stopping rest",
            "test": "its AUPRC and every test metric rest",
        }
        for split, label in (("val", "validation"), ("test", "test")):
            counts = per_split[split]
            thin = [c for c in range(num_classes) if 0 < counts[c] < MIN_EVAL_CLASS_ROWS]
            if not thin:
                continue
            if len(thin) == 1:
                what = f"{int(counts[thin[0]])} row(s) of class {names[thin[0]]!r}"
            else:  # one bounded message, however many classes
                shown = ", ".join(f"{names[c]!r} {int(counts[c])}" for c in thin[:5])
                what = f"fewer than {MIN_EVAL_CLASS_ROWS} rows of {len(thin)} classes ({shown}{', ...' if len(thin) > 5 else ''})"
            notes.append(
                f"the {label} split holds {what}"
                + (f", fewer than {MIN_EVAL_CLASS_ROWS}" if len(thin) == 1 else "")
                + f": {resting[split]} on a handful of rows (2 positives can score AUPRC 1.000 by "
                "chance). " + self._thin_split_fix(split)
            )
        return notes

    def _rule_text(self) -> str:
        if self.kind == "time" and self.group_column is not None:
            return f" with group_column={self.group_column!r} (group_rule={self.group_rule!r})"
        return ""

    def _left_out_fix(self) -> str:
        if self.kind == "time" and self.group_column is not None:
            return (
                "The left-out rows are earlier rows of groups that reach a later split (NOTE "
                "[purged groups] in lightning/datamodule/split_kinds.py). To keep them: drop "
                "--data.group_column (a plain time split: a card seen in history comes back "
                "tomorrow, as in production), or --data.group_rule first (every row kept; the "
                "train split then holds later rows of its groups: leakage in time)."
            )
        return "Change the split settings to keep more rows."

    def _thin_split_fix(self, split: str) -> str:
        fraction = "val_fraction" if split == "val" else "test_fraction"
        if self.kind == "time":
            return (
                f"Use a larger {fraction}, move the cut points (--data.val_start, "
                "--data.test_start), or more data."
            )
        return f"Use a larger {fraction} (--data.{fraction}) or more data."

    def _time_split(self, columns: Mapping[str, np.ndarray]) -> tuple[Splits, dict[str, Any]]:
        keys, is_datetime = time_keys(self._column(columns, self.time_column), self.time_column)  # type: ignore[arg-type]
        groups = None
        if self.group_column is not None:
            groups = np.unique(self._column(columns, self.group_column), return_inverse=True)[
                1
            ].reshape(-1)
        cuts = {
            name: None if value is None else cut_key(value, is_datetime, name)
            for name, value in (("val_start", self.val_start), ("test_start", self.test_start))
        }
        splits = time_split(
            keys,
            val_fraction=self.val_fraction,
            test_fraction=self.test_fraction,
            groups=groups,
            show_time=lambda key: show_time(key, is_datetime),
            group_rule=self.group_rule,
            **cuts,
        )
        facts: dict[str, Any] = {"time_column": self.time_column}
        if self.val_start is None:
            facts.update(val_fraction=self.val_fraction, test_fraction=self.test_fraction)
        else:
            facts.update(val_start=str(self.val_start), test_start=str(self.test_start))
        facts["time_range"] = {
            name: [
                show_time(keys[splits[name]].min(), is_datetime),
                show_time(keys[splits[name]].max(), is_datetime),
            ]
            for name in SPLIT_NAMES
        }
        if groups is not None:
            facts["group_column"] = self.group_column
            facts["group_rule"] = self.group_rule
            # Rows left out are counted per class, warned about or refused, in _count_rows.
            facts["purged_rows"] = int(keys.size - sum(splits[n].size for n in SPLIT_NAMES))
        return splits, facts

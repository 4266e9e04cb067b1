"""The training budget of a comparison: batch size, optimizer steps, evaluations, patience.

NOTE [training budget]
Every arm of a comparison gets the same number of optimizer steps, derived from the size
``n`` of the (natural, unresampled) training split; no hand config per dataset:

* ``batch_size = clip(next_pow2(n / 100), 32, 512)``: about 50-100 batches per pass over the
  natural training split while ``n`` is between ~3,200 and ~51,200 rows (fewer below, where
  the batch stays at 32; a 400-row set has 13 per pass). Small data needs many updates
  per pass (a few hundred rows in batches of 512 is one step per epoch), and the gradient
  noise of small batches regularises; 32 keeps a batch's gradient from being one row's,
  512 keeps large data fast on a CPU without changing what a small MLP learns.
* ``steps = clip(80 * ceil(n / batch_size), 500, 5000)``, rounded up to a multiple of the
  40 evaluations: 80 passes over the natural split, at least 500 steps (Adam needs a few
  hundred updates whatever the data size: 200 rows is 7 batches per pass), at most 5000 (a
  small MLP converges in a few thousand steps of 512 rows; on 2,000,000 rows that is 1.3
  passes, and more passes cost time without changing the verdict). Why 80 passes and
  ``n / 100`` rows per batch, measured on the twelve KEEL datasets of ``benchmarks/keel.py``: batch 512
  for 20 epochs left ``none`` far undertrained; batch 64 for 40 epochs trained most arms
  well, but under the first version of this rule (``n / 50``, 40 passes, so batch 128 and
  1,040-1,240 steps on the 3-4k-row sets) ``none`` on page_blocks0 and class weights on
  satimage kept the model of their last evaluation (still improving), and with batch 64 and
  40 passes focal loss on satimage still used its whole budget in 3 of 5 runs, one keeping
  its last evaluation (its gradients are down-weighted, so it learns slowly). The README's
  KEEL section has the counts under this rule.
* ``val_check_interval = steps / 40``: 40 evaluations on validation per budget, counted in
  steps (Lightning's ``val_check_interval`` with ``check_val_every_n_epoch=None``), so a
  resampled arm, whose epoch at 1:1 is about twice as long, is evaluated at the same steps
  as ``none`` and is not given more training by an epoch cap.
* ``patience = 8`` evaluations (a fifth of the budget) without a higher validation AUPRC
  stops the run early (``EarlyStopping`` in ``configs/trainer.yaml``), but never before
  ``min_steps = steps / 2`` (20 evaluations, Lightning's ``min_steps``): a natural-ratio arm
  on data with 0.17 % positives can sit on the class prior for a long time. On the built-in
  data, ``none`` with seed 2 held validation AUPRC at 0.03-0.07 for its first 2,000 of 5,000
  steps, then rose to 0.52 by step 4,750; without the floor it stopped at step 1,250 with
  0.065 (test AUPRC 0.018). The floor is ``FlooredEarlyStopping`` (``lightning/model/checkpoints.py``):
  Lightning's ``min_steps`` alone would only postpone a stop decided before the floor.

So ``n = 300`` gives batch 32, 800 steps, validation every 20 steps; ``n = 3,861`` (satimage)
batch 64, 4,880 steps; ``n = 120,000`` (the built-in data) batch 512, 5,000 steps;
``n = 2,000,000`` batch 512, 5,000 steps. A ``--data.batch_size`` given by the user replaces the rule's batch
size (the steps follow from it); ``--trainer.max_steps`` replaces the steps; a
``--trainer.max_epochs`` (or ``compare.py --max-epochs``) is read as that many passes over
the natural training split, the same steps for every arm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "BATCH_SIZE_RANGE",
    "EPOCHS_EQUIVALENT",
    "EVALUATIONS",
    "PATIENCE",
    "STEPS_RANGE",
    "TrainingBudget",
    "explicit_settings",
    "training_budget",
]

BATCH_SIZE_RANGE = (32, 512)
"""Smallest and largest batch size the rule picks."""
STEPS_RANGE = (500, 5000)
"""Fewest and most optimizer steps the rule gives a run."""
EPOCHS_EQUIVALENT = 80
"""Passes over the natural training split the budget aims at, within :data:`STEPS_RANGE`."""
EVALUATIONS = 40
"""Validation evaluations per budget."""
PATIENCE = 8
"""Evaluations without a higher validation AUPRC before a run stops early."""
_ROWS_PER_BATCH = 100


def _next_pow2(value: float) -> int:
    return 1 << max(0, math.ceil(math.log2(max(value, 1.0))))


@dataclass(frozen=True)
class TrainingBudget:
    """What every arm of a comparison trains with (NOTE [training budget]).

    Attributes:
        train_rows: rows of the natural training split the budget was derived from.
        batch_size: training rows per optimizer step.
        max_steps: optimizer steps of a run that does not stop early.
        val_check_interval: optimizer steps between two validation evaluations.
        patience: evaluations without improvement before stopping early.
        source: ``rule``, or which settings the user gave (``--data.batch_size`` ...).
    """

    train_rows: int
    batch_size: int
    max_steps: int
    val_check_interval: int
    patience: int = PATIENCE
    source: str = "rule"

    @property
    def min_steps(self) -> int:
        """Steps before early stopping may end a run: half the budget, in whole evaluation
        intervals."""
        half = self.max_steps // 2
        return max(self.val_check_interval, half - half % self.val_check_interval)

    @property
    def epochs_equivalent(self) -> float:
        """Passes over the natural training split that ``max_steps`` amounts to."""
        return self.max_steps * self.batch_size / max(self.train_rows, 1)

    def cli_args(self) -> list[str]:
        """LightningCLI flags that give a run this budget (after the configs, before user
        overrides)."""
        return [
            "--data.batch_size", str(self.batch_size),
            "--trainer.max_epochs", "-1",
            "--trainer.max_steps", str(self.max_steps),
            "--trainer.min_steps", str(min(self.min_steps, self.max_steps)),
            "--trainer.val_check_interval", str(self.val_check_interval),
            "--trainer.check_val_every_n_epoch", "null",
        ]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "min_steps": self.min_steps, "epochs_equivalent": round(self.epochs_equivalent, 2)}

    def describe(self) -> str:
        """One line for reports: the values and where they came from."""
        return (
            f"batch {self.batch_size}, {self.max_steps:,} optimizer steps "
            f"(~{self.epochs_equivalent:.1f} passes over {self.train_rows:,} train rows), "
            f"validation every {self.val_check_interval} steps, early stop after "
            f"{self.patience} evaluations ({self.patience * self.val_check_interval:,} steps) "
            f"without a higher val AUPRC, not before step {self.min_steps:,}; {self.source}"
        )


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return value


def training_budget(
    train_rows: int,
    *,
    batch_size: int | None = None,
    max_steps: int | None = None,
    max_epochs: int | None = None,
) -> TrainingBudget:
    """The budget of NOTE [training budget] for a training split of ``train_rows`` rows.

    Args:
        train_rows: rows of the natural (unresampled) training split.
        batch_size: the user's batch size, replacing the rule's.
        max_steps: the user's step budget, replacing the rule's.
        max_epochs: the user's budget as passes over the natural training split (ignored
            when ``max_steps`` is given).

    Raises:
        TypeError: a value that is not an int.
        ValueError: a value below 1.

    Example:
        >>> budget = training_budget(300)
        >>> budget.batch_size, budget.max_steps, budget.val_check_interval
        (32, 800, 20)
        >>> training_budget(120_000).max_steps
        5000
    """
    _check_count("train_rows", train_rows, 1)
    given = []
    if batch_size is None:
        low, high = BATCH_SIZE_RANGE
        batch_size = min(max(_next_pow2(train_rows / _ROWS_PER_BATCH), low), high)
    else:
        batch_size = _check_count("batch_size", batch_size, 1)
        given.append(f"--data.batch_size {batch_size}")
    steps_per_pass = math.ceil(train_rows / batch_size)
    if max_steps is not None:
        steps = _check_count("max_steps", max_steps, 1)
        given.append(f"--trainer.max_steps {steps}")
    elif max_epochs is not None:
        steps = _check_count("max_epochs", max_epochs, 1) * steps_per_pass
        given.append(f"--trainer.max_epochs {max_epochs} (as passes over the natural split)")
    else:
        low, high = STEPS_RANGE
        steps = min(max(EPOCHS_EQUIVALENT * steps_per_pass, low), high)
    interval = max(1, math.ceil(steps / EVALUATIONS))
    if max_steps is None and max_epochs is None:
        steps = interval * EVALUATIONS  # the rule's steps: the last step is an evaluation
    source = "rule" if not given else "rule with " + ", ".join(given)
    return TrainingBudget(
        train_rows=train_rows,
        batch_size=batch_size,
        max_steps=steps,
        val_check_interval=min(interval, steps),
        source=source,
    )


_SETTINGS = {
    "--data.batch_size": ("data", "batch_size"),
    "--trainer.max_steps": ("trainer", "max_steps"),
    "--trainer.max_epochs": ("trainer", "max_epochs"),
}


def _as_int(value: Any, where: str) -> int | None:
    if value is None or value == "null":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected an int, got {value!r}.") from None
    if isinstance(value, bool) or (isinstance(value, float) and number != value):
        raise ValueError(f"{where}: expected an int, got {value!r}.")
    return number


def explicit_settings(args: Sequence[str], configs: Mapping[str, Mapping[str, Any]] = {}) -> dict[str, int | None]:
    """The budget settings a user gave: ``batch_size``, ``max_steps``, ``max_epochs``.

    Args:
        args: the LightningCLI flags every run gets, in order (the last value wins, as in
            LightningCLI); ``--config FILE`` values are looked up in ``configs``.
        configs: parsed YAML of each ``--config`` file named in ``args``.

    A ``max_epochs`` of -1 or null means no epoch cap and is not a budget.
    """
    found: dict[str, int | None] = {"batch_size": None, "max_steps": None, "max_epochs": None}
    option: str | None = None
    for arg in args:
        name, sep, value = arg.partition("=")
        if not sep:
            if arg.startswith("--"):
                option = arg
                continue
            name, value = option or "", arg
        option = None
        if name == "--config" and value in configs:
            for section, key in _SETTINGS.values():
                values = configs[value].get(section) or {}
                if key in values:
                    found[key] = _as_int(values[key], f"{value}: {section}.{key}")
        elif name in _SETTINGS:
            found[_SETTINGS[name][1]] = _as_int(value, name)
    if found["max_epochs"] is not None and found["max_epochs"] < 0:
        found["max_epochs"] = None
    if found["max_steps"] is not None and found["max_steps"] < 0:
        found["max_steps"] = None
    return found

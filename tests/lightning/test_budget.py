"""The training budget rule (NOTE [training budget] in lightning/compare/budget.py)."""

from __future__ import annotations

import math

import pytest

from imbalance_torch.lightning.compare.budget import (
    BATCH_SIZE_RANGE,
    EPOCHS_EQUIVALENT,
    EVALUATIONS,
    STEPS_RANGE,
    explicit_settings,
    training_budget,
)


@pytest.mark.parametrize(
    ("rows", "batch", "steps", "interval"),
    [
        (150, 32, 520, 13),  # tiny: the 500-step floor, rounded up to 40 evaluations
        (200, 32, 560, 14),  # 7 batches per pass x 80 passes
        (300, 32, 800, 20),
        (3_861, 64, 4_880, 122),  # satimage: 61 batches per pass x 80 passes
        (20_000, 256, 5_000, 125),
        (120_000, 512, 5_000, 125),  # the built-in data: the 5000-step cap
        (2_000_000, 512, 5_000, 125),
    ],
)
def test_rule_values(rows, batch, steps, interval):
    budget = training_budget(rows)
    assert (budget.batch_size, budget.max_steps, budget.val_check_interval) == (batch, steps, interval)
    assert budget.source == "rule"


def test_rule_bounds_and_shape_over_the_whole_range():
    previous_batch = 0
    for rows in [200, 500, 1_000, 5_000, 50_000, 500_000, 2_000_000]:
        budget = training_budget(rows)
        assert BATCH_SIZE_RANGE[0] <= budget.batch_size <= BATCH_SIZE_RANGE[1]
        assert budget.batch_size & (budget.batch_size - 1) == 0 and budget.batch_size >= previous_batch
        previous_batch = budget.batch_size
        assert STEPS_RANGE[0] <= budget.max_steps <= STEPS_RANGE[1]
        # the last step is an evaluation, and there are EVALUATIONS of them
        assert budget.max_steps == EVALUATIONS * budget.val_check_interval
        # every row is seen at least once, and small data many times
        assert budget.epochs_equivalent >= 1.0
        if rows <= 20_000:
            assert budget.epochs_equivalent >= 40


def test_user_settings_replace_the_rule():
    budget = training_budget(3_000, batch_size=128)
    assert budget.batch_size == 128
    assert budget.max_steps == EPOCHS_EQUIVALENT * math.ceil(3_000 / 128) == 1_920
    assert "--data.batch_size 128" in budget.source
    assert training_budget(3_000, max_steps=100).max_steps == 100
    budget = training_budget(3_000, max_epochs=2)  # passes over the natural split
    assert budget.max_steps == 2 * math.ceil(3_000 / 32) and budget.val_check_interval >= 1
    args = training_budget(3_000).cli_args()
    assert args[args.index("--trainer.max_steps") + 1] == "5000"
    assert args[args.index("--trainer.check_val_every_n_epoch") + 1] == "null"


def test_bad_values():
    with pytest.raises(ValueError, match="train_rows must be >= 1, got 0"):
        training_budget(0)
    with pytest.raises(TypeError, match="batch_size must be an int, got bool True"):
        training_budget(100, batch_size=True)
    with pytest.raises(TypeError, match="max_steps must be an int, got float 1.5"):
        training_budget(100, max_steps=1.5)


def test_explicit_settings_from_flags_and_config_files():
    configs = {"keel.yaml": {"data": {"batch_size": 64}, "trainer": {"max_epochs": 40}}}
    found = explicit_settings(["--config", "keel.yaml", "--data.data", "x.csv"], configs)
    assert found == {"batch_size": 64, "max_steps": None, "max_epochs": 40}
    # later flags win, as in LightningCLI; -1 epochs is no cap
    found = explicit_settings(
        ["--config", "keel.yaml", "--data.batch_size=32", "--trainer.max_epochs", "-1"], configs
    )
    assert found == {"batch_size": 32, "max_steps": None, "max_epochs": None}
    assert explicit_settings(["--trainer.max_steps", "300"])["max_steps"] == 300
    with pytest.raises(ValueError, match=r"--data.batch_size: expected an int, got 'big'"):
        explicit_settings(["--data.batch_size", "big"])

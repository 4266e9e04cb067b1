"""One arm per behaviour (issue 21 item 6): the default comparison on data with declared
categorical columns runs no two arms that train alike.

Two arms behave identically when their training epochs hold the same rows and their losses
and loss settings agree; the epochs are drawn here through the data module, so an arm that
repeats another under a different name (``smote_nc`` beside ``smote``, which applies
SMOTE-NC's rules to the declared columns) is caught by what it does, not by its name.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest
import torch

from imbalance_torch.lightning import ImbalanceDataModule
from imbalance_torch.lightning.cli import default_config_files
from imbalance_torch.lightning.commands.console import CONFIG_DIR
from imbalance_torch.lightning.compare.arms import list_strategies, load_strategy_config, plan_arms
from imbalance_torch.lightning.strategies import LOSSES, RESAMPLERS

DATA_SETTINGS = ("resampling", "ratio", "resampling_options", "frozen_synthetic")


def merged_config(strategy) -> dict[str, dict]:
    """The strategy's settings over the default configs, as its run would see them."""
    merged: dict[str, dict] = {"data": {}, "model": {}}
    configs = [load_strategy_config(f) for f in default_config_files(CONFIG_DIR) if os.path.exists(f)]
    for config in [*configs, strategy.config]:
        for section, values in config.items():
            if section in merged and isinstance(values, dict):
                merged[section].update(values)
    return merged


def mixed_data() -> tuple[np.ndarray, np.ndarray]:
    """Three numeric columns and one categorical code column; 15 % positives."""
    rng = np.random.default_rng(5)
    y = (rng.random(600) < 0.15).astype(np.int64)
    numeric = rng.standard_normal((600, 3)) + 1.0 * y[:, None]
    codes = np.where(y == 1, rng.integers(0, 2, 600), rng.integers(0, 4, 600))
    return np.column_stack([numeric, codes]).astype(np.float32), y


def behaviour(config: dict[str, dict], x: np.ndarray, y: np.ndarray) -> tuple:
    """What an arm trains on and with: a digest of two epochs' rows, the loss and its settings."""
    data = {k: config["data"][k] for k in DATA_SETTINGS if k in config["data"]}
    dm = ImbalanceDataModule.from_arrays(
        x, y, categorical_features=[3], batch_size=128, sampler_seed=0, split_seed=0, **data
    )
    dm.setup("fit")
    digest = hashlib.sha256()
    loader = dm.train_dataloader()
    for epoch in (0, 1):
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
        batches = list(loader)
        features = torch.cat([b[0] for b in batches])
        labels = torch.cat([b[1] for b in batches])
        order = np.lexsort(np.column_stack([features.numpy(), labels.numpy()]).T)
        digest.update(features.numpy()[order].tobytes() + labels.numpy()[order].tobytes())
    loss = config["model"]["loss"]
    settings = tuple(sorted(LOSSES[loss].check_options(config["model"].get("loss_options"), 2).items()))
    return digest.hexdigest(), loss, settings


def test_the_default_plan_with_categorical_columns_has_no_two_arms_alike():
    arms, skipped = plan_arms(CONFIG_DIR, None, has_categorical=True)
    strategies = list_strategies(CONFIG_DIR)
    x, y = mixed_data()
    seen: dict[tuple, str] = {}
    for arm in arms:
        key = behaviour(merged_config(strategies[arm.strategy]), x, y)
        assert key not in seen, f"{arm.name} trains exactly as {seen.get(key)}"
        seen[key] = arm.name
    assert "smote" in seen.values() and "smote_nc" not in seen.values()
    assert any(line.startswith("smote_nc (draws the same rows as smote: smote applies SMOTE-NC's "
                               "rules to the declared categorical columns; name it in "
                               "--strategies to run it anyway)") for line in skipped)


def test_smote_nc_is_left_out_because_it_draws_what_smote_draws_and_runs_when_named():
    """The reason the plan gives holds: on the same data smote_nc's epochs are smote's; and
    it stays selectable by name."""
    x, y = mixed_data()
    strategies = list_strategies(CONFIG_DIR)
    configs = {name: merged_config(strategies[name]) for name in ("smote", "smote_nc")}
    assert behaviour(configs["smote"], x, y) == behaviour(configs["smote_nc"], x, y)
    assert RESAMPLERS["smote_nc"].same_as == "smote" and not RESAMPLERS["smote_nc"].in_default
    arms, skipped = plan_arms(CONFIG_DIR, ["smote", "smote_nc"], has_categorical=True)
    assert [a.name for a in arms] == ["smote", "smote_nc"] and skipped == []
    _, skipped = plan_arms(CONFIG_DIR, ["smote_nc"], has_categorical=False)
    assert skipped == ["smote_nc (no categorical columns declared)"]


@pytest.mark.parametrize("name", sorted(r.name for r in RESAMPLERS.values() if r.same_as))
def test_a_same_as_entry_names_a_default_resampler_and_is_not_default_itself(name):
    resampler = RESAMPLERS[name]
    assert RESAMPLERS[resampler.same_as].in_default and not resampler.in_default
    assert resampler.same_as_reason

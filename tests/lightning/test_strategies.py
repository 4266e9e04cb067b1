"""The strategy table: names, CLI choices, builders, resume settings, priors and order derive
from RESAMPLERS and LOSSES."""

from __future__ import annotations

import typing
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from imbalance_torch.lightning import (
    LOSSES,
    RESAMPLERS,
    ImbalanceDataModule,
    Loss,
    Resampler,
    TabularClassifier,
    effective_prior,
)
from imbalance_torch.lightning.compare.arms import list_strategies, load_strategy_config, plan_arms

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def hint(cls, name):
    return typing.get_type_hints(cls.__init__)[name]


def test_cli_choices_are_the_table():
    # a plain str, checked against the table when the class is built (so an entry added at
    # run time is a valid choice: LightningCLI would freeze a Literal at import)
    assert hint(ImbalanceDataModule, "resampling") is str and hint(TabularClassifier, "loss") is str
    with pytest.raises(ValueError, match="resampling='cluster_smote' is not a known strategy; known: " + ", ".join(RESAMPLERS)):
        ImbalanceDataModule(resampling="cluster_smote")
    with pytest.raises(ValueError, match="loss='dice' is not a known loss; known: " + ", ".join(LOSSES)):
        TabularClassifier(num_features=3, loss="dice")


def test_every_shipped_strategy_combines_table_parts():
    strategies = list_strategies(CONFIGS)
    for name, strategy in strategies.items():
        assert strategy.resampling in RESAMPLERS and strategy.loss in LOSSES, name
    # one strategy per entry, derived; YAML files only for combinations and settings
    assert set(RESAMPLERS) | set(LOSSES) - {"cross_entropy"} <= set(strategies)
    files = sorted(p.stem for p in (CONFIGS / "strategies").glob("*.yaml"))
    assert files == ["smote_ap", "smote_focal", "smote_frozen"]
    for name in files:
        assert strategies[name].path is not None and strategies[name].description


def test_unknown_part_in_a_strategy_file_is_refused_with_the_table(tmp_path):
    (tmp_path / "strategies").mkdir()
    bad = tmp_path / "strategies" / "bad.yaml"
    bad.write_text("data:\n  resampling: cluster_smote\nmodel:\n  loss: cross_entropy\n")
    with pytest.raises(ValueError, match=r"bad.yaml: data.resampling='cluster_smote' is not a known strategy; known: none, random_over, random_under, smote"):
        load_strategy_config(bad)
    bad.write_text("data:\n  resampling: none\nmodel:\n  loss: dice\n")
    with pytest.raises(ValueError, match=r"bad.yaml: model.loss='dice' is not a known loss; known: cross_entropy, class_weighted, focal, logit_adjusted"):
        load_strategy_config(bad)
    bad.write_text("data:\n  resampling: 3\n")
    with pytest.raises(TypeError, match=r"data.resampling must be a string naming a strategy, got 3 of type int"):
        load_strategy_config(bad)


def test_display_order_derives_from_the_table():
    order = list(list_strategies(CONFIGS))
    assert order[:4] == ["none", "class_weighted", "focal", "logit_adjusted"]
    assert order.index("random_over") < order.index("smote") < order.index("smote_frozen") < order.index("borderline1")
    assert order.index("adasyn") < order.index("smote_nc") < order.index("smote_focal")
    combinations = [n for n, s in list_strategies(CONFIGS).items() if s.resampling != "none" and s.loss != "cross_entropy"]
    assert order[-len(combinations):] == combinations  # combinations last, whatever they are


def test_a_new_strategy_is_one_yaml_file(tmp_path):
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "under_weighted.yaml").write_text(
        "data:\n  resampling: random_under\n  ratio: 0.5\nmodel:\n  loss: class_weighted\n"
    )
    arms, _ = plan_arms(tmp_path, ["none", "smote", "under_weighted"])
    assert [(a.name, a.resampling, a.loss) for a in arms] == [
        ("none", "none", "cross_entropy"), ("smote", "smote", "cross_entropy"),
        ("under_weighted", "random_under", "class_weighted"),
    ]
    assert arms[2].cli_args() == ["--config", str(tmp_path / "strategies" / "under_weighted.yaml")]
    assert arms[1].cli_args() == ["--data.resampling", "smote", "--model.loss", "cross_entropy"]


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.15).astype(np.int64)
    return rng.standard_normal((500, 3)) + y[:, None], y


def test_a_new_oversampler_is_one_entry(monkeypatch, small):
    from imbalance_torch import SMOTE

    built = []

    class WideSMOTE(SMOTE):
        def __init__(self, k_neighbors=7, **kwargs):
            built.append(k_neighbors)
            super().__init__(k_neighbors=k_neighbors, **kwargs)

    monkeypatch.setitem(RESAMPLERS, "smote_wide", Resampler("smote_wide", "oversample", "a wider SMOTE", WideSMOTE, {"k_neighbors": 7}))
    dm = ImbalanceDataModule.from_arrays(*small, resampling="smote_wide", ratio=0.5, resampling_options={"k_neighbors": 3}, batch_size=64)
    dm.setup("fit")
    sampler = dm.train_sampler()
    assert set(built) == {3} and dm.train_dataset().oversampler.k_neighbors == 3  # the dataset may copy it
    assert dm.sampled_class_counts == [sampler.epoch_counts()[c] for c in (0, 1)]
    natural = dm.natural_class_counts
    assert dm.sampled_class_counts == [natural[0], int(natural[0] * 0.5)]
    assert dm.epoch_settings() == {"resampling": "smote_wide", "frozen_synthetic": False, "sampler_seed": 0, "ratio": 0.5, "k_neighbors": 3}


def test_a_new_loss_is_one_entry_and_the_correction_follows_it(monkeypatch, small):
    def prior(hp, sampled):
        return torch.tensor([0.25, 0.75])

    monkeypatch.setitem(LOSSES, "toy", Loss("toy", "a toy loss", lambda hp, sampled: nn.CrossEntropyLoss(), prior))
    dm = ImbalanceDataModule.from_arrays(*small)
    model = TabularClassifier(**dm.model_arguments(), loss="toy")
    torch.testing.assert_close(model.train_prior, torch.tensor([0.25, 0.75]))


@pytest.mark.parametrize("loss", list(LOSSES))
def test_each_loss_sets_the_prior_of_its_table_entry(loss, small):
    dm = ImbalanceDataModule.from_arrays(*small, resampling="random_over", ratio=0.5)
    options = {"tau": 0.5} if loss == "logit_adjusted" else None
    model = TabularClassifier(**dm.model_arguments(), loss=loss, loss_options=options)
    sampled = torch.tensor(dm.sampled_class_counts, dtype=torch.float64)
    torch.testing.assert_close(model.train_prior, LOSSES[loss].prior(model.loss_options, sampled))
    if loss == "logit_adjusted":
        share = sampled / sampled.sum()
        expected = share**0.5 / (share**0.5).sum()
        torch.testing.assert_close(model.train_prior, expected.float())
    elif loss != "class_weighted":
        torch.testing.assert_close(model.train_prior, effective_prior(sampled))


def _columns_for(resampling, x, y):
    """The small data with the columns ``resampling`` takes: a categorical code column added,
    except for numeric-only oversamplers; only categorical columns for SMOTE-N."""
    rng = np.random.default_rng(1)
    columns = RESAMPLERS[resampling].columns
    if columns == "numeric":
        return x, []
    if columns == "categorical":
        codes = np.column_stack([rng.integers(0, 3, len(y)), (x[:, 0] > 0.5) + 2 * (x[:, 1] > 1)])
        return codes, [0, 1]
    return np.column_stack([x, rng.integers(0, 3, len(y))]), [3]


@pytest.mark.parametrize("resampling", list(RESAMPLERS))
def test_sampled_counts_are_the_samplers_answer(resampling, small):
    x, categorical = _columns_for(resampling, *small)
    y = small[1]
    frozen = resampling == "smote"
    dm = ImbalanceDataModule.from_arrays(x, y, categorical_features=categorical, resampling=resampling, ratio=0.5, frozen_synthetic=frozen, batch_size=64)
    dm.setup("fit")
    counts = dm.train_sampler().epoch_counts()
    assert dm.sampled_class_counts == [counts[0], counts[1]]
    seen = torch.cat([b[1] for b in dm.train_dataloader()])
    assert torch.bincount(seen, minlength=2).tolist() == dm.sampled_class_counts


def test_a_name_that_is_not_a_string_is_a_type_error():
    with pytest.raises(TypeError, match=r"resampling must be a string naming a strategy, got 3 of type int; known: none"):
        ImbalanceDataModule(resampling=3)
    with pytest.raises(TypeError, match=r"loss must be a string naming a loss, got None of type NoneType; known: cross_entropy"):
        TabularClassifier(num_features=3, loss=None)


# -- the over-samplers and cleaning methods of issue 12 as strategies -------------------------
NEW_STRATEGIES = ("svm_smote", "kmeans_smote", "smoten", "tomek", "enn", "nearmiss", "smote_tomek", "smote_enn")
CLEANING = ("tomek", "enn", "nearmiss", "smote_tomek", "smote_enn")


@pytest.fixture
def overlapping():
    """Two overlapping classes, so that Tomek links and ENN find rows to remove."""
    rng = np.random.default_rng(2)
    y = (rng.random(400) < 0.2).astype(np.int64)
    return rng.standard_normal((400, 3)) + 1.2 * y[:, None], y


def test_each_new_strategy_derives_from_its_table_entry():
    strategies = list_strategies(CONFIGS)
    for name in NEW_STRATEGIES:
        assert (strategies[name].resampling, strategies[name].loss) == (name, "cross_entropy")
        assert strategies[name].path is None
    assert RESAMPLERS["kmeans_smote"].check_options(None) == {"k_neighbors": 2, "cluster_balance_threshold": 0.0}


def test_smoten_is_skipped_by_the_comparison_without_categorical_columns():
    arms, skipped = plan_arms(CONFIGS, ["none", "smoten", "tomek"])
    assert [a.name for a in arms] == ["none", "tomek"]
    assert skipped == ["smoten (no categorical columns declared)"]


@pytest.mark.parametrize("resampling", CLEANING)
def test_cleaning_strategies_serve_the_rows_their_cleaner_keeps(resampling, overlapping):
    dm = ImbalanceDataModule.from_arrays(*overlapping, resampling=resampling, ratio=1.0, batch_size=64)
    dm.setup("fit")
    x, y = dm.split_tensors("train")
    cleaner = RESAMPLERS[resampling].build_cleaner(dm.hparams.ratio)
    kept = cleaner.fit(x, y).sample_indices_
    sampler = dm.train_sampler()
    assert torch.equal(sampler.kept_rows, kept) and len(kept) < len(y)
    served = torch.cat(list(sampler))
    real = served[served < len(y)]
    assert torch.equal(torch.sort(real).values, kept)  # each kept real row once, no dropped row
    natural = dm.natural_class_counts
    dropped = sampler.dropped_counts()
    assert dropped[1] == 0 and dropped[0] == natural[0] - int((y[kept] == 0).sum())
    expected = {
        "tomek": [natural[0] - dropped[0], natural[1]],
        "enn": [natural[0] - dropped[0], natural[1]],
        "nearmiss": [natural[1], natural[1]],  # the majority down to the minority, once
        # synthetic rows fill up to the uncleaned majority (the dataset's own targets)
        "smote_tomek": [natural[0] - dropped[0], natural[0]],
        "smote_enn": [natural[0] - dropped[0], natural[0]],
    }
    assert dm.sampled_class_counts == expected[resampling]


@pytest.mark.parametrize("resampling", ["smote_tomek", "smote_enn"])
def test_smote_combinations_filter_each_epochs_synthetic_rows(resampling, overlapping):
    from imbalance_torch import EditedNearestNeighbours, TomekLinks

    dm = ImbalanceDataModule.from_arrays(*overlapping, resampling=resampling, batch_size=64)
    oversampler = dm.train_dataset().oversampler
    rule = oversampler.filter
    assert isinstance(rule, TomekLinks if resampling == "smote_tomek" else EditedNearestNeighbours)
    assert oversampler.filter_ is not None and 0.1 <= oversampler.filter_.acceptance_[1] <= 1.0
    if resampling == "smote_enn":
        assert rule.kind_sel == "mode" and dm.training_data.sampler().cleaning.kind_sel == "all"
    counts = dm.sampled_class_counts
    assert counts[1] == dm.natural_class_counts[0]  # synthetic rows fill to the uncleaned majority


def test_resume_settings_of_the_new_strategies(overlapping):
    def settings(resampling):
        return ImbalanceDataModule.from_arrays(*overlapping, resampling=resampling).epoch_settings()

    common = {"frozen_synthetic": False, "sampler_seed": 0}
    assert settings("tomek") == {"resampling": "tomek", **common}
    assert settings("nearmiss") == {"resampling": "nearmiss", **common, "ratio": 1.0}
    assert settings("smote_enn") == {"resampling": "smote_enn", **common, "ratio": 1.0, "k_neighbors": 5}
    assert settings("svm_smote") == {"resampling": "svm_smote", **common, "ratio": 1.0, "k_neighbors": 5, "m_neighbors": 10}


def test_columns_a_strategy_cannot_handle_are_refused(small):
    x, y = small
    with_codes = np.column_stack([x, np.random.default_rng(1).integers(0, 3, len(y))])
    dm = ImbalanceDataModule.from_arrays(with_codes, y, categorical_features=[3], resampling="svm_smote")
    with pytest.raises(ValueError, match=r"resampling='svm_smote' interpolates every column, so the categorical columns \[3\] \(of 4\) would get values that are not category codes; use 'smote'"):
        dm.model_arguments()
    dm = ImbalanceDataModule.from_arrays(with_codes, y, categorical_features=[3], resampling="smoten")
    with pytest.raises(ValueError, match=r"resampling='smoten' needs every column to be categorical, but 3 of the 4 columns are numeric \(columns \[0, 1, 2\]\); declare them all in categorical .* or use 'smote_nc'"):
        dm.model_arguments()
    dm = ImbalanceDataModule.from_arrays(x, y, resampling="smote_tomek", frozen_synthetic=True)
    with pytest.raises(ValueError, match=r"frozen_synthetic=True serves one fixed epoch .* resampling='smote_tomek' could not leave out the real rows its cleaning drops; set frozen_synthetic: false"):
        dm.model_arguments()


@pytest.mark.parametrize("resampling", NEW_STRATEGIES)
def test_each_new_strategy_fits_an_epoch(resampling, overlapping):
    import lightning.pytorch as pl

    x, categorical = _columns_for(resampling, *overlapping)
    dm = ImbalanceDataModule.from_arrays(x, overlapping[1], categorical_features=categorical, resampling=resampling, batch_size=64)
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(**dm.model_arguments(), hidden_width=8)
    trainer = pl.Trainer(
        max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
    )
    trainer.fit(model, dm)
    counts = dm.sampled_class_counts
    assert trainer.global_step == -(-sum(counts) // 64)  # every batch of the epoch served
    assert np.isfinite(model.val_history[-1]["auprc"])


def test_default_comparison_runs_the_in_default_strategies_and_lists_the_opt_in_ones():
    from imbalance_torch.lightning.commands.console import CONFIG_DIR
    from imbalance_torch.lightning.compare.arms import plan_arms
    from imbalance_torch.lightning.strategies import RESAMPLERS

    arms, skipped = plan_arms(CONFIG_DIR, None)
    assert arms and all(RESAMPLERS[a.resampling].in_default for a in arms)
    opt_in = [line for line in skipped if line.startswith("opt-in")]
    assert len(opt_in) == 1 and "svm_smote" in opt_in[0] and "smote_enn" in opt_in[0]
    named, _ = plan_arms(CONFIG_DIR, ["svm_smote", "tomek"])
    assert [a.name for a in named] == ["svm_smote", "tomek"]


def test_the_docs_strategy_table_is_generated_from_the_table(tmp_path):
    import importlib.util

    root = Path(__file__).resolve().parents[2] / "docs"
    page = (root / "guide" / "strategies.md").read_text(encoding="utf-8")
    assert "```{include} ../generated_tables/strategies.md" in page and "| `none` |" not in page  # no hand copy
    spec = importlib.util.spec_from_file_location("docs_tables", root / "_scripts" / "tables.py")
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    tables.write(tmp_path)
    from imbalance_torch.lightning.strategies import strategy_table_markdown

    assert (tmp_path / "strategies.md").read_text() == strategy_table_markdown(CONFIGS) + "\n"
    assert "| `SMOTE` | yes | yes | yes | yes |" in (tmp_path / "capabilities.md").read_text()

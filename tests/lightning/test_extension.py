"""Issue 19's proof: a new oversampler is its file, one export and one table entry; a new loss
its file and one table entry; a new strategy one YAML file. Each then runs in a comparison."""

from __future__ import annotations

import csv
import shutil
import textwrap

import pytest

from imbalance_torch.lightning.commands import compare
from imbalance_torch.lightning.strategies import CONFIG_DIR, LOSSES, RESAMPLERS, Loss, Resampler

TOY_PACKAGE = {
    # the oversampler's own file and the package's one export
    "_toy_smote.py": """
        from imbalance_torch import SMOTE


        class ToySMOTE(SMOTE):
            '''SMOTE with k_neighbors=3 by default (a toy: a new class of the family).'''

            def __init__(self, k_neighbors: int = 3, **kwargs) -> None:
                super().__init__(k_neighbors=k_neighbors, **kwargs)
    """,
    # the loss's own file
    "toy_loss.py": """
        from torch import nn


        class ToyLoss(nn.CrossEntropyLoss):
            '''Cross-entropy with label smoothing (a toy loss).'''

            def __init__(self, smoothing: float = 0.05) -> None:
                super().__init__(label_smoothing=smoothing)
    """,
    "__init__.py": """
        from ._toy_smote import ToySMOTE

        __all__ = ["ToySMOTE"]
    """,
}


def _prior(options, sampled):
    from imbalance_torch.losses import effective_prior

    return effective_prior(sampled)


def _build_toy_loss(options, sampled):
    from toyext.toy_loss import ToyLoss

    return ToyLoss(**options)


@pytest.fixture
def toy_parts(tmp_path, monkeypatch):
    package = tmp_path / "pkg" / "toyext"
    package.mkdir(parents=True)
    for name, text in TOY_PACKAGE.items():
        (package / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path / "pkg"))
    # one table entry each
    monkeypatch.setitem(RESAMPLERS, "toy_smote", Resampler(
        "toy_smote", "oversample", "A toy SMOTE (k_neighbors 3).", "toyext.ToySMOTE", {"k_neighbors": 3},
        in_default=False,
    ))
    monkeypatch.setitem(LOSSES, "toy_loss", Loss(
        "toy_loss", "A toy loss (smoothed cross-entropy).", _build_toy_loss, _prior,
        owners=("toyext.toy_loss.ToyLoss",), options={"smoothing": 0.05}, in_default=False,
    ))
    configs = tmp_path / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    # a strategy is one YAML file; its name sorts anywhere among the others
    (configs / "strategies" / "aaa_toy_mix.yaml").write_text(
        "# A toy mix of the two new parts.\n"
        "data:\n  resampling: toy_smote\n  ratio: 0.5\n  resampling_options: {k_neighbors: 2}\n"
        "model:\n  loss: toy_loss\n  loss_options: {smoothing: 0.1}\n"
    )
    return configs


@pytest.mark.filterwarnings("ignore:the (validation|test) split holds")
def test_new_parts_and_a_yaml_strategy_run_in_a_comparison(toy_parts, tmp_path):
    from imbalance_torch.lightning.commands.compare import strategy_rows

    rows = {row["name"]: row for row in strategy_rows(toy_parts)}
    assert rows["toy_smote"]["default"] == "opt-in" and rows["toy_loss"]["description"].startswith("A toy loss")
    assert rows["aaa_toy_mix"]["resampling"] == "toy_smote" and rows["aaa_toy_mix"]["loss"] == "toy_loss"
    out = tmp_path / "out"
    status = compare.main([
        "--configs", str(toy_parts), "--strategies", "none", "toy_smote", "toy_loss", "aaa_toy_mix",
        "--seeds", "1", "--rows", "3000", "--max-epochs", "1", "--jobs", "1", "--out", str(out),
    ])
    assert status in (0, None)
    with open(out / "results.csv", newline="") as handle:
        results = {row["strategy"]: row for row in csv.DictReader(handle)}
    assert set(results) == {"none", "toy_smote", "toy_loss", "aaa_toy_mix"}
    for row in results.values():
        assert 0.0 <= float(row["test_auprc"]) <= 1.0


def test_options_of_a_new_part_are_checked_against_its_class(toy_parts):
    from imbalance_torch.lightning import ImbalanceDataModule, TabularClassifier

    with pytest.raises(ValueError, match=r"resampling_options: 'k_neigbors' is not an argument of ToySMOTE \(resampling='toy_smote'\); known: .*k_neighbors"):
        ImbalanceDataModule(resampling="toy_smote", resampling_options={"k_neigbors": 2})
    with pytest.raises(ValueError, match=r"loss_options: 'gamma' is not an argument of ToyLoss \(loss='toy_loss'\); known: smoothing"):
        TabularClassifier(num_features=3, loss="toy_loss", loss_options={"gamma": 2.0})
    with pytest.raises(TypeError, match=r"resampling_options must be a mapping of constructor arguments"):
        ImbalanceDataModule(resampling="smote", resampling_options=[3])
    with pytest.raises(ValueError, match=r"resampling_options=\{'k_neighbors': 3\}: resampling='none' builds no oversampler"):
        ImbalanceDataModule(resampling="none", resampling_options={"k_neighbors": 3})


def test_any_constructor_argument_can_be_set_from_options():
    from imbalance_torch import TomekLinks
    from imbalance_torch.lightning.strategies import RESAMPLERS as table

    entry = table["borderline1"]
    options = entry.check_options({"filter": {"class_path": "TomekLinks"}, "m_neighbors": 7})
    built = entry.build_oversampler(options, [])
    assert isinstance(built.filter, TomekLinks) and built.m_neighbors == 7 and built.kind == "borderline-1"
    with pytest.raises(ValueError, match=r"resampling_options: resampling='borderline1' sets 'kind' itself"):
        entry.check_options({"kind": "borderline-2"})
    smote = table["smote"].build_oversampler(table["smote"].check_options({"safe": True}), [])
    assert smote.safe is True

"""`ImbalanceCLI`: LightningCLI with the data module's facts linked into the model."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.cli import LightningCLI

from imbalance_torch.lightning.config_guard import install_yaml_guard
from imbalance_torch.lightning.datamodule import ImbalanceDataModule
from imbalance_torch.lightning.module import TabularClassifier

__all__ = ["LINKED_MODEL_ARGUMENTS", "ImbalanceCLI", "default_config_files"]

LINKED_MODEL_ARGUMENTS = {
    "num_features": "num_features",
    "categorical_cardinalities": "categorical_cardinalities",
    "model_natural_class_counts": "natural_class_counts",
    "model_sampled_class_counts": "sampled_class_counts",
}
"""Data module attribute -> model argument, filled in by the CLI after the data is loaded."""


def default_config_files(config_dir: str | Path) -> list[str]:
    """The defaults every run starts from: ``trainer.yaml``, ``data.yaml``, ``model.yaml``."""
    root = Path(config_dir)
    return [str(root / name) for name in ("trainer.yaml", "data.yaml", "model.yaml")]


class ImbalanceCLI(LightningCLI):
    """LightningCLI for :class:`TabularClassifier` on :class:`ImbalanceDataModule`.

    The model's input size, categorical cardinalities and class counts are linked from the
    data module after it is instantiated, so configs never repeat facts about the data.
    ``model.num_classes`` stays a setting: a mismatch with the data is reported as an error.

    Every YAML text it parses is first scanned within the bounds of
    :mod:`~imbalance_torch.lightning.config_guard` (see NOTE [Configs are code] there):
    configs are code and must be trusted like scripts, but a small file cannot exhaust memory.
    """

    def __init__(self, *args, **kwargs) -> None:
        install_yaml_guard()
        kwargs.setdefault("model_class", TabularClassifier)
        kwargs.setdefault("datamodule_class", ImbalanceDataModule)
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser) -> None:  # noqa: D102
        for source, target in LINKED_MODEL_ARGUMENTS.items():
            parser.link_arguments(f"data.{source}", f"model.{target}", apply_on="instantiate")

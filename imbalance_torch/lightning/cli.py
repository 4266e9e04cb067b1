"""`ImbalanceCLI`: LightningCLI with the data module's facts linked into the model."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.cli import LightningCLI

from imbalance_torch.lightning.config_guard import install_yaml_guard
from imbalance_torch.lightning.datamodule.datamodule import ImbalanceDataModule
from imbalance_torch.lightning.model.module import TabularClassifier

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

    With ``exit_on_data_error=True`` (the command line: ``imbalance-torch train``), a setting
    the classes refuse while they are built (a bad ``--data.data`` path, a target that is not
    a column, a bad ``--data.sep``: a ``ValueError``, ``TypeError`` or ``OSError``) ends the
    command with its one-line message (``SystemExit``, exit status 1), as a bad flag ends it,
    instead of a traceback through LightningCLI and jsonargparse. Called from Python (the
    default), the error is raised as it is.
    """

    def __init__(self, *args, exit_on_data_error: bool = False, **kwargs) -> None:
        self.exit_on_data_error = exit_on_data_error
        install_yaml_guard()
        kwargs.setdefault("model_class", TabularClassifier)
        kwargs.setdefault("datamodule_class", ImbalanceDataModule)
        super().__init__(*args, **kwargs)

    def instantiate_classes(self) -> None:
        """Build the data module, model and trainer; with ``exit_on_data_error``, a refused
        setting exits with one line.

        Raises:
            SystemExit: ``error: <message>`` for a ``ValueError``, ``TypeError`` or
                ``OSError`` raised while the classes are built (``exit_on_data_error``).
        """
        try:
            super().instantiate_classes()
        except (ValueError, TypeError, OSError) as error:
            if not self.exit_on_data_error:
                raise
            raise SystemExit(f"error: {error}") from None

    def add_arguments_to_parser(self, parser) -> None:  # noqa: D102
        for source, target in LINKED_MODEL_ARGUMENTS.items():
            parser.link_arguments(f"data.{source}", f"model.{target}", apply_on="instantiate")

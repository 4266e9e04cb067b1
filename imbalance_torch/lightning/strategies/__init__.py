"""The strategy table: every resampler and loss of the Lightning layer, declared once.

A comparison *strategy* combines one resampler (``data.resampling``) with one loss
(``model.loss``) and their options (``data.resampling_options``, ``model.loss_options``:
NOTE [part options] in :mod:`.parts`). Everything that depends on those names derives from
the two tables, :data:`RESAMPLERS` (:mod:`.resamplers`) and :data:`LOSSES` (:mod:`.losses`):

* the strategies a comparison runs: one per entry, plus YAML files for combinations
  (NOTE [strategies from the table] in :mod:`.configs`), and ``compare --list``;
* the checks of ``resampling`` / ``loss`` values and of their options (against the
  constructors of the classes they build);
* how :class:`~imbalance_torch.lightning.ImbalanceDataModule` builds the training dataset
  and sampler (:meth:`Resampler.build_oversampler`, :meth:`Resampler.sampler_arguments`);
* which settings a resumed fit must keep (:attr:`Resampler.settings`, :attr:`Loss.settings`);
* the class prior a loss calibrates the raw model to (:attr:`Loss.prior`), which the
  prior-shift correction maps back to the natural ratio;
* the display order of comparison reports (:func:`strategy_sort_key`).

Adding an oversampler or a loss is one entry (CONTRIBUTING.md); a strategy that combines
existing parts is one YAML file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imbalance_torch.lightning.strategies.configs import (
    BASELINE,
    Strategy,
    read_strategies,
    strategy_parts,
    strategy_sort_key,
    strategy_table_markdown,
    yaml_description,
)
from imbalance_torch.lightning.strategies.losses import LOSSES
from imbalance_torch.lightning.strategies.parts import Loss, Resampler, sampling_strategy
from imbalance_torch.lightning.strategies.resamplers import RESAMPLERS

__all__ = [
    "BASELINE",
    "CONFIG_DIR",
    "LOSSES",
    "RESAMPLERS",
    "Loss",
    "Resampler",
    "Strategy",
    "check_loss",
    "check_resampling",
    "read_strategies",
    "sampling_strategy",
    "strategy_parts",
    "strategy_sort_key",
    "strategy_table_markdown",
    "yaml_description",
]

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
"""The configs shipped in the package (``configs/`` in a checkout links here): ``trainer.yaml``,
``data.yaml``, ``model.yaml`` and the YAML strategies under ``strategies/``."""


def _check_name(argument: str, value: Any, table: dict[str, Any], what: str) -> None:
    if not isinstance(value, str):
        raise TypeError(
            f"{argument} must be a string naming a {what}, got {value!r} of type "
            f"{type(value).__name__}; known: {', '.join(table)}."
        )
    if value not in table:
        raise ValueError(f"{argument}={value!r} is not a known {what}; known: {', '.join(table)}.")


def check_resampling(value: Any, argument: str = "resampling") -> Resampler:
    """The :class:`Resampler` called ``value``.

    Raises:
        TypeError: not a string.
        ValueError: an unknown name (the message lists the known ones).
    """
    _check_name(argument, value, RESAMPLERS, "strategy")
    return RESAMPLERS[value]


def check_loss(value: Any, argument: str = "loss") -> Loss:
    """The :class:`Loss` called ``value``.

    Raises:
        TypeError: not a string.
        ValueError: an unknown name (the message lists the known ones).
    """
    _check_name(argument, value, LOSSES, "loss")
    return LOSSES[value]

"""Train and test one strategy config through LightningCLI.

Examples::

    python recipes/train.py fit --strategy smote
    python recipes/train.py test --strategy smote --ckpt_path PATH
    # score a raw file: id, probability, prior-corrected probability, a flag per threshold
    python recipes/train.py predict --ckpt_path PATH --data new.csv --out scores.csv
    python recipes/train.py fit --strategy focal \\
        --data.data creditcard.csv --data.target Class
    # DDP on CPU: each rank gets a disjoint share of every epoch
    python recipes/train.py fit --strategy smote \\
        --trainer.strategy ddp --trainer.devices 2 --trainer.accelerator cpu

``configs/trainer.yaml``, ``configs/data.yaml`` and ``configs/model.yaml`` are read first as
defaults; a strategy config and command-line flags override them. The same command is
``imbalance-torch train ...`` once the package is installed (``--strategy NAME`` stands for
the strategy's two parts, ``--data.resampling smote --model.loss cross_entropy``, or for
``--config <shipped configs>/strategies/NAME.yaml`` where a YAML file combines parts); the
logic lives in
:mod:`imbalance_torch.lightning.commands.console`.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from imbalance_torch.lightning.commands.console import (  # noqa: E402
    check_config_files,
    train_main,
)

__all__ = ["check_config_files", "main"]


def main(args: list[str] | None = None):
    """``imbalance-torch train`` (:func:`imbalance_torch.lightning.commands.console.train_main`): run
    LightningCLI (``fit``, ``validate``, ``test``) with the shipped defaults, ending a fit
    with its summary; ``predict`` scores a raw file with a checkpoint."""
    return train_main(args)


if __name__ == "__main__":
    main()

"""Train and test one strategy config through LightningCLI.

Examples::

    python recipes/train.py fit --config configs/strategies/smote.yaml
    python recipes/train.py test --config configs/strategies/smote.yaml --ckpt_path PATH
    # score a raw file: id, probability, prior-corrected probability, a flag per threshold
    python recipes/train.py predict --ckpt_path PATH --data new.csv --out scores.csv
    python recipes/train.py fit --config configs/strategies/focal.yaml \\
        --data.data creditcard.csv --data.target Class
    # DDP on CPU: each rank gets a disjoint share of every epoch
    python recipes/train.py fit --config configs/strategies/smote.yaml \\
        --trainer.strategy ddp --trainer.devices 2 --trainer.accelerator cpu

``configs/trainer.yaml``, ``configs/data.yaml`` and ``configs/model.yaml`` are read first as
defaults; a strategy config and command-line flags override them.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from imbalance_torch.lightning.cli import ImbalanceCLI, default_config_files  # noqa: E402


def check_config_files(args: list[str]) -> None:
    """Check every config before LightningCLI reads it: bounds first, then unknown keys.

    The defaults and every ``--config`` (a file, or an inline YAML string of any length) are
    scanned within the bounds of :mod:`imbalance_torch.lightning.config_guard`, so an alias
    bomb is refused in milliseconds. LightningCLI would reject an unknown key too, but without
    saying which keys exist.

    Raises:
        ValueError: a config over a bound, or an unknown key, naming the file and the bound or
            the known keys.
        OSError: a config file that exists but cannot be read.
    """
    from imbalance_torch.lightning.comparison import load_strategy_config
    from imbalance_torch.lightning.config_guard import check_recipe_configs, config_file_arguments

    check_recipe_configs(args, default_config_files(REPO / "configs"))
    for path in config_file_arguments(args):
        load_strategy_config(path)


def main(args: list[str] | None = None) -> ImbalanceCLI | Path:
    """Run LightningCLI (``fit``, ``validate``, ``test``) with the repo defaults; ``predict``
    scores a raw file with a checkpoint
    (:func:`~imbalance_torch.lightning.scoring.predict_main`) and returns the path written."""
    given = list(sys.argv[1:] if args is None else args)
    if given[:1] == ["predict"]:
        from imbalance_torch.lightning.scoring import predict_main

        try:
            return predict_main(given[1:])
        except (ValueError, TypeError, OSError) as error:
            if args is not None:
                raise
            sys.exit(f"error: {error}")
    try:
        check_config_files(list(sys.argv[1:] if args is None else args))
    except (ValueError, OSError) as error:
        if args is not None:
            raise
        sys.exit(f"error: {error}")
    defaults = {"default_config_files": default_config_files(REPO / "configs")}
    return ImbalanceCLI(
        args=args,
        parser_kwargs={name: defaults for name in ("fit", "validate", "test", "predict")},
        save_config_kwargs={"overwrite": True},
    )


if __name__ == "__main__":
    main()

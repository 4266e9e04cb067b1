"""The ``imbalance-torch`` console script: ``compare``, ``train``, ``predict`` and ``configs``.

Installed with the package (``[project.scripts]``), so it works from a non-editable install;
the configs it reads ship inside the package (:data:`CONFIG_DIR`), and ``recipes/*.py`` in a
checkout are thin wrappers around the same functions::

    imbalance-torch compare --quick
    imbalance-torch compare --data creditcard.csv --target Class --data.split time --data.time_column Time
    imbalance-torch train fit --strategy smote --data.data creditcard.csv --data.target Class \\
        --trainer.default_root_dir runs/smote
    imbalance-torch train test --strategy smote --ckpt_path runs/smote/checkpoints/best-epoch=3.ckpt
    imbalance-torch predict --ckpt_path runs/smote/checkpoints/best-epoch=3.ckpt \\
        --data tomorrow.csv --out scores.csv
    imbalance-torch configs          # where the shipped configs are

``--strategy NAME`` stands for ``--config <configs>/strategies/NAME.yaml``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from imbalance_torch.lightning.commands.compare import main as run_compare
from imbalance_torch.lightning.config_guard import check_recipe_configs, config_file_arguments
from imbalance_torch.lightning.strategies import CONFIG_DIR, read_strategies
from imbalance_torch.lightning.threads import apply_training_threads, training_threads

# NOTE [lazy imports] (imbalance_torch/_lazy.py): the functions below import the modules that
# load torch and Lightning (cli, compare.arms, scoring, model.*) when they run, so that
# ``imbalance-torch --help`` and ``--list`` answer without them; every other module of the
# package is imported here.

__all__ = [
    "COMMANDS",
    "CONFIG_DIR",
    "check_config_files",
    "main",
    "strategy_config_args",
    "train_main",
]

"""The configs shipped inside the package: ``trainer.yaml``, ``data.yaml``, ``model.yaml``,
``keel.yaml`` and ``strategies/*.yaml`` (``configs/`` in a checkout links here)."""

COMMANDS = {
    "compare": "compare strategies on untouched validation and test splits",
    "train": "LightningCLI fit / validate / test of one strategy (and predict, as below)",
    "predict": "score a CSV/Parquet file with a checkpoint (same as 'train predict')",
    "configs": "print the folder of the shipped configs",
}


def _replace_option(
    args: Sequence[str], flag: str, what: str, example: str, replace: Callable[[str], list[str]]
) -> list[str]:
    """``args`` with every ``FLAG VALUE`` (or ``FLAG=VALUE``) replaced, in place, by
    ``replace(VALUE)``.

    Raises:
        ValueError: a flag without its value (``what``, e.g. ``example``).
    """
    out: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        item = items[i]
        if item == flag or item.startswith(f"{flag}="):
            if item == flag:
                if i + 1 >= len(items):
                    raise ValueError(f"{flag} needs a {what}, e.g. {flag} {example}.")
                value, i = items[i + 1], i + 2
            else:
                value, i = item.split("=", 1)[1], i + 1
            out += replace(value)
            continue
        out.append(item)
        i += 1
    return out


def strategy_config_args(args: Sequence[str], config_dir: str | Path = CONFIG_DIR) -> list[str]:
    """Replace ``--strategy NAME`` (or ``--strategy=NAME``) by the strategy's arguments:
    ``--config <config_dir>/strategies/NAME.yaml`` for a YAML strategy, or
    ``--data.resampling R --model.loss L`` for one the strategy table derives (NOTE
    [strategies from the table]).

    Raises:
        ValueError: an unknown name, listing the known ones; a missing name.
    """

    def config(name: str) -> list[str]:
        strategies = read_strategies(config_dir)
        if name not in strategies:
            raise ValueError(
                f"--strategy {name!r} is neither an entry of the strategy table nor a config in "
                f"{Path(config_dir) / 'strategies'}; known strategies: {', '.join(strategies)}."
            )
        return strategies[name].cli_args()

    return _replace_option(args, "--strategy", "name", "smote", config)


def check_config_files(args: list[str], config_dir: str | Path = CONFIG_DIR) -> None:
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
    from imbalance_torch.lightning.cli import default_config_files  # NOTE [lazy imports]
    from imbalance_torch.lightning.compare.arms import load_strategy_config

    check_recipe_configs(args, default_config_files(config_dir))
    for path in config_file_arguments(args):
        load_strategy_config(path)


def _pop_threads(args: list[str]) -> tuple[list[str], int | None]:
    """Take ``--threads N`` (or ``--threads=N``) out of a ``train`` command line.

    Raises:
        ValueError: a missing or non-integer value.
    """
    found: list[int] = []

    def take(value: str) -> list[str]:
        try:
            found.append(int(value))
        except ValueError:
            raise ValueError(f"--threads takes a whole number of threads, got {value!r}.") from None
        return []

    rest = _replace_option(args, "--threads", "count", "1", take)
    return rest, (found[-1] if found else None)


def train_main(
    args: Sequence[str] | None = None,
    *,
    config_dir: str | Path = CONFIG_DIR,
    exit_on_error: bool | None = None,
) -> Any:
    """Run LightningCLI (``fit``, ``validate``, ``test``) with the shipped defaults; ``predict``
    scores a raw file with a checkpoint
    (:func:`~imbalance_torch.lightning.scoring.predict_main`) and returns the path written.

    ``--threads N`` sets the torch threads of the run (default: ``OMP_NUM_THREADS`` if set,
    else 1: NOTE [training threads] in ``threads.py``).

    A ``fit`` ends with :func:`~imbalance_torch.lightning.model.run_log.fit_summary`: the best epoch,
    its validation metrics, and the paths of the best and last checkpoints and the metrics log.

    ``--ckpt_path PATH`` is checked before LightningCLI reads it
    (:func:`~imbalance_torch.lightning.model.checkpoints.check_lightning_ckpt_path`): a missing path,
    a directory, a FIFO, a device, a link loop, an empty file or a file that is no checkpoint
    gets one line; ``last``, ``best``, ``hpc``, ``registry`` and URLs pass to Lightning untouched.

    Args:
        args: the command line after ``train`` (``sys.argv[1:]`` when None).
        config_dir: folder of the default configs.
        exit_on_error: errors found before training exit with one line (a command line)
            instead of raising; default: when ``args`` is None.

    Raises:
        ValueError, TypeError, OSError: errors found before training (a bad config, thread
            count or ``--ckpt_path``), when not exiting with one line.
    """
    from_command_line = args is None if exit_on_error is None else exit_on_error
    given = list(sys.argv[1:] if args is None else args)
    try:
        if given[:1] == ["predict"]:
            from imbalance_torch.lightning.scoring import predict_main

            return predict_main(given[1:])
        given, requested_threads = _pop_threads(given)
        threads, _ = training_threads(requested_threads)
        given = strategy_config_args(given, config_dir)
        check_config_files(given, config_dir)
        ckpt_paths: list[str] = []

        def collect(value: str) -> list[str]:
            ckpt_paths.append(value)
            return []

        _replace_option(given, "--ckpt_path", "checkpoint path", "last", collect)  # given unchanged
        if ckpt_paths:  # NOTE [checkpoint paths] in checkpoints.py: one line, not a traceback
            from imbalance_torch.lightning.model.checkpoints import check_lightning_ckpt_path

            for value in ckpt_paths:
                check_lightning_ckpt_path(value)
    except (ValueError, TypeError, OSError) as error:
        if not from_command_line:
            raise
        sys.exit(f"error: {error}")
    # NOTE [lazy imports]
    from imbalance_torch.lightning.cli import ImbalanceCLI, default_config_files

    apply_training_threads(threads)  # NOTE [training threads]
    # The console script hands LightningCLI the arguments after its command word on purpose.
    warnings.filterwarnings("ignore", message=".*LightningCLI's args parameter is intended.*")
    defaults = {"default_config_files": default_config_files(config_dir)}
    cli = ImbalanceCLI(
        args=given,
        exit_on_data_error=from_command_line,
        parser_kwargs={name: defaults for name in ("fit", "validate", "test", "predict")},
        save_config_kwargs={"overwrite": True},
    )
    if getattr(cli, "subcommand", None) == "fit" and cli.trainer.is_global_zero:
        from imbalance_torch.lightning.model.run_log import fit_summary

        print(fit_summary(cli.trainer, cli.model), flush=True)
    return cli


def compare_main(args: Sequence[str] | None = None, *, exit_on_error: bool | None = None) -> int:
    """``compare``: the strategy comparison (:mod:`imbalance_torch.lightning.commands.compare`).

    Args:
        args: the command line after ``compare`` (``sys.argv[1:]`` when None).
        exit_on_error: errors found before the first run exit with one line instead of
            raising; default: when ``args`` is None.
    """
    from_command_line = args is None if exit_on_error is None else exit_on_error
    try:
        return run_compare(
            list(sys.argv[1:] if args is None else args), command="imbalance-torch compare"
        )
    except (ValueError, TypeError, OSError) as error:
        if not from_command_line:
            raise
        sys.exit(f"error: {error}")


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [f"  {name:<{width}}  {text}" for name, text in COMMANDS.items()]
    return (
        "usage: imbalance-torch COMMAND [options]\n\ncommands:\n"
        + "\n".join(lines)
        + ("\n\n'imbalance-torch COMMAND --help' shows a command's options.")
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``imbalance-torch``; returns the exit status."""
    given = list(sys.argv[1:] if argv is None else argv)
    if not given or given[0] in ("-h", "--help"):
        print(_usage())
        return 0 if given else 2
    command, rest = given[0], given[1:]
    if command not in COMMANDS:
        print(
            f"error: unknown command {command!r}; commands: {', '.join(COMMANDS)}.\n",
            file=sys.stderr,
        )
        print(_usage(), file=sys.stderr)
        return 2
    if command == "configs":
        print(CONFIG_DIR)
        return 0
    # sys.argv stays whole: Lightning's DDP launcher starts each worker with it.
    if command == "compare":
        return compare_main(rest, exit_on_error=argv is None)
    train_args = ["predict", *rest] if command == "predict" else rest
    train_main(train_args, exit_on_error=argv is None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

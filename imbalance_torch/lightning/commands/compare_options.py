"""The options of ``imbalance-torch compare`` / ``python recipes/compare.py``: the parser, the
checks of the values, and the data flags every run gets. The command itself is
:mod:`imbalance_torch.lightning.commands.compare`, which re-exports these names."""

from __future__ import annotations

import argparse
import json
import os

from imbalance_torch.lightning.strategies import CONFIG_DIR

__all__ = ["DEFAULT_QUICK", "DESCRIPTION", "MAX_RUNS", "build_parser", "parse"]

DESCRIPTION = "Compare imbalance strategies on untouched validation and test splits (the main job)."
DEFAULT_QUICK = {"strategies": ["none", "smote"], "seeds": 1, "rows": 20_000}
_PASS_THROUGH = ("--trainer.", "--model.", "--data.", "--seed_everything")
MAX_RUNS = 1000
"""Most runs (strategy arms x seeds) started without ``--max-runs``: a typo such as
``--seeds 1000000`` is refused with the count instead of starting a million runs."""


def build_parser(prog: str = "compare.py") -> argparse.ArgumentParser:  # long: one call per option
    parser = argparse.ArgumentParser(
        prog=prog,
        description=DESCRIPTION,
        allow_abbrev=False,
        epilog="Other --trainer.*, --model.*, --data.* flags go to every run's LightningCLI.",
    )
    parser.add_argument(
        "--data",
        default=None,
        help="built-in name, keel:NAME, or a .csv/.parquet path (default: fraud_like)",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="a LightningCLI config for every run, after the strategy config (e.g. configs/keel.yaml); may be repeated",
    )
    parser.add_argument("--target", default=None, help="label column of a file (e.g. Class)")
    parser.add_argument(
        "--categorical",
        nargs="+",
        default=None,
        help="categorical columns of a file (every SMOTE variant then applies SMOTE-NC's rules to them)",
    )
    parser.add_argument(
        "--strategies",
        nargs="+",
        default=None,
        help="strategy configs to run (default: all that apply)",
    )
    parser.add_argument(
        "--seeds", type=int, default=None, help="paired seeds per strategy (default: 3)"
    )
    parser.add_argument(
        "--max-runs",
        type=int,
        default=MAX_RUNS,
        help=f"refuse a plan of more runs (arms x seeds) than this (default {MAX_RUNS}); raise it to confirm a larger one",
    )
    parser.add_argument(
        "--ratios",
        type=float,
        nargs="+",
        default=None,
        help="sweep resampling strategies over minority/majority ratios, e.g. 1.0 0.5 0.33",
    )
    parser.add_argument(
        "--max-epochs",
        type=int,
        default=None,
        help="training budget as passes over the natural training split, the same steps for every arm (default: derived from the split's size)",
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=None,
        help="rows of the built-in dataset (default: its own size)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: none + smote, 1 seed, 20k built-in rows (checks the pipeline; not a verdict)",
    )
    parser.add_argument("--out", default="compare_out", help="output folder (default: compare_out)")
    parser.add_argument(
        "--configs",
        default=str(CONFIG_DIR),
        help="config folder (default: the configs shipped in the package, which configs/ in a checkout links to)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="runs at a time, each in its own process (default: the CPU cores; 1 runs in this process)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads per run (default: OMP_NUM_THREADS if set, else 1, the fastest on a busy machine; 0 keeps torch's default)",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="list the strategies (name, parts, description, in the default run or not) and exit",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="ignore the finished runs under OUT/runs and run everything again",
    )
    parser.add_argument(
        "--keep-checkpoints",
        action="store_true",
        help="keep each run's best checkpoint under OUT/checkpoints",
    )
    return parser


def parse(argv: list[str] | None, prog: str = "compare.py") -> tuple[argparse.Namespace, list[str]]:
    parser = build_parser(prog)
    options, rest = parser.parse_known_args(argv)
    unknown = [a for a in rest if a.startswith("-") and not a.startswith(_PASS_THROUGH)]
    if unknown:
        parser.error(
            f"unknown option(s) {' '.join(unknown)}; besides the options above, only "
            "--trainer.*, --model.* and --data.* flags (LightningCLI) are accepted."
        )
    if options.quick:
        for key, value in DEFAULT_QUICK.items():
            if getattr(options, key) is None and not (
                key == "rows" and options.data not in (None, "fraud_like")
            ):
                setattr(options, key, value)
    cores = os.cpu_count() or 1
    for name in ("jobs", "threads", "max_epochs"):
        value = getattr(options, name)
        if value is not None and value < (0 if name == "threads" else 1):
            parser.error(
                f"--{name.replace('_', '-')} must be >= {0 if name == 'threads' else 1}, got {value}."
            )
    options.jobs = cores if options.jobs is None else options.jobs
    options.seeds = 3 if options.seeds is None else options.seeds
    if options.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {options.seeds}.")
    if options.max_runs < 1:
        parser.error(f"--max-runs must be >= 1, got {options.max_runs}.")
    if options.seeds > options.max_runs:
        parser.error(
            f"--seeds {options.seeds:,} means at least {options.seeds:,} runs, more than "
            f"--max-runs {options.max_runs:,}; lower --seeds, or pass --max-runs "
            f"{options.seeds} (or more) to confirm."
        )
    return options, rest


def _check_run_count(num_arms: int, options: argparse.Namespace) -> None:
    """Refuse a plan of more than ``--max-runs`` runs before the first one starts."""
    runs = num_arms * options.seeds
    if runs > options.max_runs:
        raise ValueError(
            f"{num_arms} strategy arm(s) x {options.seeds:,} seed(s) = {runs:,} runs, more "
            f"than --max-runs {options.max_runs:,}; lower --seeds, --strategies or --ratios, "
            f"or pass --max-runs {runs} to confirm."
        )


def _data_args(options: argparse.Namespace) -> list[str]:
    args = [a for path in options.config for a in ("--config", path)]
    if options.data is not None:
        args += ["--data.data", options.data]
    if options.target is not None:
        args += ["--data.target", options.target]
    if options.categorical:
        args += ["--data.categorical", json.dumps(options.categorical)]
    if options.rows is not None:
        args += ["--data.rows", str(options.rows)]
    return args

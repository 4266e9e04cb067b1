"""Compare imbalance strategies on untouched validation and test splits (the main job).

A thin wrapper, for a checkout: the comparison is
:mod:`imbalance_torch.lightning.commands.compare`, the same as ``imbalance-torch compare``
once the package is installed. See that module (or ``python recipes/compare.py --help``)
for the options and what is written.

Examples::

    python recipes/compare.py                       # built-in fraud-like data, all strategies
    python recipes/compare.py --quick               # smoke run: 2 strategies, 1 seed
    python recipes/compare.py --data creditcard.csv --target Class
    python recipes/compare.py --data cards.csv --target Class --data.split time --data.time_column Time
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from imbalance_torch.lightning.commands import compare as compare_recipe  # noqa: E402

# Every name of the comparison module, helpers included, under the names scripts and tests
# have used (compare.main, compare.parse, compare._check_run_count, ...).
globals().update(
    {name: value for name, value in vars(compare_recipe).items() if not name.startswith("__")}
)

if __name__ == "__main__":
    sys.exit(compare_recipe.main())

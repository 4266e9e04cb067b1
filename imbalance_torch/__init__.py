"""imbalance-torch: class imbalance as a first-class part of PyTorch data loading.

Fit once, then fresh synthetic minority rows every epoch (:class:`SMOTEDataset`), each epoch's
class mix (:class:`BalancedSampler`), imbalance losses (:mod:`imbalance_torch.losses`) and
Lightning comparison recipes (:mod:`imbalance_torch.lightning`).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

# NOTE [lazy imports]: the public names load on first use (PEP 562), so the console script's
# ``--help`` and ``--list`` answer without importing torch and Lightning (seconds on a busy
# laptop). ``from imbalance_torch import SMOTE`` and ``imbalance_torch.SMOTE`` work as before;
# _EXPORTS maps each public name to its module and is the one list: __all__ derives from it.
_EXPORTS = {
    "BalancedSampler": "imbalance_torch.data",
    "SMOTEDataset": "imbalance_torch.data",
    **dict.fromkeys(
        ["ADASYN", "SMOTE", "SMOTEN", "SMOTENC", "SVMSMOTE", "BorderlineSMOTE", "KMeansSMOTE",
         "Oversampler", "RandomOverSampler", "filter_report"],
        "imbalance_torch.oversample",
    ),
    "oversampling_targets": "imbalance_torch.targets",
    "undersampling_targets": "imbalance_torch.targets",
    **dict.fromkeys(
        ["AllKNN", "Cleaner", "EditedNearestNeighbours", "NearMiss", "NeighbourhoodCleaningRule",
         "OneSidedSelection", "RepeatedEditedNearestNeighbours", "TomekLinks"],
        "imbalance_torch.undersample",
    ),
}

__version__ = "0.1.0"

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule, as before
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module 'imbalance_torch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

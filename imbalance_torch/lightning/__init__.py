"""Lightning recipes: compare imbalance strategies on untouched validation and test splits.

Needs the ``recipes`` extra for reports and plots (pandas, matplotlib).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

# NOTE [lazy imports] (imbalance_torch/__init__.py): names load on first use, so the console
# script's --help does not import Lightning. _EXPORTS is the one list; __all__ derives from it.
_EXPORTS = {
    "BUILTIN_DATASETS": "imbalance_torch.lightning.builtin",
    "LOSSES": "imbalance_torch.lightning.strategies",
    "METRIC_NAMES": "imbalance_torch.lightning.metrics",
    "RESAMPLERS": "imbalance_torch.lightning.strategies",
    "SPLIT_KINDS": "imbalance_torch.lightning.split_kinds",
    "AtomicCheckpointIO": "imbalance_torch.lightning.resume",
    "BatchSeeder": "imbalance_torch.lightning.resume",
    "BestCheckpoint": "imbalance_torch.lightning.checkpoints",
    "ImbalanceDataModule": "imbalance_torch.lightning.datamodule",
    "FlooredEarlyStopping": "imbalance_torch.lightning.checkpoints",
    "LastCheckpoint": "imbalance_torch.lightning.checkpoints",
    "Loss": "imbalance_torch.lightning.strategies",
    "MetricsLog": "imbalance_torch.lightning.run_log",
    "Preprocessing": "imbalance_torch.lightning.preprocessing",
    "Resampler": "imbalance_torch.lightning.strategies",
    "ResumableLoader": "imbalance_torch.lightning.resume",
    "RowsDataset": "imbalance_torch.lightning.samplers",
    "Scorer": "imbalance_torch.lightning.scoring",
    "ShuffledBatchSampler": "imbalance_torch.lightning.samplers",
    "SplitPlan": "imbalance_torch.lightning.split_kinds",
    "TabularClassifier": "imbalance_torch.lightning.module",
    "Table": "imbalance_torch.lightning.tables",
    "ThresholdSettings": "imbalance_torch.lightning.thresholds",
    "choose_thresholds": "imbalance_torch.lightning.thresholds",
    "classification_metrics": "imbalance_torch.lightning.metrics",
    "effective_prior": "imbalance_torch.lightning.metrics",
    "fit_summary": "imbalance_torch.lightning.run_log",
    "load_table": "imbalance_torch.lightning.tables",
    "make_fraud_like": "imbalance_torch.lightning.builtin",
    "max_f1_threshold": "imbalance_torch.lightning.metrics",
    "predict_file": "imbalance_torch.lightning.scoring",
    "table_from_arrays": "imbalance_torch.lightning.tables",
    "table_from_frame": "imbalance_torch.lightning.tables",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:  # a submodule, as before
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module 'imbalance_torch.lightning' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

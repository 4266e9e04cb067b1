"""imbalance-torch: class imbalance as a first-class part of PyTorch data loading.

Fit once, then fresh synthetic minority rows every epoch (:class:`SMOTEDataset`), each epoch's
class mix (:class:`BalancedSampler`), imbalance losses (:mod:`imbalance_torch.losses`) and
Lightning comparison recipes (:mod:`imbalance_torch.lightning`).
"""

from __future__ import annotations

from imbalance_torch._lazy import lazy_exports

# NOTE [lazy imports] (imbalance_torch/_lazy.py): names load on first use; _EXPORTS is the
# one list of public names and __all__ derives from it.
_EXPORTS = {
    "BalancedSampler": "imbalance_torch.data",
    "SMOTEDataset": "imbalance_torch.data",
    **dict.fromkeys(
        ["ADASYN", "SMOTE", "SMOTEN", "SMOTENC", "SVMSMOTE", "BorderlineSMOTE", "KMeansSMOTE",
         "Oversampler", "RandomOverSampler", "filter_report"],
        "imbalance_torch.oversample",
    ),
    "MAMix": "imbalance_torch.mixing",
    "Remix": "imbalance_torch.mixing",
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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

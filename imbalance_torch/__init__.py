"""imbalance-torch: class imbalance as a first-class part of PyTorch data loading.

Fit once, then fresh synthetic minority rows every epoch (:class:`SMOTEDataset`), each epoch's
class mix (:class:`BalancedSampler`), imbalance losses (:mod:`imbalance_torch.losses`) and
Lightning comparison recipes (:mod:`imbalance_torch.lightning`).
"""

from imbalance_torch.data import BalancedSampler, SMOTEDataset
from imbalance_torch.oversample import (
    ADASYN,
    SMOTE,
    SMOTEN,
    SMOTENC,
    SVMSMOTE,
    BorderlineSMOTE,
    KMeansSMOTE,
    Oversampler,
    RandomOverSampler,
    filter_report,
)
from imbalance_torch.targets import oversampling_targets, undersampling_targets
from imbalance_torch.undersample import (
    AllKNN,
    Cleaner,
    EditedNearestNeighbours,
    NearMiss,
    NeighbourhoodCleaningRule,
    OneSidedSelection,
    RepeatedEditedNearestNeighbours,
    TomekLinks,
)

__version__ = "0.1.0"

__all__ = [
    "ADASYN",
    "SMOTE",
    "SMOTEN",
    "SMOTENC",
    "SVMSMOTE",
    "AllKNN",
    "BalancedSampler",
    "BorderlineSMOTE",
    "Cleaner",
    "EditedNearestNeighbours",
    "KMeansSMOTE",
    "NearMiss",
    "NeighbourhoodCleaningRule",
    "OneSidedSelection",
    "Oversampler",
    "RandomOverSampler",
    "RepeatedEditedNearestNeighbours",
    "SMOTEDataset",
    "TomekLinks",
    "__version__",
    "filter_report",
    "oversampling_targets",
    "undersampling_targets",
]

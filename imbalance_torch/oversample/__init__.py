"""Over-sampling strategies, fitted once and then drawn from per ``(seed, epoch, class, slot)``."""

from imbalance_torch.oversample._adasyn import ADASYN
from imbalance_torch.oversample._base import ClassPool, Oversampler, SyntheticDraw, interpolate
from imbalance_torch.oversample._borderline import BorderlineSMOTE
from imbalance_torch.oversample._filters import SyntheticFilter, filter_agreement, filter_report
from imbalance_torch.oversample._kmeans_smote import KMeansSMOTE
from imbalance_torch.oversample._random_over import RandomOverSampler
from imbalance_torch.oversample._smote import SMOTE
from imbalance_torch.oversample._smoten import SMOTEN
from imbalance_torch.oversample._smotenc import SMOTENC
from imbalance_torch.oversample._svm_smote import SVMSMOTE

__all__ = [
    "ADASYN",
    "SMOTE",
    "SMOTEN",
    "SMOTENC",
    "SVMSMOTE",
    "BorderlineSMOTE",
    "ClassPool",
    "KMeansSMOTE",
    "Oversampler",
    "RandomOverSampler",
    "SyntheticDraw",
    "SyntheticFilter",
    "filter_agreement",
    "filter_report",
    "interpolate",
]

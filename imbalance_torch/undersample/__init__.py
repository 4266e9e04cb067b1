"""Cleaning and under-sampling as fit-time selections of real rows (NOTE [cleaning is a
selection]): each method's ``fit(X, y)`` sets ``sample_indices_``, the rows to keep, and
:class:`~imbalance_torch.BalancedSampler` (``cleaning=``) serves only those rows."""

from imbalance_torch.undersample._base import Cleaner
from imbalance_torch.undersample._edited import (
    AllKNN,
    EditedNearestNeighbours,
    RepeatedEditedNearestNeighbours,
)
from imbalance_torch.undersample._ncr import NeighbourhoodCleaningRule
from imbalance_torch.undersample._nearmiss import NearMiss
from imbalance_torch.undersample._one_sided import OneSidedSelection
from imbalance_torch.undersample._tomek import TomekLinks

__all__ = [
    "AllKNN",
    "Cleaner",
    "EditedNearestNeighbours",
    "NearMiss",
    "NeighbourhoodCleaningRule",
    "OneSidedSelection",
    "RepeatedEditedNearestNeighbours",
    "TomekLinks",
]

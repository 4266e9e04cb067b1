"""torch.utils.data integration: ``SMOTEDataset`` and ``BalancedSampler``, and feature sources
larger than memory (``MemmapSource``, ``ParquetSource``)."""

from imbalance_torch.data._batch_fields import batch_fields
from imbalance_torch.data._dataset import SMOTEDataset
from imbalance_torch.data._sampler import BalancedSampler
from imbalance_torch.data._sources import FeatureSource, MemmapSource, ParquetSource, to_npy

__all__ = [
    "BalancedSampler",
    "FeatureSource",
    "MemmapSource",
    "ParquetSource",
    "SMOTEDataset",
    "batch_fields",
    "to_npy",
]

"""torch.utils.data integration: ``SMOTEDataset`` and ``BalancedSampler``."""

from imbalance_torch.data._dataset import SMOTEDataset
from imbalance_torch.data._sampler import BalancedSampler

__all__ = ["BalancedSampler", "SMOTEDataset"]

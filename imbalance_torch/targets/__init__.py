"""Per-class target counts from a ``sampling_strategy`` (imbalanced-learn semantics)."""

from imbalance_torch.targets._strategy import (
    SamplingStrategy,
    class_counts,
    exact_ratio,
    oversampling_targets,
    undersampling_targets,
)

__all__ = [
    "SamplingStrategy",
    "class_counts",
    "exact_ratio",
    "oversampling_targets",
    "undersampling_targets",
]

"""Small searches on the hot path."""

from __future__ import annotations

import torch

__all__ = ["block_of"]


def block_of(values: torch.Tensor, ends: torch.Tensor) -> torch.Tensor:
    """For each value, the first block whose (exclusive) cumulative end exceeds it, i.e.
    ``searchsorted(ends, values, right=True)``.

    With few blocks (classes) a broadcast comparison is much cheaper than
    ``torch.searchsorted``, which costs about half a millisecond per call on CPU whatever
    the size (measured here on 512 values and 2 blocks).
    """
    if len(ends) <= 64:
        return (values.unsqueeze(1) >= ends.unsqueeze(0)).sum(1)
    return torch.searchsorted(ends, values, right=True)

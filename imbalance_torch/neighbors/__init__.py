"""Exact k-nearest-neighbour search (CPU and CUDA) and the safe index file format."""

from imbalance_torch.neighbors._index_file import (
    FORMAT_VERSION,
    ArraySpec,
    IndexFileError,
    data_fingerprint,
    read_index,
    write_index,
)
from imbalance_torch.neighbors._knn import ExtraDistance, kneighbors

__all__ = [
    "FORMAT_VERSION",
    "ArraySpec",
    "ExtraDistance",
    "IndexFileError",
    "data_fingerprint",
    "kneighbors",
    "read_index",
    "write_index",
]

"""k-nearest-neighbour search (exact in torch on CPU and CUDA; scikit-learn-like objects and
FAISS as backends), its split across ranks, and the safe index file format."""

from imbalance_torch.neighbors._backends import (
    ExactNeighbors,
    FaissNeighbors,
    NeighborSearch,
    SklearnLikeNeighbors,
    SklearnNeighbors,
    resolve_neighbors,
)
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
    "ExactNeighbors",
    "ExtraDistance",
    "FaissNeighbors",
    "IndexFileError",
    "NeighborSearch",
    "SklearnLikeNeighbors",
    "SklearnNeighbors",
    "data_fingerprint",
    "kneighbors",
    "read_index",
    "resolve_neighbors",
    "write_index",
]

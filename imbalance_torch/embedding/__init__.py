"""SMOTE in a model's own representation space, refreshed as the encoder trains.

:class:`EmbeddingSMOTE` is the plain-PyTorch engine: :meth:`~EmbeddingSMOTE.refresh` embeds
the training rows with the current encoder and rebuilds the neighbour index, and
:meth:`~EmbeddingSMOTE.batch` draws each batch's synthetic embeddings as a pure function of
``(seed, epoch, slot)``. The Lightning callback over it is
:class:`imbalance_torch.lightning.EmbeddingSMOTECallback`.
"""

from ._smote import EmbeddingSMOTE, SyntheticEmbeddings, embed

__all__ = ["EmbeddingSMOTE", "SyntheticEmbeddings", "embed"]

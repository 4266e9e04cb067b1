"""Count-aware mixup batch transforms for imbalanced classes: Remix and MAMix.

Each transform is built from the training class counts and mixes a batch with partners and a
lambda drawn as pure functions of ``(seed, epoch, batch)``; it returns the mixed features and
class-probability targets that every multi-class loss of :mod:`imbalance_torch.losses` takes::

    remix = Remix(class_counts=torch.bincount(train_labels), seed=0)
    for epoch in range(epochs):
        for batch, (x, y) in enumerate(loader):
            features, target = remix(x, y, epoch=epoch, batch=batch)
            loss = focal_loss(model(features), target, task="multiclass")
"""

from ._mamix import MAMix
from ._pairing import MixedBatch
from ._remix import Remix

__all__ = ["MAMix", "MixedBatch", "Remix"]

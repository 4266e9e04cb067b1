"""Dataset indices that carry their epoch.

NOTE [epoch-carrying indices]: a synthetic row is a pure function of ``(seed, epoch, class,
slot)``. Worker processes hold copies of the dataset whose ``epoch`` attribute goes stale
(persistent workers never see ``set_epoch``), so the sampler, which runs in the main process
and receives ``set_epoch`` from Lightning, writes the epoch into the indices it yields:

* ``0 <= i < num_real``: real row ``i`` (no epoch needed);
* ``num_real <= i < len(dataset)``: synthetic slot of the dataset's own ``epoch``, in class
  blocks (ascending label), so a plain ``DataLoader(dataset, shuffle=True)`` works;
* ``i >= 2**62``: an encoded synthetic row, ``2**62 + (epoch << 44 | class << 30 | slot)``:
  18 bits of epoch (262,144 epochs), 14 bits of class position (16,384 classes) and 30 bits
  of slot (about 10^9 synthetic rows per class per epoch).
"""

from __future__ import annotations

import torch

__all__ = ["ENCODED_BASE", "MAX_CLASSES", "MAX_EPOCH", "MAX_SLOT", "decode", "encode"]

ENCODED_BASE = 1 << 62
_EPOCH_SHIFT = 44
_CLASS_SHIFT = 30
MAX_EPOCH = (1 << 18) - 1
MAX_CLASSES = 1 << 14
MAX_SLOT = (1 << 30) - 1


def encode(epoch: int, class_position: torch.Tensor, slot: torch.Tensor) -> torch.Tensor:
    """Encoded indices for synthetic ``slot``s of classes at ``class_position`` in ``epoch``."""
    if not 0 <= epoch <= MAX_EPOCH:
        raise ValueError(f"epoch={epoch} is outside [0, {MAX_EPOCH}], the range synthetic indices can encode.")
    if slot.numel() and int(slot.max()) > MAX_SLOT:
        raise ValueError(f"a class asks for {int(slot.max()) + 1} synthetic rows in one epoch; at most {MAX_SLOT + 1} are supported.")
    return ENCODED_BASE + ((epoch << _EPOCH_SHIFT) | (class_position << _CLASS_SHIFT) | slot)


def decode(index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(epoch, class_position, slot)`` of encoded indices."""
    code = index - ENCODED_BASE
    return code >> _EPOCH_SHIFT, (code >> _CLASS_SHIFT) & (MAX_CLASSES - 1), code & MAX_SLOT

"""Counter-based randomness: every draw is a pure function of ``(seed, epoch, class, slot)``.

NOTE [counter-based draws]: the samplers and datasets hold no generator state. A synthetic
row's base row, neighbour and gap come from a 64-bit hash (SplitMix64's finaliser) of its
coordinates, so the same epoch gives the same rows with any number of DataLoader workers,
persistent or not, any batch size, any DDP world size and after a restart, on CPU and CUDA
alike. Seeds are absorbed one value at a time (never ``seed + epoch``, which collides for
(0, 1) and (1, 0)). Tensor arithmetic is int64 with wrap-around; logical right shifts are
emulated with a mask because torch's ``>>`` on int64 is arithmetic.
"""

from __future__ import annotations

import torch

__all__ = [
    "STREAM_BASE",
    "STREAM_DUPLICATE",
    "STREAM_FILTER_ATTEMPT",
    "STREAM_GAP",
    "STREAM_NOISE_ANGLE",
    "STREAM_NOISE_RADIUS",
    "STREAM_SEED_ROWS",
    "STREAM_VOTE",
    "STREAM_WEIGHTED_BASE",
    "absorb",
    "key_table",
    "mix64",
    "mix64_tensor",
    "uniform_float",
    "uniform_int",
    "words",
]

# The random streams, declared once. A draw reads ``words(key, counter, stream)`` with its own
# stream, so no two draws of one row share a word. 9 is the next free number.
#: Pool entry of the base row (high 32 bits) and neighbour slot (low 32 bits).
STREAM_BASE = 0
#: Interpolation gap.
STREAM_GAP = 1
#: RandomOverSampler's shrinkage noise: the radius and angle words of Box-Muller.
STREAM_NOISE_RADIUS = 3
STREAM_NOISE_ANGLE = 4
#: The pick among tied codes in the categorical vote.
STREAM_VOTE = 5
#: OneSidedSelection: the order in which rows of a class become seed rows.
STREAM_SEED_ROWS = 2
#: BalancedSampler: which row of its class a duplicate copies.
STREAM_DUPLICATE = 7
#: Per-epoch filtering: re-keys the class table for a rejected row's next attempt
#: (NOTE [per-epoch filtering] in oversample/_filters.py).
STREAM_FILTER_ATTEMPT = 8
#: Pool entry of the base row where entries carry real-valued weights (KMeans-SMOTE's cluster
#: weights, SVM-SMOTE's danger/safe halves): a uniform float looked up in the pool's CDF.
STREAM_WEIGHTED_BASE = 6

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def _signed(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def mix64(value: int) -> int:
    """SplitMix64's finaliser on a Python int (returned as an unsigned 64-bit int)."""
    z = value & _MASK64
    z = ((z ^ (z >> 30)) * _M1) & _MASK64
    z = ((z ^ (z >> 27)) * _M2) & _MASK64
    return z ^ (z >> 31)


def absorb(*values: int) -> int:
    """Hash a sequence of non-negative ints into one 64-bit key, order-sensitive."""
    key = 0x243F6A8885A308D3
    for value in values:
        key = mix64(key + _GOLDEN + (value & _MASK64))
    return key


def _lsr(z: torch.Tensor, shift: int) -> torch.Tensor:
    return (z >> shift) & ((1 << (64 - shift)) - 1)


def mix64_tensor(z: torch.Tensor) -> torch.Tensor:
    """SplitMix64's finaliser on an int64 tensor (bit pattern equal to :func:`mix64`)."""
    z = (z ^ _lsr(z, 30)) * _signed(_M1)
    z = (z ^ _lsr(z, 27)) * _signed(_M2)
    return z ^ _lsr(z, 31)


def key_table(
    labels: list[int], prefix: tuple[int, ...], suffix: tuple[int, ...] = (), device: torch.device | str = "cpu"
) -> torch.Tensor:
    """One int64 key per label: ``absorb(*prefix, label, *suffix)``, e.g. ``(seed, epoch)``."""
    return torch.tensor([_signed(absorb(*prefix, label, *suffix)) for label in labels], dtype=torch.int64, device=device)


def words(keys: torch.Tensor, counters: torch.Tensor, stream: int) -> torch.Tensor:
    """One 64-bit random word per element: ``mix64(key_stream + counter * golden)``.

    Args:
        keys: int64 per-element keys (already hashed from seed, epoch, class).
        counters: int64 per-element counters (the slot number).
        stream: which independent stream (one of the ``STREAM_*`` names above).
    """
    stream_key = _signed(mix64(_GOLDEN * (stream + 1)))
    return mix64_tensor((keys ^ stream_key) + counters * _signed(_GOLDEN))


def uniform_int(word: torch.Tensor, high: torch.Tensor | int, *, low_half: bool = False) -> torch.Tensor:
    """Map 32 bits of ``word`` to an int in ``[0, high)`` (Lemire's multiply-shift).

    ``high`` must be below 2**31. ``low_half`` takes the low 32 bits instead of the high ones,
    so one word can feed two independent draws.
    """
    bits = word & 0xFFFFFFFF if low_half else _lsr(word, 32)
    return (bits * high) >> 32


def uniform_float(word: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """A float in ``[0, 1)`` from the top bits of ``word``: 53 bits for float64, 24 otherwise."""
    if dtype == torch.float64:
        return _lsr(word, 11).to(torch.float64) * (2.0**-53)
    return _lsr(word, 40).to(torch.float32) * (2.0**-24)


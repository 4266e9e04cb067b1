"""Built-in datasets: deterministic generators that need no download."""

from __future__ import annotations

import numpy as np

from imbalance_torch._memory import check_fits_in_memory

__all__ = ["BUILTIN_DATASETS", "FRAUD_LIKE_COLUMNS", "make_builtin", "make_fraud_like"]

FRAUD_LIKE_COLUMNS = ("Time", *[f"V{i}" for i in range(1, 29)], "Amount")
"""Column layout of the public credit-card fraud CSV (the target column is ``Class``)."""

BUILTIN_DATASETS = {"fraud_like": 200_000}
"""Built-in dataset names and their default number of rows."""

# A fixed tag mixed into the seed so this generator's stream differs from any other use of
# the same integer seed (see style.md: mix, never add).
_STREAM_TAG = 0x5EED_F4A0D

_COMPONENTS = 28
_PEAK_BYTES_PER_ROW = 8 * (2 * _COMPONENTS + len(FRAUD_LIKE_COLUMNS) + 3)
"""float64 bytes alive at once per row: the components and their scaled copy, the output
features, and time, amount and labels. The data module needs more on top (float32 copies)."""


def make_fraud_like(
    rows: int = 200_000, *, positive_fraction: float = 0.002, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Generate card-fraud-shaped data: 30 numeric features, about 0.2 % positives.

    The layout mirrors the public credit-card fraud CSV (``Time``, ``V1``..``V28``,
    ``Amount``). The majority class is a Gaussian whose per-component spread decays like PCA
    components. Positives are hard on purpose:

    * 75 % come from three clusters, each shifted by 0.8 to 1.6 standard deviations in 4 of
      the first 16 components and identical to the majority in the other 24 features, so every
      cluster overlaps the majority region;
    * 25 % are drawn from the majority distribution itself (fraud that looks normal);
    * 4 % of clustered positives are labelled 0 (missed fraud), i.e. label noise.

    The same ``(rows, positive_fraction, seed)`` always gives the same array.

    Args:
        rows: number of rows.
        positive_fraction: share of rows labelled 1, in (0, 0.5).
        seed: seed of the generator.

    Returns:
        ``(features, labels, column_names)``: float64 ``(rows, 30)``, int64 ``(rows,)``, names.

    Raises:
        ValueError: ``rows`` too small to hold a positive, more rows than memory could hold
            (checked before anything is allocated), or a bad ``positive_fraction``.

    Example:
        >>> x, y, names = make_fraud_like(10_000, seed=1)
        >>> x.shape, int(y.sum()), names[0], names[-1]
        ((10000, 30), 19, 'Time', 'Amount')
    """
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 2:
        raise ValueError(f"rows must be an int >= 2, got {rows!r}.")
    if not 0.0 < positive_fraction < 0.5:
        raise ValueError(f"positive_fraction must be in (0, 0.5), got {positive_fraction!r}.")
    check_fits_in_memory(
        rows * _PEAK_BYTES_PER_ROW,
        what=f"rows={rows:,} of the fraud-like generator ({_PEAK_BYTES_PER_ROW} bytes per row)",
        fix=f"lower rows (the default is {BUILTIN_DATASETS['fraud_like']:,})",
    )
    num_positive = max(1, round(rows * positive_fraction))
    rng = np.random.default_rng(np.random.SeedSequence([_STREAM_TAG, seed]))
    spread = 2.0 * 0.93 ** np.arange(_COMPONENTS)
    v = rng.standard_normal((rows, _COMPONENTS)) * spread
    time = np.sort(rng.uniform(0.0, 172_800.0, rows))
    amount = np.round(rng.lognormal(mean=3.0, sigma=1.4, size=rows), 2)
    labels = np.zeros(rows, dtype=np.int64)

    positive_rows = rng.choice(rows, size=num_positive, replace=False)
    labels[positive_rows] = 1
    kind = rng.random(num_positive)
    clustered = positive_rows[kind < 0.8]
    cluster_of = rng.integers(0, 3, clustered.size)
    for cluster in range(3):
        members = clustered[cluster_of == cluster]
        dims = rng.choice(16, size=6, replace=False)
        shift = rng.uniform(1.2, 2.4, size=6) * rng.choice([-1.0, 1.0], size=6) * spread[dims]
        scale = 2.2 if cluster == 2 else 0.8  # one cluster is wide: its edge is non-linear
        v[np.ix_(members, dims)] = v[np.ix_(members, dims)] * scale + shift
        amount[members] = np.round(amount[members] * rng.uniform(0.5, 3.0), 2)
    # Label noise: some clustered (detectable) positives are recorded as legitimate.
    missed = clustered[rng.random(clustered.size) < 0.04]
    labels[missed] = 0
    features = np.concatenate([time[:, None], v, amount[:, None]], axis=1)
    return features, labels, FRAUD_LIKE_COLUMNS


def make_builtin(
    name: str, *, rows: int | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Generate the built-in dataset ``name`` (see :data:`BUILTIN_DATASETS`)."""
    if name not in BUILTIN_DATASETS:
        raise ValueError(
            f"unknown built-in dataset {name!r}; known: {', '.join(sorted(BUILTIN_DATASETS))}."
        )
    return make_fraud_like(BUILTIN_DATASETS[name] if rows is None else rows, seed=seed)

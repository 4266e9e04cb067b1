"""KMeans-SMOTE counts a cluster's class rows as imbalanced-learn does, ``share * cluster size``
in floating point (NOTE [cluster row count]): a cluster with 3 class rows of 47 is skipped by
both, since 3/47*47 = 2.9999999999999996 < k_neighbors + 1 = 3. Oracle: imbalanced-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from imblearn.over_sampling import KMeansSMOTE as ImbKMeansSMOTE
from sklearn.cluster import KMeans

from imbalance_torch.oversample import KMeansSMOTE
from imbalance_torch.targets import oversampling_targets


def blobs(parts: list[tuple[int, int]], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One far-apart blob per ``(majority rows, minority rows)``."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for position, (majority, minority) in enumerate(parts):
        X.append(rng.normal(size=(majority + minority, 2)) + 100.0 * position)
        y += [0] * majority + [1] * minority
    return np.vstack(X), np.array(y)


def kept_by_imblearn(X: np.ndarray, y: np.ndarray, kmeans: KMeans) -> list[int]:
    """The clusters imbalanced-learn samples from (its ``_make_samples`` calls)."""
    imb = ImbKMeansSMOTE(k_neighbors=2, kmeans_estimator=kmeans, cluster_balance_threshold=0.05,
                         random_state=0)
    sizes = []
    original = imb._make_samples

    def spy(X_class, *args, **kwargs):
        sizes.append(len(X_class))
        return original(X_class, *args, **kwargs)

    imb._make_samples = spy
    imb.fit_resample(X, y)
    labels = imb.kmeans_estimator_.labels_
    by_size = {int(((labels == c) & (y == 1)).sum()): c for c in np.unique(labels)}
    return sorted(by_size[n] for n in sizes)


def ours(X: np.ndarray, y: np.ndarray, kmeans: KMeans) -> KMeansSMOTE:
    sampler = KMeansSMOTE(k_neighbors=2, kmeans_estimator=kmeans, cluster_balance_threshold=0.05)
    return sampler.fit(torch.tensor(X), torch.tensor(y), oversampling_targets(y, "auto"))


@pytest.mark.parametrize(("parts", "kept_sizes"), [
    ([(44, 3), (36, 12), (60, 0)], [12]),  # 3 of 47: skipped by both
    ([(45, 3), (36, 12), (60, 0)], [3, 12]),  # 3 of 48: kept by both
    ([(45, 4), (36, 12), (60, 0)], [4, 12]),  # 4 of 49: 4/49*49 < 4 but >= 3: kept by both
])
def test_the_kept_clusters_are_imbalanced_learns(parts, kept_sizes):
    X, y = blobs(parts)
    make = lambda: KMeans(n_clusters=3, n_init=1, random_state=0)  # noqa: E731
    expected = kept_by_imblearn(X, y, make())
    fitted = ours(X, y, make())
    assert sorted(fitted.cluster_weights_[1]) == expected
    labels = fitted.cluster_labels_.numpy()
    sizes = sorted(int(((labels == c) & (y == 1)).sum()) for c in fitted.cluster_weights_[1])
    assert sizes == kept_sizes


def test_no_cluster_left_by_the_rounding_is_refused_like_imbalanced_learn():
    X, y = blobs([(44, 3), (60, 0)])
    make = lambda: KMeans(n_clusters=2, n_init=1, random_state=0)  # noqa: E731
    imb = ImbKMeansSMOTE(k_neighbors=2, kmeans_estimator=make(), cluster_balance_threshold=0.05)
    with pytest.raises(RuntimeError, match="No clusters found with sufficient samples of class 1"):
        imb.fit_resample(X, y)
    with pytest.raises(ValueError, match=r"none of the 2 clusters holds k_neighbors \+ 1 = 3 rows of class 1 \(counted as imbalanced-learn counts them, share x cluster size in floating point: 3 rows of a cluster of 47 count as 2\.9999999999999996\)"):
        ours(X, y, make())

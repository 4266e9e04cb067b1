"""The resampler entries of the strategy table (:data:`RESAMPLERS`), in display order.

A new oversampler is one entry here (its class exported by :mod:`imbalance_torch`): the
comparison then runs it as an arm of its own name, ``compare --list`` and the README's table
show its description, and ``data.resampling_options`` sets any argument of its constructor.
"""

from __future__ import annotations

from typing import Any

from imbalance_torch.lightning.strategies.parts import Resampler, sampling_strategy

__all__ = ["RESAMPLERS"]


def _kind(kind: str):
    return lambda ratio: {"kind": kind}


# NOTE [cleaning strategies]: a cleaner's own arguments are fixed per strategy name (so a
# resumed fit that keeps the name keeps them). The real train rows are cleaned in the classes
# other than the minority (imbalanced-learn's "auto"), also in the SMOTE combinations:
# imbalanced-learn's SMOTETomek / SMOTEENN clean every class, but after balancing, when a real
# minority row's neighbours are mostly synthetic rows, so they keep nearly all real minority
# rows; cleaning "all" classes before any synthetic row exists dropped every real minority row
# of the train split of fraud_like at 20,000 rows (23 of 23 with ENN, kind_sel "mode"). The
# combinations then filter each epoch's synthetic rows with the same rule against the real
# rows (NOTE [per-epoch filtering] in oversample/_filters.py); SMOTE-ENN's filter uses
# kind_sel="mode", since with "all" a synthetic row must agree with every one of its real
# neighbours, and the fit is refused on 20,000 fraud-like rows for accepting fewer than 10 %
# of the draws (README: SMOTE-Tomek, SMOTE-ENN and safe=).
def _tomek_links(ratio: float) -> Any:
    from imbalance_torch import TomekLinks

    return TomekLinks(sampling_strategy="auto")


def _edited(kind_sel: str):
    def build(ratio: float) -> Any:
        from imbalance_torch import EditedNearestNeighbours

        return EditedNearestNeighbours(sampling_strategy="auto", kind_sel=kind_sel)

    return build


def _near_miss(ratio: float) -> Any:
    from imbalance_torch import NearMiss

    return NearMiss(sampling_strategy=sampling_strategy(ratio), version=1)


def _filter(cleaner):
    return lambda ratio: {"filter": cleaner(ratio)}


_NEIGHBORS = {"k_neighbors": 5}
_BORDERLINE = {"k_neighbors": 5, "m_neighbors": 10}

RESAMPLERS: dict[str, Resampler] = {
    r.name: r
    for r in (
        Resampler("none", "natural", "No strategy: plain cross-entropy on the natural class ratio. The baseline."),
        Resampler(
            "random_over", "oversample",
            "Random over-sampling: minority rows duplicated (drawn afresh each epoch) up to ratio.",
        ),
        Resampler(
            "random_under", "undersample",
            "Random under-sampling: a fresh random subset of the majority each epoch, down to ratio.",
        ),
        Resampler(
            "smote", "oversample",
            "SMOTE (Chawla et al. 2002): fresh synthetic minority rows every epoch, up to ratio.",
            "SMOTE", _NEIGHBORS,
        ),
        Resampler(
            "borderline1", "oversample",
            "Borderline-SMOTE-1 (Han et al. 2005): interpolate only from minority rows in danger, "
            "towards minority rows.",
            "BorderlineSMOTE", _BORDERLINE, _kind("borderline-1"),
        ),
        Resampler(
            "borderline2", "oversample",
            "Borderline-SMOTE-2: like borderline-1, but neighbours may be of any class (steps "
            "towards a majority neighbour are shortened).",
            "BorderlineSMOTE", _BORDERLINE, _kind("borderline-2"),
        ),
        Resampler(
            "adasyn", "oversample",
            "ADASYN (He et al. 2008): more synthetic rows around minority rows with more majority "
            "neighbours.",
            "ADASYN", {"n_neighbors": 5}, neighbors_option="n_neighbors",
        ),
        # SMOTE takes the declared categorical columns with SMOTE-NC's rules (the distance
        # term and the neighbour vote), so on data where smote_nc runs it draws the rows
        # smote draws (tests/lightning/test_default_arms.py): opt-in, by name.
        Resampler(
            "smote_nc", "oversample",
            "SMOTE-NC (Chawla et al. 2002): categories of a synthetic row are the most frequent "
            "among its neighbours; needs categorical columns.",
            "SMOTENC", _NEIGHBORS, needs_categorical=True, in_default=False, same_as="smote",
            same_as_reason="smote applies SMOTE-NC's rules to the declared categorical columns",
        ),
        Resampler(
            "svm_smote", "oversample",
            "SVM-SMOTE (Nguyen, Cooper, Kamei 2011): synthetic rows start at the minority support "
            "vectors of an SVC fitted once; numeric columns only.",
            "SVMSMOTE", _BORDERLINE, columns="numeric", in_default=False,
        ),
        # imbalanced-learn's "auto" threshold is 0.5 on binary data: a kept cluster must be
        # half minority, which no cluster of strongly imbalanced data is (fraud_like: 0.5 % at
        # most), so the fit would fail. Here every cluster with k_neighbors + 1 minority rows
        # is kept and weighted by its sparsity; k_neighbors 2 as in imbalanced-learn.
        Resampler(
            "kmeans_smote", "oversample",
            "KMeans-SMOTE (Douzas, Bacao, Last 2018): SMOTE inside clusters of the train split, "
            "more rows to sparse clusters; numeric columns only.",
            "KMeansSMOTE", {"k_neighbors": 2, "cluster_balance_threshold": 0.0},
            columns="numeric", in_default=False,
        ),
        Resampler(
            "smoten", "oversample",
            "SMOTE-N (Chawla et al. 2002): for data whose every column is categorical; "
            "neighbours by the value difference metric.",
            "SMOTEN", _NEIGHBORS, needs_categorical=True, columns="categorical", in_default=False,
        ),
        Resampler(
            "tomek", "natural",
            "Tomek links (Tomek 1976): majority rows in Tomek links removed once, at fit; the "
            "natural ratio otherwise.",
            cleaner=_tomek_links, in_default=False,
        ),
        Resampler(
            "enn", "natural",
            "Edited nearest neighbours (Wilson 1972): majority rows whose 3 nearest neighbours "
            "are not all of their class removed once, at fit.",
            cleaner=_edited("all"), in_default=False,
        ),
        Resampler(
            "nearmiss", "undersample",
            "NearMiss-1 (Mani & Zhang 2003): keeps the majority rows nearest the minority, down "
            "to ratio, chosen once at fit.",
            cleaner=_near_miss, in_default=False,
        ),
        Resampler(
            "smote_tomek", "oversample",
            "SMOTE-Tomek (Batista et al. 2004): Tomek-link majority rows removed at fit; each "
            "fresh SMOTE row redrawn until it forms no Tomek link.",
            "SMOTE", _NEIGHBORS, _filter(_tomek_links), cleaner=_tomek_links, in_default=False,
        ),
        Resampler(
            "smote_enn", "oversample",
            "SMOTE-ENN (Batista et al. 2004): ENN-cleaned majority at fit; each fresh SMOTE row "
            "redrawn until most of its 3 nearest real rows are of its class.",
            "SMOTE", _NEIGHBORS, _filter(_edited("mode")), cleaner=_edited("all"), in_default=False,
        ),
    )
}
"""``resampling`` name -> :class:`Resampler`, in display order."""

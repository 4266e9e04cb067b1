"""How often equal arms read "worse than the best arm" (NOTE [multiple comparisons] in
``imbalance_torch/lightning/compare/statistics.py``).

Every arm's per-seed score is drawn from one normal distribution, so every difference is
noise. The best arm is the one with the highest mean, chosen after the draw, as a comparison
report does. Counted: the share of repetitions in which at least one arm is read worse than
the best at the 5 % level (paired t-test over seeds) with raw p-values, with Holm's
adjustment over the best arm's own k - 1 comparisons, and with Holm over all k (k - 1) / 2
pairs (what the report uses). A correct procedure keeps the share at or below 5 %.

    python benchmarks/holm_best_arm.py            # 4,000 repetitions, 4 and 12 arms, 3 and 5 seeds
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
from scipy import stats

from imbalance_torch.lightning.compare.statistics import holm


def paired_p(scores: np.ndarray, a: int, b: int) -> float:
    return float(stats.ttest_rel(scores[a], scores[b]).pvalue)


def shares(arms: int, seeds: int, repetitions: int, seed: int = 0) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    pairs = list(itertools.combinations(range(arms), 2))
    raw = own = every = 0
    for _ in range(repetitions):
        scores = rng.standard_normal((arms, seeds))
        best = int(np.argmax(scores.mean(axis=1)))
        p_all = [paired_p(scores, a, b) for a, b in pairs]
        with_best = [i for i, pair in enumerate(pairs) if best in pair]
        p_best = [p_all[i] for i in with_best]
        raw += min(p_best) < 0.05
        own += min(holm(p_best)) < 0.05
        adjusted = holm(p_all)
        every += min(adjusted[i] for i in with_best) < 0.05
    return raw / repetitions, own / repetitions, every / repetitions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=4000)
    options = parser.parse_args()
    print("arms  seeds  raw p  Holm over the best's k-1  Holm over all pairs")
    for arms, seeds in ((4, 3), (12, 3), (4, 5), (12, 5)):
        raw, own, every = shares(arms, seeds, options.repetitions)
        print(f"{arms:>4}  {seeds:>5}  {raw:>5.1%}  {own:>24.1%}  {every:>19.1%}")


if __name__ == "__main__":
    main()

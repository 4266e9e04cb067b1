"""Long-tailed digits: where SMOTE on raw inputs breaks, and what the methods built for deep
models do instead (issue 24).

scikit-learn's bundled ``load_digits`` (1,797 images of 8x8 pixels, ten classes, no download)
is made long-tailed in its training split: an exponential profile over the ten classes with
imbalance factor 50 (``--profile exp``), or nine classes at full size and one at 1:20
(``--profile one``). Validation and test splits are balanced and never resampled. A small
convolutional network is trained by every arm with the same optimizer-step budget, keeping
the step with the best validation balanced accuracy (evaluated every ``--eval-every`` steps,
stopping after ``--patience`` evaluations without a better one), paired over seeds (seed ``s``:
the same splits, the same initial weights for every arm). The table reports test balanced
accuracy, macro-F1 and the mean recall of the three smallest classes, each arm against
``none`` with a paired t-test, Holm-adjusted over the arms (NOTE [multiple comparisons]).

Run (a few minutes on 2 CPU cores)::

    python examples/digits_lt.py                       # every arm, 5 seeds, both profiles
    python examples/digits_lt.py --arms none smote embedding_smote --seeds 3 --profile exp
    python examples/digits_lt.py --figure docs/images/digits_smote.png   # the ghost picture

Arms: ``none``; ``smote`` (SMOTE on the 64 raw pixels, fresh rows every epoch, to 1:1);
``embedding_smote`` (SMOTE on the encoder's 64-d embeddings, index refreshed every epoch:
:class:`imbalance_torch.lightning.EmbeddingSMOTECallback`'s engine); ``logit_adjusted``
(Menon et al. 2021, tau 1); ``remix`` and ``mamix`` (count-aware mixup with soft targets:
:mod:`imbalance_torch.mixing`).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

from imbalance_torch import SMOTE, BalancedSampler, SMOTEDataset  # noqa: E402
from imbalance_torch.embedding import EmbeddingSMOTE, embed  # noqa: E402
from imbalance_torch.losses import LogitAdjustedLoss  # noqa: E402
from imbalance_torch.mixing import MAMix, Remix  # noqa: E402

NUM_CLASSES = 10
METRICS = ("balanced_accuracy", "macro_f1", "tail_recall")


# -- data ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Splits:
    """Images ``(n, 1, 8, 8)`` in [0, 1] and labels per split; ``counts`` of the train split."""

    train_x: Tensor
    train_y: Tensor
    val_x: Tensor
    val_y: Tensor
    test_x: Tensor
    test_y: Tensor

    @property
    def counts(self) -> Tensor:
        return torch.bincount(self.train_y, minlength=NUM_CLASSES)


def profile_counts(available: int, profile: str, imbalance: float) -> list[int]:
    """Training rows per class: ``exp`` gives class c ``available * imbalance**(-c/9)``
    (class 0 the head, class 9 the tail); ``one`` keeps nine classes whole and class 8 at
    ``1/imbalance`` of them."""
    if profile == "exp":
        return [max(3, int(available * imbalance ** (-c / (NUM_CLASSES - 1)))) for c in range(NUM_CLASSES)]
    return [max(3, int(available / imbalance)) if c == 8 else available for c in range(NUM_CLASSES)]


def make_splits(seed: int, profile: str, imbalance: float, val_per_class: int = 15, test_per_class: int = 30) -> Splits:
    """Balanced validation and test rows per class, then a long-tailed train split from the
    rest (a pure function of ``seed``)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target, dtype=torch.int64)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    pools = [rng.permutation(np.flatnonzero(digits.target == c)) for c in range(NUM_CLASSES)]
    available = min(len(p) for p in pools) - val_per_class - test_per_class
    wanted = profile_counts(available, profile, imbalance)
    for c, pool in enumerate(pools):
        parts["test"].append(pool[:test_per_class])
        parts["val"].append(pool[test_per_class : test_per_class + val_per_class])
        parts["train"].append(pool[test_per_class + val_per_class :][: wanted[c]])
    index = {k: torch.from_numpy(np.concatenate(v)) for k, v in parts.items()}
    return Splits(*(t for k in ("train", "val", "test") for t in (x[index[k]], y[index[k]])))


# -- model --------------------------------------------------------------------------------------
class SmallCNN(nn.Module):
    """Two 3x3 convolutions and a dense layer (the encoder, 64-d), then a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
        )
        self.head = nn.Linear(64, NUM_CLASSES)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(x))


# -- arms ---------------------------------------------------------------------------------------
@dataclass
class Run:
    """What an arm changes in the loop: the epochs' batches, the loss, and an optional step
    on the batch's embeddings (representation-space SMOTE) or on the batch itself (mixing)."""

    batches: Callable[[int], Iterator[tuple[Tensor, Tensor]]]
    loss: Callable[[Tensor, Tensor], Tensor]
    embeddings: Callable[[int, int, int, Tensor, Tensor], tuple[Tensor, Tensor]] | None = None
    refresh: Callable[[int, nn.Module], None] | None = None
    mix: Callable[[int, int, Tensor, Tensor], tuple[Tensor, Tensor]] | None = None


def _shuffled(x: Tensor, y: Tensor, batch_size: int, seed: int) -> Callable[[int], Iterator[tuple[Tensor, Tensor]]]:
    def batches(epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
        for i in range(0, len(y), batch_size):
            yield x[order[i : i + batch_size]], y[order[i : i + batch_size]]

    return batches


def arm_none(splits: Splits, seed: int, batch_size: int) -> Run:
    return Run(_shuffled(splits.train_x, splits.train_y, batch_size, seed), nn.functional.cross_entropy)


def arm_smote(splits: Splits, seed: int, batch_size: int) -> Run:
    """SMOTE on the raw pixels (k_neighbors 2: the tail has 3 rows), every class to the head."""
    flat = splits.train_x.flatten(1)
    dataset = SMOTEDataset(flat, splits.train_y, oversampler=SMOTE(k_neighbors=2), seed=seed)
    sampler = BalancedSampler(dataset, batch_size=batch_size, seed=seed)

    def batches(epoch: int) -> Iterator[tuple[Tensor, Tensor]]:
        sampler.set_epoch(epoch)
        for index in sampler:
            rows, labels = dataset[index]
            yield rows.view(-1, 1, 8, 8), labels

    return Run(batches, nn.functional.cross_entropy)


def arm_embedding_smote(splits: Splits, seed: int, batch_size: int) -> Run:
    """SMOTE on the encoder's embeddings, the index refreshed at every epoch's start."""
    engine = EmbeddingSMOTE(k_neighbors=2, seed=seed)
    base = _shuffled(splits.train_x, splits.train_y, batch_size, seed)
    num_batches = math.ceil(len(splits.train_y) / batch_size)

    def refresh(epoch: int, model: nn.Module) -> None:
        engine.refresh(embed(model.encoder, splits.train_x), splits.train_y, epoch=epoch)

    def embeddings(epoch: int, batch: int, _: int, features: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        part = engine.batch(epoch=epoch, batch=batch, num_batches=num_batches)
        return torch.cat([features, part.embeddings]), torch.cat([target, part.target])

    return Run(base, nn.functional.cross_entropy, embeddings, refresh)


def arm_logit_adjusted(splits: Splits, seed: int, batch_size: int) -> Run:
    counts = splits.counts.double()
    loss = LogitAdjustedLoss(prior=counts / counts.sum(), tau=1.0)
    return Run(_shuffled(splits.train_x, splits.train_y, batch_size, seed), loss)


def _mixing(transform: type) -> Callable[[Splits, int, int], Run]:
    def arm(splits: Splits, seed: int, batch_size: int) -> Run:
        mix = transform(class_counts=splits.counts, seed=seed)

        def mixed(epoch: int, batch: int, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
            features, target = mix(x, y, epoch=epoch, batch=batch)
            return features, target

        return Run(_shuffled(splits.train_x, splits.train_y, batch_size, seed), nn.functional.cross_entropy, mix=mixed)

    arm.__doc__ = f"{transform.__name__} on the raw images: count-aware mixing with probability targets."
    return arm


ARMS: dict[str, Callable[[Splits, int, int], Run]] = {
    "none": arm_none,
    "smote": arm_smote,
    "embedding_smote": arm_embedding_smote,
    "logit_adjusted": arm_logit_adjusted,
    "remix": _mixing(Remix),
    "mamix": _mixing(MAMix),
}
"""Arm name -> its setup, in report order (``none`` first: the reference)."""


# -- training with the comparison's budget rule -------------------------------------------------
def scores(model: nn.Module, x: Tensor, y: Tensor) -> dict[str, float]:
    """Balanced accuracy, macro-F1 and the mean recall of the three smallest train classes
    (classes 7-9 of the exponential profile; class 8 and its two smallest neighbours' ...
    computed on the given labels)."""
    from sklearn.metrics import balanced_accuracy_score, f1_score, recall_score

    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(1).numpy()
    model.train()
    truth = y.numpy()
    recalls = recall_score(truth, predicted, labels=list(range(NUM_CLASSES)), average=None, zero_division=0)
    return {
        "balanced_accuracy": float(balanced_accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "recalls": recalls,
    }


def train(arm: str, splits: Splits, seed: int, options: argparse.Namespace) -> dict[str, float]:
    """One run: ``options.steps`` optimizer steps at most, the best validation step kept."""
    torch.manual_seed(seed)
    model = SmallCNN()
    run = ARMS[arm](splits, seed, options.batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=options.lr)
    best, best_state, since, step, epoch = -1.0, None, 0, 0, 0
    refresh_seconds = 0.0
    while step < options.steps and since < options.patience:
        if run.refresh is not None:
            start = time.perf_counter()
            run.refresh(epoch, model)
            refresh_seconds += time.perf_counter() - start
        for batch, (x, target) in enumerate(run.batches(epoch)):
            if run.mix is not None:
                x, target = run.mix(epoch, batch, x, target)
            features = model.encoder(x)
            if run.embeddings is not None:
                features, target = run.embeddings(epoch, batch, step, features, target)
            loss = run.loss(model.head(features), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step % options.eval_every == 0:
                value = scores(model, splits.val_x, splits.val_y)["balanced_accuracy"]
                if value > best:
                    best, since = value, 0
                    best_state = {k: v.clone() for k, v in model.state_dict().items()}
                else:
                    since += 1
            if step >= options.steps or since >= options.patience:
                break
        epoch += 1
    if best_state is not None:
        model.load_state_dict(best_state)
    test = scores(model, splits.test_x, splits.test_y)
    tail = torch.argsort(splits.counts)[:3].tolist()
    return {
        "balanced_accuracy": test["balanced_accuracy"],
        "macro_f1": test["macro_f1"],
        "tail_recall": float(np.mean(test["recalls"][tail])),
        "steps": step,
        "refresh_s": refresh_seconds,
    }


# -- the table ----------------------------------------------------------------------------------
def table(rows: list[dict], arms: list[str]) -> str:
    """Markdown: mean +- sd per arm and metric, and each arm minus ``none`` (paired by seed,
    Holm-adjusted over the arms)."""
    from imbalance_torch.lightning.compare.statistics import compare_with_reference

    lines = ["| arm | " + " | ".join(METRICS) + " | " + " | ".join(f"{m} minus none: mean [95 % CI], Holm p" for m in METRICS) + " |",
             "|---" * (1 + 2 * len(METRICS)) + "|"]
    tests = {m: compare_with_reference(rows, arms, "none", metric=m) for m in METRICS} if "none" in arms else {}
    for arm in arms:
        values = [[r[m] for r in rows if r["arm"] == arm] for m in METRICS]
        cells = [f"{np.mean(v):.3f} ± {np.std(v, ddof=1) if len(v) > 1 else 0.0:.3f}" for v in values]
        for m in METRICS:
            c = tests.get(m, {}).get(arm)
            cells.append("-" if c is None else f"{c.mean:+.3f} [{c.ci_low:+.3f}, {c.ci_high:+.3f}], p={c.decision_p_value:.3g}")
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ghost_figure(path: Path, seed: int = 0) -> None:
    """Real tail-class digits beside SMOTE's interpolations of them: two strokes ghosted over
    each other, not a new digit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = make_splits(seed, "exp", 50.0)
    flat = splits.train_x.flatten(1)
    dataset = SMOTEDataset(flat, splits.train_y, oversampler=SMOTE(k_neighbors=2), seed=seed)
    tail = int(torch.argmin(splits.counts))
    real = splits.train_x[splits.train_y == tail][:6]
    rows = dataset.synthetic_indices(tail, 6, epoch=0)
    synthetic, _ = dataset[rows]
    figure, axes = plt.subplots(2, 6, figsize=(7.5, 2.8))
    for column in range(6):
        for row, images, title in ((0, real, "real"), (1, synthetic.view(-1, 8, 8), "SMOTE")):
            ax = axes[row, column]
            if column < len(images):
                ax.imshow(images[column].squeeze().numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if column == 0:
                ax.set_ylabel(title)
    figure.suptitle(f"digit {tail}: real training rows (top) and input-space SMOTE rows (bottom)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--profile", choices=("exp", "one", "both"), default="both")
    parser.add_argument("--imbalance", type=float, default=None, help="imbalance factor (default: 50 for exp, 20 for one)")
    parser.add_argument("--steps", type=int, default=1500, help="optimizer-step budget per run (every arm)")
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--patience", type=int, default=8, help="evaluations without a better validation score")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--figure", type=Path, default=None, help="write the real-vs-SMOTE digits picture here and exit")
    options = parser.parse_args(argv)
    if options.seeds < 1 or options.steps < 1:
        parser.error(f"--seeds and --steps must be >= 1, got {options.seeds} and {options.steps}")
    torch.set_num_threads(1)
    if options.figure is not None:
        ghost_figure(options.figure)
        print(f"wrote {options.figure}")
        return 0
    arms = ["none", *[a for a in options.arms if a != "none"]] if "none" in options.arms else list(options.arms)
    for profile in ("exp", "one") if options.profile == "both" else (options.profile,):
        imbalance = options.imbalance or (50.0 if profile == "exp" else 20.0)
        rows, start = [], time.perf_counter()
        for seed in range(options.seeds):
            splits = make_splits(seed, profile, imbalance)
            for arm in arms:
                rows.append({"arm": arm, "seed": seed, **train(arm, splits, seed, options)})
        counts = make_splits(0, profile, imbalance).counts.tolist()
        print(f"\n## profile {profile}, imbalance {imbalance:g} (train rows per class {counts}), "
              f"{options.seeds} seeds, {time.perf_counter() - start:.0f} s\n")
        print(table(rows, arms))
        refresh = [r["refresh_s"] for r in rows if r["refresh_s"] > 0]
        if refresh:
            print(f"\nrepresentation-space SMOTE refreshes: {np.mean(refresh):.2f} s per run in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

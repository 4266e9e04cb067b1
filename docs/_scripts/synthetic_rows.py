"""Draw real rows, SMOTE rows and Borderline-SMOTE rows of a 2-D toy with the library itself
(run by conf.py at every docs build; writes images/generated/synthetic_rows.png)."""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from imbalance_torch import SMOTE, BorderlineSMOTE, SMOTEDataset  # noqa: E402


def toy() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    majority = torch.randn(400, 2, generator=g) * torch.tensor([1.6, 1.0])
    minority = torch.randn(30, 2, generator=g) * 0.45 + torch.tensor([1.6, 1.1])
    return torch.cat([majority, minority]), torch.tensor([0] * 400 + [1] * 30)


def draw(path: Path) -> None:
    X, y = toy()
    figure, axes = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
    for ax, (title, oversampler) in zip(axes, [("SMOTE", SMOTE(k_neighbors=5)), ("Borderline-SMOTE-1", BorderlineSMOTE(k_neighbors=5, m_neighbors=10))]):
        dataset = SMOTEDataset(X, y, oversampler=oversampler, sampling_strategy=0.25, seed=0)
        synthetic, _ = dataset[torch.arange(dataset.num_real, len(dataset))]
        ax.scatter(*X[y == 0].T, s=8, c="#bbbbbb", label="majority (real)")
        ax.scatter(*X[y == 1].T, s=22, c="#d62728", label="minority (real)")
        ax.scatter(*synthetic.T, s=14, marker="x", c="#1f77b4", label=f"{title} rows (epoch 0)")
        ax.set_title(f"{title}: {dataset.num_synthetic} synthetic rows")
        ax.legend(loc="lower left", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    draw(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "images" / "generated" / "synthetic_rows.png")

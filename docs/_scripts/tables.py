"""Tables generated from the code at every docs build (conf.py): the strategy table and the
SMOTE family's capability matrix, written under generated_tables/ and included by the pages."""

from __future__ import annotations

import inspect
from pathlib import Path

import imbalance_torch.oversample as oversample
from imbalance_torch.lightning.strategies import CONFIG_DIR, strategy_table_markdown

CAPABILITIES = {
    "categorical_features": "categorical columns (SMOTE-NC's rules)",
    "safe": "`safe=` (redraw rows that cross into another class)",
    "filter": "`filter=` (a per-epoch cleaning rule)",
    "neighbors": "`neighbors=` (a search backend: exact, scikit-learn, FAISS)",
}


def capability_matrix() -> str:
    """Which constructor arguments each exported over-sampler takes (read from its signature)."""
    header = "| over-sampler | " + " | ".join(CAPABILITIES.values()) + " |"
    lines = [header, "|---" * (len(CAPABILITIES) + 1) + "|"]
    for name in oversample.__all__:
        cls = getattr(oversample, name)
        if not inspect.isclass(cls) or name in ("Oversampler", "ClassPool", "SyntheticDraw", "SyntheticFilter"):
            continue
        if not hasattr(cls, "fit"):
            continue
        parameters = inspect.signature(cls.__init__).parameters
        cells = ["yes" if argument in parameters else "-" for argument in CAPABILITIES]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "strategies.md").write_text(strategy_table_markdown(CONFIG_DIR) + "\n", encoding="utf-8")
    (folder / "capabilities.md").write_text(capability_matrix() + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(Path(__file__).resolve().parents[1] / "generated_tables")

"""Lightning recipes: compare imbalance strategies on untouched validation and test splits.

Needs the ``recipes`` extra for reports and plots (pandas, matplotlib).
"""

from __future__ import annotations

from imbalance_torch._lazy import lazy_exports

# NOTE [lazy imports] (imbalance_torch/_lazy.py): names load on first use; _EXPORTS is the
# one list of public names and __all__ derives from it.
_EXPORTS = {
    "BUILTIN_DATASETS": "imbalance_torch.lightning.tables.builtin",
    "LOSSES": "imbalance_torch.lightning.strategies",
    "METRIC_NAMES": "imbalance_torch.lightning.model.metrics",
    "RESAMPLERS": "imbalance_torch.lightning.strategies",
    "SPLIT_KINDS": "imbalance_torch.lightning.datamodule.split_kinds",
    "AtomicCheckpointIO": "imbalance_torch.lightning.datamodule.resume",
    "BatchSeeder": "imbalance_torch.lightning.datamodule.resume",
    "BestCheckpoint": "imbalance_torch.lightning.model.checkpoints",
    "ImbalanceDataModule": "imbalance_torch.lightning.datamodule.datamodule",
    "EmbeddingSMOTECallback": "imbalance_torch.lightning.model.embedding",
    "FlooredEarlyStopping": "imbalance_torch.lightning.model.checkpoints",
    "LastCheckpoint": "imbalance_torch.lightning.model.checkpoints",
    "Loss": "imbalance_torch.lightning.strategies",
    "MetricsLog": "imbalance_torch.lightning.model.run_log",
    "Preprocessing": "imbalance_torch.lightning.tables.preprocessing",
    "Resampler": "imbalance_torch.lightning.strategies",
    "ResumableLoader": "imbalance_torch.lightning.datamodule.resume",
    "RowsDataset": "imbalance_torch.lightning.datamodule.samplers",
    "Scorer": "imbalance_torch.lightning.scoring",
    "ShuffledBatchSampler": "imbalance_torch.lightning.datamodule.samplers",
    "SplitPlan": "imbalance_torch.lightning.datamodule.split_kinds",
    "TabularClassifier": "imbalance_torch.lightning.model.module",
    "Table": "imbalance_torch.lightning.tables.table",
    "ThresholdSettings": "imbalance_torch.lightning.model.thresholds",
    "add_synthetic_embeddings": "imbalance_torch.lightning.model.embedding",
    "choose_thresholds": "imbalance_torch.lightning.model.thresholds",
    "classification_metrics": "imbalance_torch.lightning.model.metrics",
    "effective_prior": "imbalance_torch.losses",
    "fit_summary": "imbalance_torch.lightning.model.run_log",
    "load_table": "imbalance_torch.lightning.tables.table",
    "make_fraud_like": "imbalance_torch.lightning.tables.builtin",
    "max_f1_threshold": "imbalance_torch.lightning.model.metrics",
    "predict_file": "imbalance_torch.lightning.scoring",
    "table_from_arrays": "imbalance_torch.lightning.tables.table",
    "table_from_frame": "imbalance_torch.lightning.tables.table",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

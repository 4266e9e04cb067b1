"""Lightning recipes: compare imbalance strategies on untouched validation and test splits.

Needs the ``recipes`` extra for reports and plots (pandas, matplotlib).
"""

from imbalance_torch.lightning.builtin import BUILTIN_DATASETS, make_fraud_like
from imbalance_torch.lightning.checkpoints import (
    BestCheckpoint,
    FlooredEarlyStopping,
    LastCheckpoint,
)
from imbalance_torch.lightning.datamodule import ImbalanceDataModule
from imbalance_torch.lightning.metrics import (
    METRIC_NAMES,
    classification_metrics,
    effective_prior,
    max_f1_threshold,
)
from imbalance_torch.lightning.module import TabularClassifier
from imbalance_torch.lightning.preprocessing import Preprocessing
from imbalance_torch.lightning.resume import AtomicCheckpointIO, BatchSeeder, ResumableLoader
from imbalance_torch.lightning.run_log import MetricsLog, fit_summary
from imbalance_torch.lightning.samplers import RowsDataset, ShuffledBatchSampler
from imbalance_torch.lightning.scoring import Scorer, predict_file
from imbalance_torch.lightning.split_kinds import SPLIT_KINDS, SplitPlan
from imbalance_torch.lightning.strategies import LOSSES, RESAMPLERS, Loss, Resampler
from imbalance_torch.lightning.tables import (
    Table,
    load_table,
    table_from_arrays,
    table_from_frame,
)
from imbalance_torch.lightning.thresholds import ThresholdSettings, choose_thresholds

__all__ = [
    "BUILTIN_DATASETS",
    "LOSSES",
    "METRIC_NAMES",
    "RESAMPLERS",
    "SPLIT_KINDS",
    "AtomicCheckpointIO",
    "BatchSeeder",
    "BestCheckpoint",
    "ImbalanceDataModule",
    "FlooredEarlyStopping",
    "LastCheckpoint",
    "Loss",
    "MetricsLog",
    "Preprocessing",
    "Resampler",
    "ResumableLoader",
    "RowsDataset",
    "Scorer",
    "ShuffledBatchSampler",
    "SplitPlan",
    "TabularClassifier",
    "Table",
    "ThresholdSettings",
    "choose_thresholds",
    "classification_metrics",
    "effective_prior",
    "fit_summary",
    "load_table",
    "make_fraud_like",
    "max_f1_threshold",
    "predict_file",
    "table_from_arrays",
    "table_from_frame",
]

"""The ``TabularClassifier`` LightningModule, its metrics, thresholds, checkpoints and run log.
Imports ``tables`` and the strategy table, never ``datamodule``, ``compare`` or ``commands``.
"""

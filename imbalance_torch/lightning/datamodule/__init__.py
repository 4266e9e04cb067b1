"""Splits of every kind, the training data, samplers, resume, and the ``ImbalanceDataModule``.
Imports ``tables`` and the strategy table, never ``model``, ``compare`` or ``commands``.
"""

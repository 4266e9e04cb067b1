"""imbalance-torch."""

"""The strategy comparison: planning arms, budgets, running arms, statistics, summary,
rendering and plots. No argparse and no printing: ``commands`` does both.
"""

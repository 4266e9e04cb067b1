"""The command-line commands (``compare``, ``train``, ``predict``) and the console dispatcher:
the only place that parses arguments and prints.
"""

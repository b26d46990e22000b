"""Benchmarks: ``python -m bench latency|load|nginx|scale|memory|all``.

Each writes ``bench/results/NAME.json`` and ``bench/results/NAME.md`` (the
latest figures, with the machine and the exact command that produced them) and
prints its table. Only loopback addresses are ever used.
"""

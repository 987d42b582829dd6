"""Benchmarks and workloads: run with ``make bench`` or ``python -m benchmarks.<name>``."""

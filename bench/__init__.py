"""Benchmarks: speed goals live here, never in timed tests (run with ``make bench``)."""

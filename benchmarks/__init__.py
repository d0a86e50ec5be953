"""Benchmarks of modellab_async against its ceilings and its alternatives.

Not tests: a runner (`python -m benchmarks`, or `--quick`) that starts a
loopback page server, measures each variant in a fresh interpreter, and
regenerates `benchmarks/results.md`. See `benchmarks/README.md`.
"""

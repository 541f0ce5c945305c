"""Benchmarks run with `cinealert bench ...`; results are reported in docs/BENCHMARKS.md."""

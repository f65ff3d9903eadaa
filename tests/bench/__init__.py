"""Benchmarks (`make bench`): quality and speed figures, printed, never asserted."""

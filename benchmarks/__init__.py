"""Benchmarks: this collection's runbooks against a baseline of peer modules, on the sandbox (`make bench`)."""

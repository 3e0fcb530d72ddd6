"""The benchmark suite behind `scripts/bench` (issue 8). Benchmarks, not tests: nothing here fails a build."""

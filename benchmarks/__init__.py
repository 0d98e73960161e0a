"""padan's benchmarks: accuracy and speed next to the reference tools, in one run.

Run ``uv run --group bench python -m benchmarks [--quick] [--only NAME]``; results go to
``benchmarks/results/latest.json`` and are described in ``docs/performance.md``.
"""

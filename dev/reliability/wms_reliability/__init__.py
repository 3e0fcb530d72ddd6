"""Reliability harness: drive simulator → tap → loader extract-loads and compare the warehouse to the WMS.

Shared by the fast reliability tests in the tap and loader suites and by the long run
(`scripts/reliability`). Importable after adding ``dev/reliability`` to ``sys.path``.
"""

"""Dev-only: run the WMS sync DAGs locally through Airflow (`airflow dags test`) against the simulator.

Used by `scripts/local-run` and by the end-to-end tests, so both exercise the same path.
"""

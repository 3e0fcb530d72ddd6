"""Singer loader keeping every WMS record version exactly once in Oracle, PostgreSQL or DuckDB."""

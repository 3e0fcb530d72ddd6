"""Airflow plugins of this project (none yet; see README.md)."""

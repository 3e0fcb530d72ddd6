"""Shared code of the WMS sync DAGs: one factory, configured twice (see `dag_factory`)."""

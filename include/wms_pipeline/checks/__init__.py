"""SQL validations run by the DAGs after the load and the transformation (see `specs`)."""

"""The "WMS sync health" page: what the warehouse says about each entity, inside the Airflow UI."""

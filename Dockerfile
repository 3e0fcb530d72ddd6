# Astro Runtime 3.3 (Airflow 3.3). The Runtime's ONBUILD steps install packages.txt and
# requirements.txt (Airflow providers + Cosmos) and copy the project to $AIRFLOW_HOME.
FROM astrocrpublic.azurecr.io/runtime:3.3-2

# dbt and Meltano get their own locked virtualenvs (their pins fight the Runtime's constraints),
# built OUTSIDE the folders `astro dev start` bind-mounts (dags/, include/, plugins/, tests/), so the
# venvs, Meltano's plugin installs and the dbt manifest survive local development too.
ENV WMS_VENVS_DIR=/usr/local/airflow/.venvs \
    WMS_STATE_DIR=/usr/local/airflow/.local \
    WMS_WAREHOUSE_KIND=oracle \
    WMS_MELTANO_ENVIRONMENT=prod \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False

# The same bootstrap script CI and the README run: creates the dbt and Meltano environments from
# their lock files, runs `meltano install` and builds the dbt manifest Cosmos renders from.
RUN scripts/bootstrap --only dbt,meltano --no-dev

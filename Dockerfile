# Astro Runtime 3.3-8 (Airflow 3.3.2, the Airflow of envs/airflow/uv.lock) on its Python 3.12 flavour:
# the series' default image runs Python 3.14, which no lock admits (requires-python <3.14). The
# builds, their Airflow, Pythons and bundled providers, with sources: docs/deploy/astro-runtime-builds.json
# (tests/test_deployment_stack.py holds this line, requirements.txt and the locks to it).
# The Runtime's ONBUILD steps install packages.txt and requirements.txt, then copy the project (less
# .dockerignore) to $AIRFLOW_HOME as user astro; tests/e2e/test_image_rehearsal.py replays them.
FROM astrocrpublic.azurecr.io/runtime:3.3-8-python-3.12

# dbt and Meltano get their own locked virtualenvs (their pins fight the Runtime's constraints),
# built OUTSIDE the folders `astro dev start` bind-mounts (dags/, include/, plugins/, tests/), so the
# venvs, Meltano's plugin installs and the dbt manifest survive local development too.
# WMS_WAREHOUSE_KIND: `astro dev start` overrides it from .env (see .env.example).
ENV WMS_VENVS_DIR=/usr/local/airflow/.venvs \
    WMS_STATE_DIR=/usr/local/airflow/.local \
    WMS_WAREHOUSE_KIND=oracle \
    WMS_MELTANO_ENVIRONMENT=prod \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False

# The same bootstrap script CI and the README run: creates the dbt and Meltano environments from
# their lock files with the Runtime's own Python (the tag's), runs `meltano install` and builds the
# dbt manifest Cosmos renders from.
RUN WMS_PYTHON=python3.12 scripts/bootstrap --only dbt,meltano --no-dev

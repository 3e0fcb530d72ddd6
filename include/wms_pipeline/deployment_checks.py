"""What a deployment must hold before a sync can run, checked by each DAG run's first task.

Airflow Variables the DAGs read are checked at run time (`deployment_ready`, upstream of every other
task): a missing one fails the run at once, naming the commands that create it. Pools cannot be checked
there: in Airflow 3 task code reaches neither the metadata database (the task supervisor blocks ORM
access) nor any pool endpoint of the execution API, and the scheduler never schedules a task of a
missing pool ("Tasks using non-existent pool ... will not be scheduled"), so a missing pool stalls
the run until dagrun_timeout. Pools are therefore created as code at deploy time: `setup_commands`
gives the commands for both, airflow_settings.yaml holds them for `astro dev start`, and
docs/deploy/astro.md the deploy step.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from include.wms_pipeline import settings


@dataclass(frozen=True)
class PoolSpec:
    name: str
    slots: int
    description: str


@dataclass(frozen=True)
class VariableSpec:
    name: str
    example: str
    description: str


def required_pools(kind: str) -> tuple[PoolSpec, ...]:
    """The pools the DAGs' tasks name on this warehouse kind."""
    pools = [PoolSpec(settings.WMS_API_POOL, 4, "Concurrent requests to the Oracle WMS API")]
    if kind == "duckdb":
        pools.append(PoolSpec(settings.DUCKDB_WRITER_POOL, 1, "DuckDB allows one writing process"))
    else:
        pools.append(
            PoolSpec(settings.TRANSFORM_POOL, 1, "One dbt build or check at a time, across every run")
        )
    return tuple(pools)


REQUIRED_VARIABLES = (
    VariableSpec(
        settings.ALERT_EMAILS_VARIABLE,
        "oncall@example.com",
        "comma-separated recipients of failure emails (without it no email alert is sent)",
    ),
)


def missing_variables(get: Callable[[str], Any]) -> list[VariableSpec]:
    """The required Variables that `get(name)` (None when unset) finds unset or blank."""
    return [spec for spec in REQUIRED_VARIABLES if not str(get(spec.name) or "").strip()]


def setup_commands(
    pools: tuple[PoolSpec, ...] = (), variables: tuple[VariableSpec, ...] | list[VariableSpec] = ()
) -> list[str]:
    """The commands that create `pools` and `variables`: Airflow's CLI, then the Astro CLI's."""
    q = shlex.quote
    commands = [f"airflow pools set {q(p.name)} {p.slots} {q(p.description)}" for p in pools]
    commands += [f"airflow variables set {q(v.name)} {q(v.example)}" for v in variables]
    commands += [
        f"astro deployment pool create --deployment-id <id> --name {q(p.name)} --slots {p.slots}"
        for p in pools
    ]
    commands += [
        f"astro deployment airflow-variable create --deployment-id <id> --key {q(v.name)} --value {q(v.example)}"
        for v in variables
    ]
    commands += [f"(or the environment variable AIRFLOW_VAR_{v.name.upper()})" for v in variables]
    return commands


class DeploymentNotReady(Exception):
    """The deployment lacks settings the DAGs need; the message says how to create them."""


def check_variables(get: Callable[[str], Any]) -> None:
    missing = missing_variables(get)
    if missing:
        names = ", ".join(spec.name for spec in missing)
        lines = "\n  ".join(setup_commands(variables=missing))
        raise DeploymentNotReady(
            f"Airflow Variable(s) not set in this deployment: {names}. Create them with one of:\n  {lines}"
        )


def _check_deployment() -> None:
    from airflow.sdk import Variable
    from airflow.sdk.exceptions import AirflowFailException

    try:
        check_variables(lambda name: Variable.get(name, default=None))
    except DeploymentNotReady as problem:
        raise AirflowFailException(str(problem)) from None  # no retry: nothing changes by waiting


def run_first(dag: Any) -> None:
    """Add `deployment_ready` to `dag`, upstream of every task that has no upstream yet."""
    from airflow.providers.standard.operators.python import PythonOperator

    roots = list(dag.roots)
    check = PythonOperator(
        task_id="deployment_ready",
        python_callable=_check_deployment,
        doc_md=__doc__,
        retries=0,
        dag=dag,
    )
    for root in roots:
        check >> root

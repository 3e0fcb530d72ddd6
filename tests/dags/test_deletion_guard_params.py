"""The full sync's deletion-guard params: declared, typed and validated; the incremental sync has none."""

from __future__ import annotations

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.definitions.param import process_params
from airflow.sdk.exceptions import ParamValidationError

GUARD_PARAMS = {"confirm_deletions", "deletion_max_percent", "deletion_min_records"}


def test_only_the_full_sync_declares_the_guard_params(dag_bag: DagBag) -> None:
    assert set(dag_bag.dags["wms_full_sync"].params) >= GUARD_PARAMS
    assert not set(dag_bag.dags["wms_incremental_sync"].params) & GUARD_PARAMS


def test_the_deletions_check_runs_after_the_models_in_the_full_sync_only(dag_bag: DagBag) -> None:
    check = dag_bag.dags["wms_full_sync"].get_task("check_full_sync_deletions_plausible")
    assert "finalize_full_sync" in check.get_flat_relative_ids(upstream=True)
    assert any(task.startswith("transform.") for task in check.upstream_task_ids)
    assert "check_full_sync_deletions_plausible" not in dag_bag.dags["wms_incremental_sync"].task_ids


@pytest.mark.parametrize(
    "conf",
    [
        {"confirm_deletions": "yes"},
        {"deletion_max_percent": 101},
        {"deletion_max_percent": "2"},
        {"deletion_min_records": -1},
        {"deletion_min_records": 2.5},
    ],
)
def test_a_bad_guard_param_is_refused_before_the_run(dag_bag: DagBag, conf: dict[str, object]) -> None:
    dag = dag_bag.dags["wms_full_sync"]
    with pytest.raises(ParamValidationError, match="|".join(conf)):
        process_params(dag, dag.get_task("finalize_full_sync"), conf, suppress_exception=False)


def test_good_guard_params_pass(dag_bag: DagBag) -> None:
    dag = dag_bag.dags["wms_full_sync"]
    conf = {"confirm_deletions": True, "deletion_max_percent": 5.5, "deletion_min_records": 0}
    params = process_params(dag, dag.get_task("finalize_full_sync"), conf, suppress_exception=False)
    assert {key: params[key] for key in conf} == conf

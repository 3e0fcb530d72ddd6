"""Run inside the Airflow interpreter: parse DAG files the way the dag-processor does, timed.

    python bench/suite/parse_probe.py FILE [FILE ...]   -> JSON {file: seconds} on the last line

Airflow itself is imported first (the dag-processor has it loaded); each file is then parsed once in
this fresh process, so its own imports (Cosmos, include/wms_pipeline) count, as they do per parse.
"""

from __future__ import annotations

import json
import sys
import time

from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import DAG  # noqa: F401

times = {}
for path in sys.argv[1:]:
    started = time.perf_counter()
    bag = DagBag(dag_folder=path)
    times[path] = {
        "seconds": time.perf_counter() - started,
        "dags": sorted(bag.dag_ids),
        "tasks": sum(len(dag.tasks) for dag in bag.dags.values()),
        "errors": {k: str(v)[-500:] for k, v in bag.import_errors.items()},
    }
print(json.dumps(times))

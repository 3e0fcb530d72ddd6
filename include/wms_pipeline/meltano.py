"""`meltano run tap-oracle-wms target-warehouse` for one entity (or one id partition of it).

The command is fixed at parse time; everything that depends on the run — the extraction window,
credentials, the load's run id — is added to the process environment at execute time by
`MeltanoRunOperator`, so that no secret is ever part of a rendered template, a task log or XCom.
Meltano state is neither read nor written: the window is a pure function of the run.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import shutil
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException, AirflowSkipException
from airflow.sdk.log import mask_secret

from include.wms_pipeline import settings
from include.wms_pipeline.load_evidence import Warehouse, source_of
from include.wms_pipeline.partitions import IdPartition
from include.wms_pipeline.warehouse import ConnectionLike, warehouse_target
from include.wms_pipeline.windows import ExtractionWindow, parse_instant, window_for_run

PLAN_WINDOW_TASK = "plan_window"

TAP = "tap-oracle-wms"
TARGET = "target-warehouse"
_METRIC = re.compile(r"METRIC: (\{.*\})\s*$")
_ERROR_LINE = re.compile(r"\b[\w.]*(?:Error|Exception)\b: .+")
FAILURE_EXCERPT_LINES = 5


def records_read(output: str, entity: str) -> int:
    """Records the tap emitted for `entity`, summed from the Singer SDK's `record_count` metrics."""
    total = 0
    for line in output.splitlines():
        match = _METRIC.search(line)
        if not match:
            continue
        try:
            metric = json.loads(match.group(1))
        except ValueError:
            continue
        if metric.get("metric") == "record_count" and metric.get("tags", {}).get("stream") == entity:
            total += int(metric.get("value", 0))
    return total


def failure_excerpt(output: str, limit: int = FAILURE_EXCERPT_LINES) -> str:
    """The last exception lines of a failed extract-load (e.g. the tap's `AuthConfigError: ... 401`)."""
    lines = [match.group(0).strip() for line in output.splitlines() if (match := _ERROR_LINE.search(line))]
    return "\n".join(lines[-limit:])


def private_system_dir(installed: Path, private: Path) -> Path:
    """A Meltano system directory of one run's own, sharing only the installed plugin venvs.

    Meltano writes each run's catalog, config and system DB under its system directory; parallel
    extract tasks sharing one read each other's half-written catalog. A private directory per task
    also guarantees that no Meltano state or job record outlives the task.
    """
    private.mkdir(parents=True)
    for kind in ("extractors", "loaders"):
        if (installed / kind).exists():
            (private / kind).symlink_to(installed / kind, target_is_directory=True)
    return private


def meltano_run_command(meltano: str, state_id_suffix: str) -> str:
    """The shell command of one extract-load; `--no-install` because plugins are built at deploy time."""
    # The output is also kept in a file so the task can count what the tap read (SDK metrics).
    # umask 077: the config files Meltano writes for the tap and the loader hold the WMS credential
    # and the warehouse password; they (and the log) are readable by their owner alone.
    return (
        "umask 077; set -o pipefail; "
        + " ".join(
            [
                shlex.quote(meltano),
                "run",
                "--no-install",
                # Never read state (the window comes from the run) and never write it.
                "--full-refresh",
                "--no-state-update",
                # Distinct ids keep parallel entity tasks from tripping Meltano's duplicate-run guard.
                f"--state-id-suffix={shlex.quote(state_id_suffix)}",
                TAP,
                TARGET,
            ]
        )
        + ' 2>&1 | tee "$WMS_EL_OUTPUT"'
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_https(url: str, what: str) -> str:
    """`url` when it is https (plain http only on loopback: the local simulator); a clear error else.

    The WMS credential travels with every request, so it must never go unencrypted to a real host.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and _loopback(host):
        return url
    raise ValueError(
        f"{what} must be an https:// URL (plain http only on loopback addresses), got {url!r}: "
        "the WMS credential would travel unencrypted"
    )


def wms_auth(conn: ConnectionLike) -> dict[str, Any]:
    """The tap's `auth` setting from the WMS connection (Basic by default, OAuth2 via extras)."""
    extra = conn.extra_dejson
    if str(extra.get("auth_type", "basic")).lower() == "oauth2":
        missing = [key for key in ("token_url", "client_id") if not extra.get(key)]
        if missing or not conn.password:
            raise ValueError(
                f"Airflow connection {conn.conn_id!r} uses auth_type oauth2 and needs extra "
                f"{', '.join(missing) or 'token_url/client_id'} and the client secret in password"
            )
        token_url = require_https(
            str(extra["token_url"]), f"Airflow connection {conn.conn_id!r} extra.token_url"
        )
        return {
            "type": "oauth2",
            "token_url": token_url,
            "client_id": extra["client_id"],
            "client_secret": conn.password,
            "scope": extra.get("scope", "urn:resource:fusion:scm:logistics:wms:lgfapi/"),
        }
    if not conn.login or not conn.password:
        raise ValueError(f"Airflow connection {conn.conn_id!r} needs login and password for Basic auth")
    return {"type": "basic", "username": conn.login, "password": conn.password}


def wms_base_url(conn: ConnectionLike) -> str:
    """The base URL (scheme, host and environment, before /wms/lgfapi) from the WMS connection."""
    base = conn.extra_dejson.get("base_url") or conn.host
    if not base or "://" not in str(base):
        raise ValueError(
            f"Airflow connection {conn.conn_id!r} needs host (or extra.base_url) set to the WMS base URL, "
            "e.g. https://tenant.wms.ocs.oraclecloud.com/prod_env"
        )
    return require_https(
        str(base).rstrip("/"), f"Airflow connection {conn.conn_id!r} host (or extra.base_url)"
    )


def extract_load_environment(
    *,
    entity: str,
    window: ExtractionWindow,
    lookback_minutes: int,
    wms: ConnectionLike,
    warehouse: ConnectionLike,
    load_run_id: str,
    partition: IdPartition | None = None,
    full_sync_id: str | None = None,
    quarantine_threshold: int = 0,
    page_size: int | None = None,
    known_versions_file: Path | None = None,
) -> dict[str, str]:
    """Meltano setting overrides (`<PLUGIN>_<SETTING>`) for one extract-load process."""
    target = warehouse_target(warehouse)
    source = source_of(wms, wms_base_url(wms))
    env: dict[str, str] = {
        "TAP_ORACLE_WMS_BASE_URL": wms_base_url(wms),
        "TARGET_WAREHOUSE_WMS_BASE_URL": source.base_url,
        "TARGET_WAREHOUSE_WMS_USER": source.user,
        "TAP_ORACLE_WMS_AUTH": json.dumps(wms_auth(wms)),
        "TAP_ORACLE_WMS_ENTITIES": json.dumps([entity]),
        "TAP_ORACLE_WMS_END_DATE": window.end.isoformat(),
        "TAP_ORACLE_WMS_LOOKBACK_MINUTES": str(lookback_minutes),
        "TARGET_WAREHOUSE_SQLALCHEMY_URL": target.url,
        "TARGET_WAREHOUSE_DEFAULT_TARGET_SCHEMA": settings.RAW_SCHEMA,
        "TARGET_WAREHOUSE_RUN_ID": load_run_id,
        "TARGET_WAREHOUSE_QUARANTINE_THRESHOLD": str(quarantine_threshold),
    }
    if window.start is not None:
        env["TAP_ORACLE_WMS_START_DATE"] = window.start.isoformat()
    if partition is not None:
        env["TAP_ORACLE_WMS_ID_MIN"] = str(partition.id_min)
        env["TAP_ORACLE_WMS_ID_MAX"] = str(partition.id_max)
    if full_sync_id:
        env["TARGET_WAREHOUSE_FULL_SYNC_ID"] = full_sync_id
    if known_versions_file is not None:
        # Key-scan full sync (include/wms_pipeline/key_scan.py); without it the tap reads whole records.
        env["TAP_ORACLE_WMS_FULL_SYNC_MODE"] = "keys"
        env["TAP_ORACLE_WMS_KNOWN_VERSIONS_FILE"] = str(known_versions_file)
    if page_size:
        env["TAP_ORACLE_WMS_PAGE_SIZE"] = str(page_size)
    for key in ("facility_code", "company_code"):
        if wms.extra_dejson.get(key):
            env[f"TAP_ORACLE_WMS_{key.upper()}"] = str(wms.extra_dejson[key])
    if target.username:
        env["TARGET_WAREHOUSE_USERNAME"] = target.username
    if target.password:
        env["TARGET_WAREHOUSE_PASSWORD"] = target.password
    if target.kind == "oracle":
        # dbt's views read the raw tables, and Oracle wants the views' owner (the models' schema) to
        # hold SELECT on them directly, not through a role. When the loader logs in as the raw
        # schema's owner (docs/oracle/provision.sql), it owns each table it creates and grants that
        # there and then. Other layouts grant with docs/oracle/grant_raw_read.sql.
        models_owner, raw_owner = settings.dbt_schema().upper(), settings.RAW_SCHEMA.upper()
        if (target.username or "").upper() == raw_owner != models_owner:
            env["TARGET_WAREHOUSE_GRANT_SELECT_TO"] = json.dumps([models_owner])
    return env


def process_environment(paths: settings.Paths, meltano_environment: str) -> dict[str, str]:
    """Environment every Meltano process gets, independent of the run."""
    return {
        "MELTANO_ENVIRONMENT": meltano_environment,
        "MELTANO_SYS_DIR_ROOT": str(paths.meltano_sys_dir),
        "MELTANO_CLI_LOG_FORMAT": "plain",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "MELTANO_AUTO_INSTALL": "false",
    }


# What Meltano, the tap and the loader need of the worker's environment: where programs and the home
# and temporary directories are, the locale and time zone, the way out to the WMS (proxies, CA
# certificates) and Oracle's network configuration. Nothing else: no Airflow connection or setting
# (AIRFLOW_CONN_*, AIRFLOW__*), no other DAG's or tool's credentials. Meltano itself requires PATH
# (plugin_invoker.py prepends each plugin's venv to it) and passes the rest on to the plugins.
INHERITED_VARIABLES = (
    "PATH",
    "HOME",
    "USER",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "TNS_ADMIN",
)


def inherited_environment(worker: Mapping[str, str]) -> dict[str, str]:
    """The part of the worker's environment an extract-load process gets (INHERITED_VARIABLES)."""
    return {name: worker[name] for name in INHERITED_VARIABLES if name in worker}


SCRATCH_PREFIX = "wms-el-"
SCRATCH_OWNER_FILE = "owner.pid"
# A scratch directory whose task process is gone is cleared once it is this old (a live task's is
# never touched; one without an owner file, from an older version, after a day).
STALE_SCRATCH_SECONDS = 10 * 60
ORPHAN_SCRATCH_SECONDS = 24 * 60 * 60


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clear_stale_scratch(temp_dir: Path, *, now: float | None = None) -> list[Path]:
    """Remove extract-load scratch directories left by killed tasks (SIGKILL, OOM): ours by prefix
    and owner, old enough, and whose recorded task process is gone. They may hold Meltano's config
    files with the WMS credential and the warehouse password. Returns what was removed."""
    current = time.time() if now is None else now
    removed: list[Path] = []
    for candidate in temp_dir.glob(f"{SCRATCH_PREFIX}*"):
        try:
            info = candidate.lstat()
            if not candidate.is_dir() or candidate.is_symlink() or info.st_uid != os.getuid():
                continue
            age = current - info.st_mtime
            owner = candidate / SCRATCH_OWNER_FILE
            if owner.exists():
                stale = age > STALE_SCRATCH_SECONDS and not _process_alive(int(owner.read_text().strip()))
            else:
                stale = age > ORPHAN_SCRATCH_SECONDS
        except (OSError, ValueError):
            continue
        if stale:
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


class MeltanoRunOperator(BashOperator):
    """Runs one extract-load; adds the run's window and the credentials only at execute time."""

    def __init__(
        self,
        *,
        entity: str,
        state_id_suffix: str,
        lookback_minutes: int,
        default_span: timedelta,
        meltano_environment: str,
        partition: IdPartition | dict[str, Any] | None = None,
        full_sync: bool = False,
        quarantine_threshold: int = 0,
        paths: settings.Paths | None = None,
        **kwargs: Any,
    ) -> None:
        resolved = paths or settings.paths()
        super().__init__(
            bash_command=meltano_run_command(str(resolved.meltano), state_id_suffix),
            cwd=str(resolved.meltano_project),
            env=process_environment(resolved, meltano_environment),
            # The process gets only what get_env builds (never the worker's whole environment).
            append_env=False,
            # Meltano may exit 99; that must fail the task, not skip it.
            skip_on_exit_code=None,
            **kwargs,
        )
        self.entity = entity
        self.installed_sys_dir = resolved.meltano_sys_dir
        self.lookback_minutes = lookback_minutes
        self.default_span = default_span
        self.partition = partition
        self.full_sync = full_sync
        self.quarantine_threshold = quarantine_threshold

    def window(self, context: Mapping[str, Any]) -> ExtractionWindow:
        if self.full_sync:
            return run_window(context, self.default_span, full_sync=True)
        return planned_window(context)

    @property
    def id_partition(self) -> IdPartition | None:
        return IdPartition.from_value(self.partition) if self.partition is not None else None

    def execute(self, context: Any) -> dict[str, Any]:
        """Run the extract-load; return what the tap read, for the reconciliation check."""
        selected = (context.get("params") or {}).get("entities") or []
        if selected and self.entity not in selected:
            raise AirflowSkipException(f"{self.entity} is not among the entities selected for this run")
        for removed in clear_stale_scratch(Path(tempfile.gettempdir())):
            self.log.warning("Removed the scratch directory %s of a task that was killed", removed)
        with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX) as scratch:
            self._scratch = Path(scratch)
            (self._scratch / SCRATCH_OWNER_FILE).write_text(str(os.getpid()))
            private_system_dir(self.installed_sys_dir, self._scratch / "meltano")
            self._known_versions: Path | None = None
            if self.full_sync and settings.full_sync_mode() == "keys":
                from include.wms_pipeline.key_scan import write_known_versions  # full_sync imports us

                self._known_versions = self._scratch / "known_versions.tsv"
                write_known_versions(self.entity, self.id_partition, self._known_versions)
            try:
                super().execute(context)
            except AirflowException as exc:
                # BashOperator only says "exit code 1"; the alert needs the tools' own error lines.
                excerpt = failure_excerpt((self._scratch / "meltano.log").read_text(errors="replace"))
                if not excerpt:
                    raise
                raise AirflowException(f"meltano run for {self.entity} failed:\n{excerpt}") from exc
            output = (self._scratch / "meltano.log").read_text(errors="replace")
        read = records_read(output, self.entity)
        this_load = load_run_id(context, self.entity, self.id_partition)
        # The warehouse's evidence that this load finished (the checks and finalize read it, not the
        # task's state, which an operator can set).
        wms = BaseHook.get_connection(settings.WMS_CONN_ID)
        Warehouse().mark_committed(this_load, self.entity, read, source_of(wms, wms_base_url(wms)))
        result: dict[str, Any] = {"entity": self.entity, "records_read": read, "load_run_id": this_load}
        if self.full_sync:
            result["missed_by_incremental"] = self.report_missed_versions(context, result["load_run_id"])
        return result

    def report_missed_versions(self, context: Any, run_id: str) -> int:
        """Log how many versions this full-sync load found that the incremental runs had missed
        (include/wms_pipeline/late_commits.py), and write it into the load's audit row
        (`etl_load_audit.missed_by_incremental`): above 0, commits later than the lookback."""
        from include.wms_pipeline.late_commits import (
            count_missed_versions,
            missed_before,
            record_missed_versions,
        )

        before = missed_before(self.window(context).end, self.default_span, self.lookback_minutes)
        hook: Any = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID).get_hook()  # type: ignore[no-untyped-call]
        conn = hook.get_conn()
        try:
            sync_prefix = f"{context['dag'].dag_id}/{context['run_id']}/"  # load_run_id's first parts
            kind = settings.warehouse_kind()
            missed = count_missed_versions(
                conn, kind, settings.RAW_SCHEMA, self.entity, run_id, before, sync_prefix
            )
            record_missed_versions(conn, kind, settings.RAW_SCHEMA, self.entity, run_id, missed)
        finally:
            conn.close()
        if missed:
            self.log.warning(
                "Full sync found %d version(s) of %s modified before %s that no incremental run loaded: "
                "commits later than the %d-minute lookback (or windows that never ran). Their history "
                "between full syncs is lost; see docs/runbook.md, 'Versions missed by the incremental runs'",
                missed,
                self.entity,
                before.isoformat(),
                self.lookback_minutes,
            )
        else:
            self.log.info(
                "Full sync found no version of %s modified before %s that the incremental runs had missed",
                self.entity,
                before.isoformat(),
            )
        return missed

    def get_env(self, context: Any) -> dict[str, str]:
        # BashOperator adds Airflow's context variables (AIRFLOW_CTX_*); the tools need none of them.
        rendered = {k: v for k, v in super().get_env(context).items() if not k.startswith("AIRFLOW")}
        env: dict[str, str] = {**inherited_environment(os.environ), **rendered}
        scratch: Path | None = getattr(self, "_scratch", None)
        if scratch is not None:
            env["WMS_EL_OUTPUT"] = str(scratch / "meltano.log")
            env["MELTANO_SYS_DIR_ROOT"] = str(scratch / "meltano")
        else:
            env["WMS_EL_OUTPUT"] = os.devnull
        wms = BaseHook.get_connection(settings.WMS_CONN_ID)
        warehouse = BaseHook.get_connection(settings.WAREHOUSE_CONN_ID)
        window = self.window(context)
        run_env = extract_load_environment(
            entity=self.entity,
            window=window,
            lookback_minutes=0 if self.full_sync else self.lookback_minutes,
            wms=wms,
            warehouse=warehouse,
            load_run_id=load_run_id(context, self.entity, self.id_partition),
            partition=self.id_partition,
            full_sync_id=context["run_id"] if self.full_sync else None,
            quarantine_threshold=self.quarantine_threshold,
            known_versions_file=getattr(self, "_known_versions", None),
        )
        for key in ("TAP_ORACLE_WMS_AUTH", "TARGET_WAREHOUSE_PASSWORD"):
            if key in run_env:
                mask_secret(run_env[key])
        self.log.info(
            "Extracting %s%s, window [%s, %s)",
            self.entity,
            f" ids {self.id_partition.id_min}..{self.id_partition.id_max}" if self.id_partition else "",
            window.start.isoformat() if window.start else "beginning",
            window.end.isoformat(),
        )
        env.update(run_env)
        return env


def run_window(
    context: Mapping[str, Any],
    default_span: timedelta,
    *,
    full_sync: bool,
    covered_until: datetime | None = None,
    max_catch_up: timedelta | None = None,
) -> ExtractionWindow:
    """The window of this run; full syncs read everything up to the interval end.

    `covered_until` is where the time loaded without a gap ends, as the warehouse records it (see
    `loaded_windows.read`): a scheduled run starts there when it is earlier than its interval start,
    and so does a manual run (with a logical date only within WMS_MAX_CATCH_UP_HOURS); backfills read
    exactly their interval.
    """
    params = context.get("params") or {}
    dag_run = context["dag_run"]
    run_after: datetime = getattr(dag_run, "run_after", None) or datetime.now(UTC)
    run_type = getattr(dag_run, "run_type", None)
    window = window_for_run(
        data_interval_start=context.get("data_interval_start"),
        data_interval_end=context.get("data_interval_end"),
        run_after=run_after,
        covered_until=None if full_sync else covered_until,
        continue_from_coverage=str(getattr(run_type, "value", run_type)) == "scheduled",
        continue_within_limit=str(getattr(run_type, "value", run_type)) == "manual",
        max_catch_up=max_catch_up,
        default_span=default_span,
        start_override=params.get("window_start") or None,
        end_override=params.get("window_end") or None,
    )
    return ExtractionWindow(None, window.end) if full_sync else window


def planned_window(context: Mapping[str, Any]) -> ExtractionWindow:
    """The window the run's `plan_window` task chose (XCom): every task of an incremental run reads
    the same window, even when the warehouse's record changes while the run goes on."""
    planned = context["ti"].xcom_pull(task_ids=PLAN_WINDOW_TASK)
    if not planned:
        raise ValueError(f"task {PLAN_WINDOW_TASK} pushed no window: clear it together with this task")
    return ExtractionWindow(
        parse_instant(planned["start"], "planned window start"),
        parse_instant(planned["end"], "planned window end"),
    )


def load_run_id(context: Mapping[str, Any], entity: str, partition: IdPartition | None) -> str:
    """Identifies one load attempt in the audit and history columns: DAG, run, entity, partition, try.

    The try number keeps a retried or cleared task (or a re-run backfill) from adding its counts to
    the earlier attempt's audit row.
    """
    parts = [context["dag"].dag_id, context["run_id"], entity]
    if partition is not None:
        parts.append(f"p{partition.index}")
    parts.append(f"try{getattr(context.get('ti'), 'try_number', 1)}")
    return "/".join(parts)

# Shared shell helpers for scripts/*. Sourced, not executed.
# shellcheck shell=bash

WMS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export WMS_ROOT
# Tool virtualenvs and run-time state live outside the folders `astro dev` bind-mounts.
export WMS_VENVS_DIR="${WMS_VENVS_DIR:-$WMS_ROOT/.venvs}"
export WMS_STATE_DIR="${WMS_STATE_DIR:-$WMS_ROOT/.local}"
export MELTANO_SYS_DIR_ROOT="${MELTANO_SYS_DIR_ROOT:-$WMS_STATE_DIR/meltano}"
export DBT_LOG_PATH="${DBT_LOG_PATH:-$WMS_STATE_DIR/dbt/logs}"
export DBT_PACKAGES_INSTALL_PATH="${DBT_PACKAGES_INSTALL_PATH:-$WMS_STATE_DIR/dbt/dbt_packages}"
# The manifest Cosmos renders the DAGs from lives in a directory of its own, never in a target path
# that dbt runs write to: every running dbt rewrites target/manifest.json, and a DAG parsed meanwhile
# (each task parses it) would read half a file. So DBT_TARGET_PATH is not exported here either.
export WMS_DBT_MANIFEST_PATH="${WMS_DBT_MANIFEST_PATH:-$WMS_STATE_DIR/dbt/manifest/manifest.json}"
# Quiet, offline-friendly tools.
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false MELTANO_CLI_DISABLE_VERSION_CHECK=true
export DBT_SEND_ANONYMOUS_USAGE_STATS=false DO_NOT_TRACK=1
export UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1

UV_VERSION="0.13.8"

log() { printf '\033[1m[%s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# A Python >= 3.11 to build the environments with.
find_python() {
  local candidate
  for candidate in "${WMS_PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [[ -n "$candidate" ]] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; raise SystemExit(sys.version_info < (3, 11))' 2>/dev/null; then
      # The interpreter itself, not a launcher (pyenv shim): uv recreates an environment whose
      # interpreter is not the path it was asked for, which broke every process using it.
      "$candidate" -c 'import sys; print(sys.executable)'; return 0
    fi
  done
  die "Python 3.11 or newer is required (set WMS_PYTHON to its path)."
}

# uv, pinned, installed from PyPI into its own venv when the machine has no matching uv.
ensure_uv() {
  if command -v uv >/dev/null 2>&1 && [[ "$(uv --version | awk '{print $2}')" == "$UV_VERSION" ]]; then
    UV="$(command -v uv)"; return 0
  fi
  UV="$WMS_VENVS_DIR/uv/bin/uv"
  if [[ -x "$UV" && "$("$UV" --version | awk '{print $2}')" == "$UV_VERSION" ]]; then return 0; fi
  local python; python="$(find_python)"
  log "installing uv $UV_VERSION into $WMS_VENVS_DIR/uv"
  "$python" -m venv "$WMS_VENVS_DIR/uv"
  "$WMS_VENVS_DIR/uv/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
}

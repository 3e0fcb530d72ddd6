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

# The Pythons the three locks admit: their common `requires-python = ">=3.A, <3.B"` (envs/*/uv.lock),
# as "A B" (3.A is the oldest accepted minor, 3.B the first refused one).
lock_python_range() {
  local lock line range=""
  for lock in "$WMS_ROOT"/envs/*/uv.lock; do
    line=""
    while IFS= read -r line; do [[ $line == requires-python* ]] && break; line=""; done < "$lock"
    [[ $line =~ ^requires-python\ =\ \"\>=3\.([0-9]+),\ ?\<3\.([0-9]+)\"$ ]] ||
      die "${lock#"$WMS_ROOT"/}: expected requires-python = \">=3.X, <3.Y\", found '${line:-nothing}'"
    [[ -z $range || $range == "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" ]] ||
      die "the locks disagree on requires-python (${lock#"$WMS_ROOT"/}: $line): run scripts/relock"
    range="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
  done
  [[ -n $range ]] || die "no lock file under envs/"
  echo "$range"
}

# A Python the locks admit, to build the environments with: $WMS_PYTHON when set (refused, not
# skipped, when outside the range), else the first of python3.<each accepted minor>, python3.
find_python() {
  local range low high minor candidate version accepted="" seen=""
  range="$(lock_python_range)" || exit 1
  read -r low high <<< "$range"
  for ((minor = low; minor < high; minor++)); do accepted+="${accepted:+, }3.$minor"; done
  local candidates=()
  for ((minor = low; minor < high; minor++)); do candidates+=("python3.$minor"); done
  candidates+=(python3)
  if [[ -n ${WMS_PYTHON:-} ]]; then candidates=("$WMS_PYTHON"); fi
  for candidate in "${candidates[@]}"; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    version="$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" || continue
    if [[ $version =~ ^3\.([0-9]+)$ ]] && ((BASH_REMATCH[1] >= low && BASH_REMATCH[1] < high)); then
      # The interpreter itself, not a launcher (pyenv shim): uv recreates an environment whose
      # interpreter is not the path it was asked for, which broke every process using it.
      "$candidate" -c 'import sys; print(sys.executable)'; return 0
    fi
    seen+="${seen:+, }$candidate is $version"
  done
  [[ -n ${WMS_PYTHON:-} && -z $seen ]] && seen="WMS_PYTHON=$WMS_PYTHON is not a program on PATH"
  die "the locks (envs/*/uv.lock) accept Python $accepted only${seen:+; found: $seen}. Install one of them, or set WMS_PYTHON to its path."
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

"""The Astro image built without Docker: the Runtime's ONBUILD steps and the Dockerfile's own RUN.

Astro Runtime's ONBUILD triggers (docs/deploy/astro-runtime-builds.json, sources.onbuild) install
packages.txt and requirements.txt as root, then, as the unprivileged user `astro`, copy the build
context (less .dockerignore) to $AIRFLOW_HOME with `COPY --chown=astro:0 . .`; the Dockerfile's RUN
lines then run there as that user, with its ENV set and the Runtime's Python on PATH. Here:
- the user is `wms-image-build` (created when missing; its primary group for the build is 0, as astro's
  files are), and the copy lives in a fresh directory standing for /usr/local/airflow (the Dockerfile's
  ENV paths are moved there);
- the Runtime's Python is an interpreter of the tag's Python version found on this machine; when it
  lives under a folder the user may not enter (pyenv's under /root), the build runs in a private mount
  namespace where that folder is an empty tmpfs holding only the interpreter's prefix, read-only, so
  the user sees the interpreter and nothing else of it;
- packages.txt and requirements.txt are not installed: the Runtime's Airflow stand-in is the suite's
  own (envs/airflow/uv.lock, which tests/test_deployment_stack.py holds requirements.txt to).
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from deployment_image import REPO_ROOT, copy_build_context, dockerfile_env, dockerfile_runs

BUILD_USER = "wms-image-build"
IMAGE_HOME = "/usr/local/airflow"  # the Runtime's $AIRFLOW_HOME, where ONBUILD copies the project
# What the build may reach of the machine's environment: certificates, proxies, package indexes.
_PASSED_THROUGH = re.compile(r"(CERT|CA_BUNDLE|SSL|PROXY|^PIP_|^UV_INDEX)", re.IGNORECASE)


@dataclass(frozen=True)
class BuiltImage:
    root: Path  # stands for the image's filesystem root
    home: Path  # stands for /usr/local/airflow
    python: Path  # the Runtime's Python (the tag's version)
    env: dict[str, str]  # the Dockerfile's ENV, its paths moved under `home`
    build_log: Path


def image_python_version() -> str:
    match = re.search(r"runtime:\d+\.\d+-\d+-python-(3\.\d+)", (REPO_ROOT / "Dockerfile").read_text())
    if match is None:
        raise AssertionError("the Dockerfile's Runtime tag names no Python: the build would take 3.14")
    return match[1]


def find_interpreter(version: str) -> Path:
    """An interpreter of `version` on this machine (the interpreter itself, not a launcher)."""
    candidates = [shutil.which(f"python{version}") or "", f"/usr/bin/python{version}"]
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")  # pyenv's own variable
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
    for candidate in (c for c in candidates if c and os.access(c, os.X_OK)):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.executable)"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.split()[0] == version:
            return Path(probe.stdout.split()[1])
    raise AssertionError(
        f"no Python {version} on this machine: the image's Python (the Dockerfile's tag) cannot be rehearsed"
    )


def _build_user() -> tuple[int, Path]:
    if os.geteuid() != 0:  # already unprivileged: build as ourselves
        return os.geteuid(), Path.home()
    try:
        entry = pwd.getpwnam(BUILD_USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", BUILD_USER], check=True)
        entry = pwd.getpwnam(BUILD_USER)
    return entry.pw_uid, Path(entry.pw_dir)


def _hidden_ancestor(path: Path) -> Path | None:
    """The outermost folder above `path` that other users may not enter, if any."""
    for parent in reversed(path.parents):
        if parent != Path("/") and not parent.stat().st_mode & stat.S_IXOTH:
            return parent
    return None


_NAMESPACE_SCRIPT = """
set -e
hold="$(mktemp -d)"
mount --bind "$REHEARSAL_PREFIX" "$hold"
mount -t tmpfs -o mode=0755 tmpfs "$REHEARSAL_HIDE"
mkdir -p "$REHEARSAL_PREFIX"
mount --bind "$hold" "$REHEARSAL_PREFIX"
mount -o remount,bind,ro "$REHEARSAL_PREFIX"
exec "$@"
"""


def _require_mount_namespace(python: Path, hidden: Path) -> None:
    """The build user cannot enter `hidden`; it sees the interpreter through a private mount namespace,
    which needs CAP_SYS_ADMIN. Say so at once rather than in a failed build's log."""
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        raise RuntimeError(
            f"the image rehearsal runs the build as an unprivileged user, and the Runtime's Python "
            f"({python}) lies under {hidden}, which that user cannot enter; showing it needs a private "
            f"mount namespace (unshare --mount, CAP_SYS_ADMIN), refused here: {probe.stderr.strip()}"
        )


def build_image(python_version: str) -> BuiltImage:
    """Copy the build context as ONBUILD does and run the Dockerfile's RUN lines as the build user."""
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    python = find_interpreter(python_version)
    uid, user_home = _build_user()
    root = Path(tempfile.mkdtemp(prefix="wms-image-"))
    root.chmod(0o755)
    home = root / "airflow"
    copy_build_context(home)
    (root / "bin").mkdir()
    (root / "bin" / f"python{python_version}").symlink_to(python)  # the Runtime's Python on PATH
    for path in [home, *home.rglob("*")]:
        os.chown(path, uid, 0, follow_symlinks=False)  # COPY --chown=astro:0
    env = {key: value.replace(IMAGE_HOME, str(home)) for key, value in dockerfile_env(dockerfile).items()}
    build_env = {key: value for key, value in os.environ.items() if _PASSED_THROUGH.search(key)}
    build_env |= {
        "HOME": str(user_home),
        "PATH": f"{root / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "AIRFLOW_HOME": str(home),
        **env,
    }
    build_log = root / "build.log"
    prefix = python.parents[1]
    hidden = _hidden_ancestor(prefix)
    if hidden is not None and uid != os.geteuid():
        _require_mount_namespace(python, hidden)
    with build_log.open("w") as log:
        for command in dockerfile_runs(dockerfile):
            as_user = (
                ["setpriv", f"--reuid={uid}", "--regid=0", "--init-groups", "--"]
                if uid != os.geteuid()
                else []
            )
            run = [
                *as_user,
                "env",
                "-i",
                *(f"{k}={v}" for k, v in build_env.items()),
                "/bin/bash",
                "-c",
                command,
            ]
            if hidden is not None and as_user:
                run = [
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    "--",
                    "/bin/bash",
                    "-c",
                    _NAMESPACE_SCRIPT,
                    "ns",
                    *run,
                ]
            log.write(f"$ {command}\n")
            log.flush()
            result = subprocess.run(
                run,
                cwd=home,
                env={**os.environ, "REHEARSAL_PREFIX": str(prefix), "REHEARSAL_HIDE": str(hidden or "")},
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=900,
            )
            if result.returncode != 0:
                raise AssertionError(
                    f"RUN {command} failed ({result.returncode}):\n{build_log.read_text()[-4000:]}"
                )
    return BuiltImage(root=root, home=home, python=python, env=env, build_log=build_log)

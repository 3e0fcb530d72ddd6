"""Debian's Chromium for the browser test: found, or installed with apt-get when we are root.

Playwright's own browser download (`playwright install`) cannot work on these machines, so the test
drives the distribution's build through `chromium.launch(executable_path=...)`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser")
# Running as root in a container: no sandbox, no GPU, /dev/shm is small, no background traffic.
LAUNCH_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
)


class ChromiumUnavailableError(RuntimeError):
    """Chromium is missing and could not be installed."""


def find_chromium() -> Path | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def ensure_chromium() -> Path:
    """The Chromium executable; installs Debian's `chromium` package first when it is missing."""
    found = find_chromium()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ChromiumUnavailableError(
            "Chromium is not installed and this user cannot install it: install Debian's 'chromium' "
            "package (apt-get install chromium)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ChromiumUnavailableError(
                f"Installing Chromium with {' '.join(command)!r} failed:\n{result.stderr[-2000:]}"
            )
    found = find_chromium()
    if not found:
        raise ChromiumUnavailableError("apt-get installed 'chromium' but no chromium executable is on PATH")
    return found

"""`astro dev parse` (and the parse check of `astro deploy`): .astro/test_dag_integrity_default.py,
run as the Astro CLI runs it — pytest on that one file, from $AIRFLOW_HOME, in the image's copy of
the project (the build context less .dockerignore: no dev/, no tests/).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from deployment_image import REPO_ROOT, copy_build_context

INTEGRITY_TEST = ".astro/test_dag_integrity_default.py"
DAG_FILES = sorted(path.name for path in (REPO_ROOT / "dags").glob("*.py"))


@pytest.fixture
def image_home(tmp_path: Path) -> Path:
    home = tmp_path / "airflow"
    copy_build_context(home)
    return home


def _astro_dev_parse(home: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "WMS_"))}
    env |= {
        "AIRFLOW_HOME": str(home),  # the image's $AIRFLOW_HOME; the DAGs folder is its default, dags/
        "PYTHONPATH": str(home),
        # The manifest the image's bootstrap builds; here the one this checkout's bootstrap built.
        "WMS_DBT_MANIFEST_PATH": str(REPO_ROOT / ".local" / "dbt" / "manifest" / "manifest.json"),
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", INTEGRITY_TEST, "-p", "no:cacheprovider", "-rA"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_image_copy_has_no_dev_or_tests_folder(image_home: Path) -> None:
    assert (image_home / INTEGRITY_TEST).is_file()
    assert (image_home / "plugins").is_dir()
    assert not (image_home / "dev").exists()
    assert not (image_home / "tests").exists()


def test_every_dag_file_passes_astros_integrity_test_in_the_image_copy(image_home: Path) -> None:
    result = _astro_dev_parse(image_home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    for name in DAG_FILES:
        assert f"PASSED {INTEGRITY_TEST}::test_file_imports[dags/{name}]" in result.stdout


def test_a_dag_file_that_fails_to_import_fails_the_check_naming_it(image_home: Path) -> None:
    broken = image_home / "dags" / DAG_FILES[0]
    broken.write_text(broken.read_text() + "\nraise RuntimeError('a broken DAG file')\n")
    result = _astro_dev_parse(image_home)
    assert result.returncode == 1
    assert f"FAILED {INTEGRITY_TEST}::test_file_imports[dags/{DAG_FILES[0]}]" in result.stdout
    assert "a broken DAG file" in result.stdout


def test_a_file_listed_as_an_exception_is_tolerated(image_home: Path) -> None:
    broken = image_home / "dags" / DAG_FILES[0]
    broken.write_text(broken.read_text() + "\nraise RuntimeError('a broken DAG file')\n")
    exceptions = image_home / ".astro" / "dag_integrity_exceptions.txt"
    exceptions.write_text(exceptions.read_text() + f"dags/{DAG_FILES[0]}\n")
    result = _astro_dev_parse(image_home)
    assert result.returncode == 0, result.stdout[-3000:]

"""Under CI=true a skip is a failure (tests/no_skip_in_ci.py), in a real pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SKIPPING = """
import pytest

def test_passes():
    pass

def test_skips():
    pytest.skip("no server here")

@pytest.fixture
def service():
    pytest.skip("the service is missing")

def test_needs_the_service(service):
    pass

@pytest.mark.xfail(reason="a known bug")
def test_known_bug():
    assert False
"""
SKIPPED_MODULE = 'import pytest\npytest.skip("no data here", allow_module_level=True)\n'


def run_pytest(folder: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(ROOT)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # a quicker start; the plugin is named
    command = [sys.executable, "-m", "pytest", "-p", "tests.no_skip_in_ci", "-p",
               "no:cacheprovider", "-q", "-rfE", "--rootdir", str(folder), str(folder)]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=folder)


def test_under_ci_every_skip_fails_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    done = run_pytest(tmp_path, "true")
    assert done.returncode == 1, done.stdout
    summary = done.stdout.strip().splitlines()[-1]
    assert "1 failed" in summary and "1 passed" in summary and "1 xfailed" in summary
    assert "1 error" in summary and "skipped" not in summary
    for reason in ("no server here", "the service is missing"):
        assert f"skipped under CI=true, where nothing may skip: {reason}" in done.stdout


def test_under_ci_a_skipped_module_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_skipped_module.py").write_text(SKIPPED_MODULE)
    done = run_pytest(tmp_path, "true")
    assert done.returncode == 2, done.stdout  # interrupted: an error during collection
    assert "skipped under CI=true, where nothing may skip: no data here" in done.stdout


def test_outside_ci_a_skip_stays_a_skip(tmp_path: Path) -> None:
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    (tmp_path / "test_skipped_module.py").write_text(SKIPPED_MODULE)
    done = run_pytest(tmp_path, "false")
    assert done.returncode == 0, done.stdout
    summary = done.stdout.strip().splitlines()[-1]
    assert "1 passed" in summary and "3 skipped" in summary and "1 xfailed" in summary

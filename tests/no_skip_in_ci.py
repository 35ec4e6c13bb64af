"""A pytest plugin: under CI=true nothing may skip.

Outside CI a test whose service or data is missing skips with the reason (a laptop
without PostgreSQL can still run the rest). Under CI=true the same skip is reported as
a failure, with that reason, so a green CI run has run every test. Expected failures
(xfail) are not skips and stay as they are.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest


def in_ci() -> bool:
    """Whether the run is CI's: CI=true (or 1, yes)."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _as_failure(report: pytest.TestReport | pytest.CollectReport) -> None:
    if not (in_ci() and report.skipped and not hasattr(report, "wasxfail")):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true, where nothing may skip: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _as_failure(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    _as_failure(report)
    return report

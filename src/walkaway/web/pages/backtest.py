"""The backtest's latest results and its files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from walkaway.errors import InputError, NotFound
from walkaway.web.context import CurrentUser, get_settings
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)
BACKTEST_FILES = {
    "calibration.png": "image/png",
    "precision_effort.png": "image/png",
    "tradeoff.png": "image/png",
    "report.html": "text/html; charset=utf-8",
    "metrics.json": "application/json",
}
METRIC_ROWS = (
    ("Wins given up", "wins_sacrificed", "count"),
    ("Share of wins given up", "wins_sacrificed_share", "percent"),
    ("Walk-aways that were lost anyway (precision)", "precision", "percent"),
    ("Selling hours freed", "hours_saved", "hours"),
    ("Share of the effort on lost deals saved", "effort_saved_share", "percent"),
    ("Days before the loss (median)", "lead_time_days", "days"),
    ("Ranking quality (AUC)", "auc", "number"),
    ("Calibration error (Brier)", "brier", "number"),
)


def _backtest_folder(request: Request) -> Path | None:
    folder = get_settings(request).backtest_dir
    return folder if folder is not None and (folder / "metrics.json").is_file() else None


@router.get("/backtest", response_class=HTMLResponse)
def backtest_page(request: Request, user: CurrentUser) -> HTMLResponse:
    """The latest backtest written with ``walkaway backtest --out DIR`` (``--backtest-dir``)."""
    folder = _backtest_folder(request)
    context: dict[str, Any] = {
        "folder": str(get_settings(request).backtest_dir or ""),
        "metrics": None,
        "rows": METRIC_ROWS,
    }
    if folder is not None:
        try:
            context["metrics"] = json.loads((folder / "metrics.json").read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise InputError(f"{folder / 'metrics.json'} is unreadable: {error}") from error
        context["images"] = [
            n for n in BACKTEST_FILES if n.endswith(".png") and (folder / n).is_file()
        ]
        context["has_report"] = (folder / "report.html").is_file()
    return render(request, "backtest.html", context)


@router.get("/backtest/files/{name}")
def backtest_file(request: Request, name: str, user: CurrentUser) -> FileResponse:
    """One of the backtest's own files (only those names, only from that folder)."""
    folder = _backtest_folder(request)
    if folder is None or name not in BACKTEST_FILES or not (folder / name).is_file():
        raise NotFound(f"no backtest file {name!r}; run `walkaway backtest --out DIR` first")
    return FileResponse(folder / name, media_type=BACKTEST_FILES[name])

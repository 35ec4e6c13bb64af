"""Dashboard pages: the backtest's latest results and the leadership check as a form."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool

from walkaway.errors import InputError, NotFound
from walkaway.leadership.check import QUESTIONS, Area, Phase, Verdict
from walkaway.leadership.questions import HIGHEST, LOWEST, ROLE_AREAS
from walkaway.service.leadership import latest_checks, save_check
from walkaway.web.auth import check_form_csrf
from walkaway.web.context import CurrentUser, StoreDep, get_settings
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


def _questionnaire() -> list[dict[str, Any]]:
    """The questions grouped by area, role areas first, with the words of each answer."""
    groups: list[dict[str, Any]] = []
    for area in Area:
        questions = [q for q in QUESTIONS if q.area is area]
        if questions:
            groups.append({"area": area, "role": area in ROLE_AREAS, "questions": questions})
    return groups


def _leadership_context(answers: dict[str, int], by: str, error: str | None) -> dict[str, Any]:
    return {
        "groups": _questionnaire(),
        "answers": answers,
        "by": by,
        "scale": range(LOWEST, HIGHEST + 1),
        "form_error": error,
        "saved": None,
        "phases": list(Phase),
        "verdicts": Verdict,
    }


@router.get("/leadership", response_class=HTMLResponse)
def leadership_page(request: Request, user: CurrentUser, store: StoreDep) -> HTMLResponse:
    """A sales leader's self-check: should you walk away from the role?"""
    by = user.name if get_settings(request).auth else ""
    context = _leadership_context({}, by, None)
    context["last"] = latest_checks(store, by, 1) if by else []
    return render(request, "leadership.html", context)


def _answers(form: dict[str, str]) -> dict[str, int]:
    known = {q.id for q in QUESTIONS}
    return {k: int(v) for k, v in form.items() if k in known and v.strip().isdigit()}


@router.post("/leadership", response_class=HTMLResponse)
async def leadership_submit(request: Request, user: CurrentUser, store: StoreDep) -> HTMLResponse:
    """Score and keep the check; show the report and what changed since the last one."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_form_csrf(request, form.get("csrf_token"))
    team = get_settings(request).auth
    by = user.name if team else (form.get("by") or "").strip()
    answers = _answers(form)
    try:
        if not by:
            raise InputError("say who takes the check (your name), so the next one compares")
        saved = await run_in_threadpool(save_check, store, answers, by, datetime.now(UTC))
    except InputError as error:
        context = _leadership_context(answers, by, str(error))
        context["last"] = []
        return render(request, "leadership.html", context, status=422)
    context = _leadership_context(answers, by, None)
    context["saved"] = saved
    context["last"] = []
    return render(request, "leadership.html", context)

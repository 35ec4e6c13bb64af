"""The leadership self-check as a form, and its report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from walkaway.errors import InputError
from walkaway.leadership.check import QUESTIONS, Area, Phase, Verdict
from walkaway.leadership.questions import HIGHEST, LOWEST, ROLE_AREAS
from walkaway.service.leadership import latest_checks, save_check
from walkaway.web.auth import check_form_csrf
from walkaway.web.context import CurrentUser, StoreDep, get_settings
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)


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

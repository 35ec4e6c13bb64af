"""The review board (``/``): what to do with each deal, most urgent first.

Every page works without JavaScript; forms post back with the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from walkaway.service.decisions import human_decisions
from walkaway.service.forecast import forecast_by_period, forecast_chart_of
from walkaway.web import board
from walkaway.web.cache import filtered
from walkaway.web.charts import forecast_bars, value_by_call
from walkaway.web.context import AsOf, CacheDep, CurrentUser, StoreDep, get_settings, owner_filter
from walkaway.web.present import as_of_value
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query()]


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _board_link(as_of: datetime, filters: dict[str, str], page: int) -> Callable[..., str]:
    """A function for the template: this board's URL with some parameters changed."""

    def link(**changes: object) -> str:
        params: dict[str, object] = {"as_of": as_of_value(as_of), **filters, "page": page}
        params.update(changes)
        kept = {
            k: v
            for k, v in params.items()
            if k == "as_of" or (v not in ("", None) and not (k == "page" and v == 1))
        }
        return "/?" + urlencode(kept)

    return link


@router.get("/", response_class=HTMLResponse)
def board_page(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    cache: CacheDep,
    as_of: AsOf,
    owner: Text = None,
    stage: Text = None,
    call: Text = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    """The monthly review on one page: what to do with each deal, most urgent first."""
    cached = cache.get(as_of)
    owner, stage, call = owner_filter(user, _blank(owner)), _blank(stage), _blank(call)
    result = filtered(cached, owner, stage)
    summary = result.summary
    decided = human_decisions(store, as_of)
    shown = board.page_of(result.deals, call, page, get_settings(request).page_size, decided)
    filters = {"owner": owner or "", "stage": stage or "", "call": call or ""}
    context: dict[str, Any] = {
        "summary": summary,
        "page": shown,
        "filters": filters,
        "link": _board_link(as_of, filters, shown.number),
        "choices": board.choices(filtered(cached, owner_filter(user, None), None)),
        "per_rep": board.per_rep(result.deals, summary["currency"]),
        "per_stage": board.per_stage(result.deals, summary["currency"]),
        "value_chart": value_by_call(
            board.value_by_call(result.deals, summary["currency"]), summary["currency"]
        ),
        "forecast_chart": forecast_bars(
            summary["forecast"], summary["forecast_without_walk_aways"], summary["currency"]
        ),
        "period_chart": forecast_chart_of(forecast_by_period(store, result)),
    }
    return render(request, "board.html", context, as_of=as_of)

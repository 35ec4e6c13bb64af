"""What wins here (``/insights``): win rates by segment, the funnel, the confirmed facts."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from walkaway.service.insights import insights
from walkaway.web.context import AsOf, CurrentUser, StoreDep
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/insights", response_class=HTMLResponse)
def insights_page(
    request: Request, user: CurrentUser, store: StoreDep, as_of: AsOf
) -> HTMLResponse:
    """What wins here, from the deals closed before the date (the team's, whoever asks:
    the segments are the team's own history, not a rep's deals)."""
    found = insights(store, as_of, turns=False)
    facts = found.facts
    verdicts = (
        facts.group_by("verdict", maintain_order=True).agg(
            (pl.col("field") + " " + pl.col("value")).str.replace_all("_", " ").alias("facts")
        )
        if facts.height
        else pl.DataFrame({"verdict": [], "facts": []})
    )
    context: dict[str, Any] = {
        "found": found,
        "rates": found.rates.with_columns(pl.col("column").str.replace_all("_", " ")).to_dicts(),
        "funnel": found.funnel.to_dicts() if found.funnel["reached"].sum() else [],
        "verdicts": verdicts.to_dicts(),
    }
    return render(request, "insights.html", context, as_of=as_of)

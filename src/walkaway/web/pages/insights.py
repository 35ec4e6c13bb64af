"""What wins here (``/insights``): win rates by segment, the funnel, the confirmed facts."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from walkaway.service.insights import Insights, insights, turn_headline
from walkaway.web.context import AsOf, CacheDep, CurrentUser, StoreDep
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/insights", response_class=HTMLResponse)
def insights_page(
    request: Request, user: CurrentUser, store: StoreDep, cache: CacheDep, as_of: AsOf
) -> HTMLResponse:
    """What wins here, from the deals closed before the date (the team's, whoever asks:
    the segments are the team's own history, not a rep's deals), and where lost deals
    turn (the team loss review: seconds, so kept until the store changes)."""
    found = cache.remember(("insights", as_of), lambda: insights(store, as_of), _size)
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
        "turns": found.turns.to_dicts(),
        "turn_headline": turn_headline(found.turns),
    }
    return render(request, "insights.html", context, as_of=as_of)


def _size(found: Insights) -> int:
    frames = (found.rates, found.funnel, found.facts, found.turns)
    return sum(int(frame.estimated_size()) for frame in frames) + 1_000

"""The forecast by period (``walkaway forecast --by month|quarter --format json``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from walkaway.service.forecast import Period, forecast_by_period, forecast_json
from walkaway.web.api.routing import Owner, api_router
from walkaway.web.cache import filtered
from walkaway.web.context import AsOf, CacheDep, CurrentUser, StoreDep, owner_filter
from walkaway.web.schemas import ForecastOut

router = api_router()


@router.get("/forecast", response_model=ForecastOut, tags=["review"])
def get_forecast(
    user: CurrentUser,
    store: StoreDep,
    cache: CacheDep,
    as_of: AsOf,
    by: Annotated[Period, Query(description="month or quarter")] = Period.MONTH,
    owner: Owner = None,
) -> ForecastOut:
    """Expected won value per month or quarter of expected close, with and without the
    walk-away candidates; the deals past their expected close first (`slipped`). A deal
    without an expected close is placed by the team's own time to close. The periods add
    up to the review's forecast. A rep gets their own deals."""
    result = filtered(cache.get(as_of), owner_filter(user, owner), None)
    return ForecastOut.model_validate(forecast_json(forecast_by_period(store, result, by)))

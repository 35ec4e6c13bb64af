"""Dashboard pages, one module per area; each has its ``router`` (none in the API schema).

Every page works without JavaScript; forms post back with the session's CSRF token.
"""

from walkaway.web.pages import (
    backtest,
    changes,
    deal,
    insights,
    journal,
    leadership,
    losses,
    pipeline,
    review,
    session,
)

ROUTERS = tuple(
    module.router
    for module in (
        review,
        changes,
        deal,
        pipeline,
        session,
        journal,
        insights,
        losses,
        backtest,
        leadership,
    )
)

__all__ = ["ROUTERS"]

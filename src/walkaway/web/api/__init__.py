"""The JSON API under ``/api``, one module per area; each has its ``router``
(:func:`walkaway.web.api.routing.api_router`)."""

from walkaway.web.api import changes, deals, forecast, imports, journal, meta, policy, review

ROUTERS = tuple(
    module.router for module in (meta, review, changes, forecast, deals, policy, imports, journal)
)

__all__ = ["ROUTERS"]

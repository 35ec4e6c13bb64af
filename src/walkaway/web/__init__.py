"""The web edge: the JSON API and the dashboard, built by :func:`create_app`.

``create_app(WebSettings(...))`` returns a FastAPI app; ``walkaway serve`` runs it with
uvicorn. Nothing here is created at import time, and names load on first use
(:func:`walkaway.lazy.lazy_face`): the settings alone do not load FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from walkaway.lazy import lazy_face

if TYPE_CHECKING:
    from walkaway.web.app import create_app
    from walkaway.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]

__getattr__, __dir__ = lazy_face(__name__, {"create_app": "app", "WebSettings": "settings"})

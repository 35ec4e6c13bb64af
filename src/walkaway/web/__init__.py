"""The web edge: the JSON API and the dashboard, built by :func:`create_app`.

``create_app(WebSettings(...))`` returns a FastAPI app; ``walkaway serve`` runs it with
uvicorn. Nothing here is created at import time.
"""

from walkaway.web.app import create_app
from walkaway.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]

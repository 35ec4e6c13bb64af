"""Rendering pages: the Jinja environment (autoescape always on) and what every page gets."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from walkaway import __version__
from walkaway.web.auth import csrf_token, current_user
from walkaway.web.present import as_of_value, install_filters
from walkaway.wording import separated

TEMPLATES = Path(__file__).with_name("templates")
NAV = (
    ("/", "Review board"),
    ("/changes", "Changed since"),
    ("/journal", "Journal"),
    ("/losses", "Losses"),
    ("/insights", "What wins"),
    ("/backtest", "Backtest"),
    ("/import", "Import"),
    ("/policy", "Policy"),
    ("/leadership", "Leadership check"),
    ("/docs", "API"),
)


def make_templates() -> Jinja2Templates:
    """Templates that escape every value (HTML and SVG alike) unless marked safe."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=separated,
    )
    install_filters(env)
    env.globals["NAV"] = NAV
    env.globals["VERSION"] = __version__
    return Jinja2Templates(env=env)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    as_of: datetime | None = None,
    public: bool = False,
) -> HTMLResponse:
    """A page, with the signed-in user, the CSRF token for its forms and the as-of date.

    A ``public`` page (sign-in, API list) shows whoever is signed in, if anyone.
    """
    settings = request.app.state.settings
    signed_in = getattr(request.state, "user", None)
    user = signed_in if public and settings.auth else current_user(request)
    base: dict[str, Any] = {
        "user": user,
        "team_mode": settings.auth,
        "csrf_token": csrf_token(request),
        "as_of": as_of,
        "as_of_text": as_of_value(as_of) if as_of else "",
        "as_of_label": as_of_value(as_of).replace("T", " ") if as_of else "",
        "as_of_date": f"{as_of:%Y-%m-%d}" if as_of else "",
        "as_of_iso": as_of.isoformat() if as_of else "",
        "path": request.url.path,
    }
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, {**base, **context}, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response

"""The team's pipeline and policy: importing an export, editing the policy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from walkaway.errors import ImportFailed, InputError
from walkaway.importers import FORMATS
from walkaway.policy import default_policy_text
from walkaway.service import save_policy, stored_policy_text
from walkaway.web.auth import Csrf, check_form_csrf, require_manager
from walkaway.web.context import CurrentUser, StoreDep, get_settings
from walkaway.web.render import render
from walkaway.web.uploads import PAGE_FIELDS, Reading, import_uploads, in_field_words

router = APIRouter(include_in_schema=False)


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, user: CurrentUser) -> HTMLResponse:
    return render(request, "import.html", {"formats": ["auto", *FORMATS], "result": None})


@router.post("/import", response_class=HTMLResponse)
def import_submit(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    deals: Annotated[UploadFile, File()],
    activities: Annotated[UploadFile | None, File()] = None,
    format: Annotated[str, Form()] = "auto",
    dates: Annotated[str, Form()] = "",
    decimal: Annotated[str, Form()] = "",
    sheet: Annotated[str, Form()] = "",
    csrf_token: Csrf = "",
) -> HTMLResponse:
    """Upload a CRM export; any invalid row lists every problem and writes nothing.
    Dates, decimal mark and sheet are walkaway import's --dayfirst/--monthfirst,
    --decimal and --sheet; a refusal names them as the page does."""
    check_form_csrf(request, csrf_token)
    require_manager(user, "import a pipeline")
    context: dict[str, Any] = {"formats": ["auto", *FORMATS], "result": None, "format": format}
    context.update(dates=dates, decimal=decimal, sheet=sheet)
    try:
        reading = Reading.from_form(dates, decimal, sheet)
        settings = get_settings(request)
        context["result"] = import_uploads(
            store, deals, activities, format, settings, reading=reading
        )
    except ImportFailed as error:
        context["problems"] = error.problems
        context["problem_total"] = error.total
        return render(request, "import.html", context, status=422)
    except InputError as error:
        context["problems"] = [str(in_field_words(error, PAGE_FIELDS))]
        context["problem_total"] = 1
        return render(request, "import.html", context, status=422)
    request.app.state.cache.invalidate()
    return render(request, "import.html", context)


@router.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request, user: CurrentUser, store: StoreDep) -> HTMLResponse:
    text = stored_policy_text(store)
    context = {
        "source": "default" if text is None else "stored",
        "toml": default_policy_text() if text is None else text,
        "saved": request.query_params.get("saved") == "1",
        "policy_error": None,
    }
    return render(request, "policy.html", context)


@router.post("/policy", response_model=None)
def policy_submit(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    toml: Annotated[str, Form()],
    csrf_token: Csrf = "",
) -> Response:
    """Save an edited policy (a manager's); a bad one is shown again with the reason."""
    check_form_csrf(request, csrf_token)
    require_manager(user, "change the policy")
    try:
        save_policy(store, toml.replace("\r\n", "\n"))
    except InputError as error:
        context = {"source": "edited", "toml": toml, "saved": False, "policy_error": str(error)}
        return render(request, "policy.html", context, status=422)
    request.app.state.cache.invalidate()
    return RedirectResponse("/policy?saved=1", status_code=303)

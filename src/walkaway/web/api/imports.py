"""Importing a CRM export over the API, validated as ``walkaway import`` does."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, UploadFile

from walkaway.web.api.routing import api_router
from walkaway.web.auth import require_manager
from walkaway.web.context import CurrentUser, StoreDep, get_settings
from walkaway.web.schemas import ImportOut
from walkaway.web.uploads import import_uploads

router = api_router()


@router.post("/import", response_model=ImportOut, tags=["import"])
def post_import(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    deals: Annotated[UploadFile, File(description="Deals file (CSV or XLSX)")],
    activities: Annotated[UploadFile | None, File(description="Activities file")] = None,
    format: Annotated[str, Form(description="auto, generic, salesforce, ...")] = "auto",
) -> ImportOut:
    """Import a CRM export, validated as ``walkaway import`` does: when any row is invalid
    nothing is written and the 422 lists every problem (file, row, column, value)."""
    require_manager(user, "import a pipeline")
    summary = import_uploads(store, deals, activities, format, get_settings(request))
    request.app.state.cache.invalidate()
    return ImportOut(
        format=summary.format,
        deals_new=summary.deals_new,
        deals_updated=summary.deals_updated,
        deals_unchanged=summary.deals_unchanged,
        activities_new=summary.activities_new,
        activities_unchanged=summary.activities_unchanged,
        run_id=summary.run_id,
        notes=list(summary.notes),
    )

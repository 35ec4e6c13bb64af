"""Importing a CRM export over the API, validated as ``walkaway import`` does."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, Response, UploadFile

from walkaway.models import ImportSummary
from walkaway.service.idempotency import Answer, Then, once
from walkaway.web.api.routing import IdempotencyKey, answered, api_router, key_for
from walkaway.web.auth import require_manager
from walkaway.web.context import CurrentUser, StoreDep, get_settings
from walkaway.web.schemas import ImportOut
from walkaway.web.uploads import import_uploads, uploads_digest

router = api_router()


@router.post("/import", response_model=ImportOut, tags=["import"])
def post_import(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    deals: Annotated[UploadFile, File(description="Deals file (CSV or XLSX)")],
    activities: Annotated[UploadFile | None, File(description="Activities file")] = None,
    format: Annotated[str, Form(description="auto, generic, salesforce, ...")] = "auto",
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Import a CRM export, validated as ``walkaway import`` does: when any row is invalid
    nothing is written and the 422 lists every problem (file, row, column, value). With
    an ``Idempotency-Key``, a retry of the same files gets the first answer back."""
    require_manager(user, "import a pipeline")
    settings = get_settings(request)

    def write(then: Then[ImportSummary] | None) -> ImportSummary:
        return import_uploads(store, deals, activities, format, settings, then)

    sent = format.encode() + b"\0" + uploads_digest(deals, activities)
    said = once(store, key_for(request, user, idempotency_key, sent), write, _import_answer)
    request.app.state.cache.invalidate()
    return answered(said)


def _import_answer(summary: ImportSummary) -> Answer:
    out = ImportOut(
        format=summary.format,
        deals_new=summary.deals_new,
        deals_updated=summary.deals_updated,
        deals_unchanged=summary.deals_unchanged,
        activities_new=summary.activities_new,
        activities_unchanged=summary.activities_unchanged,
        run_id=summary.run_id,
        notes=list(summary.notes),
    )
    return Answer(200, out.model_dump_json())

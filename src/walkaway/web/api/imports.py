"""Importing a CRM export over the API, validated as ``walkaway import`` does."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import File, Form, Request, Response, UploadFile

from walkaway.errors import ImportFailed, InputError
from walkaway.models import ImportSummary
from walkaway.service.idempotency import Answer, Then, once
from walkaway.web.api.routing import IdempotencyKey, answered, api_router, key_for
from walkaway.web.auth import require_manager
from walkaway.web.context import CurrentUser, StoreDep, get_settings
from walkaway.web.schemas import ImportOut
from walkaway.web.uploads import Reading, import_uploads, in_field_words, uploads_digest

router = api_router()


@router.post("/import", response_model=ImportOut, tags=["import"])
def post_import(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    deals: Annotated[UploadFile, File(description="Deals file (CSV or XLSX)")],
    activities: Annotated[UploadFile | None, File(description="Activities file")] = None,
    format: Annotated[
        Literal["auto", "generic", "salesforce", "hubspot", "pipedrive", "maven"],
        Form(description="The export's CRM, or auto: told from its headers"),
    ] = "auto",
    dates: Annotated[
        Literal["day-first", "month-first"] | None,
        Form(description="How 03/04/2026 reads where a date column's cells cannot say"),
    ] = None,
    decimal: Annotated[
        Literal[",", "."] | None,
        Form(description="The decimal mark where a number column's cells cannot say"),
    ] = None,
    sheet: Annotated[
        str | None, Form(description="The sheet of an XLSX deals file: its name or number")
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Import a CRM export, validated as ``walkaway import`` does: when any row is invalid
    nothing is written and the 422 lists every problem (file, row, column, value). With
    an ``Idempotency-Key``, a retry of the same files gets the first answer back.
    ``dates``, ``decimal`` and ``sheet`` are ``walkaway import``'s --dayfirst /
    --monthfirst, --decimal and --sheet."""
    require_manager(user, "import a pipeline")
    settings = get_settings(request)

    reading = Reading(dates, decimal, sheet)

    def write(then: Then[ImportSummary] | None) -> ImportSummary:
        try:
            return import_uploads(store, deals, activities, format, settings, then, reading)
        except ImportFailed:
            raise
        except InputError as error:
            raise in_field_words(error) from None

    sent = format.encode() + b"\0" + reading.digest() + b"\0" + uploads_digest(deals, activities)
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

"""Uploaded CRM exports: saved under their own names in a private folder, then imported
exactly as ``walkaway import`` would (all rows valid, or nothing written)."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fastapi import UploadFile

from walkaway.errors import ImportFailed, InputError
from walkaway.models import ImportSummary
from walkaway.service import Store, import_files
from walkaway.service.idempotency import Then
from walkaway.web.settings import WebSettings

ALLOWED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}
ZIP_MAGIC = b"PK\x03\x04"


def safe_name(filename: str | None, fallback: str, head: bytes = b"") -> str:
    """The file's own name without any folder, in plain characters (it names the file in
    every problem line). A name without a suffix gets the one its first bytes say
    (``head``): a workbook is a zip (``.xlsx``), anything else is read as CSV."""
    name = Path((filename or "").replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._ -]", "_", name).strip(" .")
    if not name:
        return fallback
    if not Path(name).suffix:
        return name + (".xlsx" if head.startswith(ZIP_MAGIC) else ".csv")
    if Path(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise InputError(f"{name}: expected a CSV or XLSX file (.csv, .xlsx)")
    return name


def _head(stream: BinaryIO) -> bytes:
    """The stream's first bytes, the stream left at its start."""
    head = stream.read(len(ZIP_MAGIC))
    stream.seek(0)
    return head


def _save(source: BinaryIO, folder: Path, name: str) -> Path:
    path = folder / name
    with path.open("wb") as target:
        shutil.copyfileobj(source, target, length=1 << 20)
    return path


@dataclass(frozen=True)
class Reading:
    """How an upload is read where its cells cannot say (the form fields ``dates``,
    ``decimal``, ``sheet``, as ``walkaway import`` takes --dayfirst/--monthfirst,
    --decimal and --sheet)."""

    dates: str | None = None  # "day-first" or "month-first"
    decimal: str | None = None  # "," or "."
    sheet: str | None = None

    def digest(self) -> bytes:
        return "\0".join(v or "" for v in (self.dates, self.decimal, self.sheet)).encode()

    @classmethod
    def from_form(cls, dates: str, decimal: str, sheet: str) -> Reading:
        """The import page's choices ("" for: as the file's cells say, the first sheet)."""
        if dates not in ("", "day-first", "month-first") or decimal not in ("", ",", "."):
            raise InputError("dates and decimal mark: expected one of the choices offered")
        return cls(dates or None, decimal or None, sheet.strip() or None)


# The command line's options, as the API's form fields and the import page name them.
API_FIELDS = {
    "--dayfirst": "dates=day-first",
    "--monthfirst": "dates=month-first",
    "--decimal ,": "decimal=,",
    "--decimal .": "decimal=.",
    "--sheet": "sheet",
}
PAGE_FIELDS = {
    "--dayfirst": "'Dates: day first'",
    "--monthfirst": "'Dates: month first'",
    "--decimal ,": "'Decimal mark: comma'",
    "--decimal .": "'Decimal mark: point'",
    "--sheet": "'Sheet'",
}


def in_field_words(error: InputError, fields: Mapping[str, str] = API_FIELDS) -> InputError:
    """A refusal that names the command line's options, naming the fields that say the
    same where the import came from (the API's, or the import page's)."""
    text = str(error)
    for option, field in fields.items():
        text = text.replace(option, field)
    return error if text == str(error) else InputError(text)


def import_streams(
    store: Store,
    deals: tuple[str | None, BinaryIO],
    activities: tuple[str | None, BinaryIO] | None,
    format: str,
    settings: WebSettings,
    then: Then[ImportSummary] | None = None,
    reading: Reading | None = None,
) -> ImportSummary:
    """Import ``(filename, stream)`` pairs; raises ImportFailed / InputError like the CLI
    (``then``: see :func:`walkaway.service.import_files`)."""
    reading = reading or Reading()
    deals_name = safe_name(deals[0], "deals.csv", _head(deals[1]))
    acts_name = (
        safe_name(activities[0], "activities.csv", _head(activities[1])) if activities else None
    )
    if acts_name == deals_name:
        acts_name = "activities-" + acts_name
    with tempfile.TemporaryDirectory(prefix="walkaway-upload-") as tmp:
        folder = Path(tmp)
        deals_path = _save(deals[1], folder, deals_name)
        acts_path = _save(activities[1], folder, acts_name) if activities and acts_name else None
        try:
            return import_files(
                store,
                deals_path,
                acts_path,
                format=format,
                default_currency=settings.default_currency,
                then=then,
                decimal=reading.decimal,
                day_first=None if reading.dates is None else reading.dates == "day-first",
                sheet=reading.sheet,
            )
        except ImportFailed as error:
            problems = [line.replace(f"{folder}/", "") for line in error.problems]
            raise ImportFailed(problems, error.total) from None


def import_uploads(
    store: Store,
    deals: UploadFile,
    activities: UploadFile | None,
    format: str,
    settings: WebSettings,
    then: Then[ImportSummary] | None = None,
    reading: Reading | None = None,
) -> ImportSummary:
    """The API's and the import page's upload: see :func:`import_streams`."""
    acts = (activities.filename, activities.file) if activities and activities.filename else None
    deals_file = (deals.filename, deals.file)
    return import_streams(store, deals_file, acts, format, settings, then, reading)


def uploads_digest(*uploads: UploadFile | None) -> bytes:
    """What was sent, for an Idempotency-Key: each file's name and bytes, hashed a
    megabyte at a time (each stream left at its start for the import)."""
    digest = hashlib.sha256()
    for upload in uploads:
        if upload is None or not upload.filename:
            digest.update(b"\0none\0")
            continue
        digest.update(upload.filename.encode() + b"\0")
        stream = upload.file
        stream.seek(0)
        while block := stream.read(1 << 20):
            digest.update(block)
        stream.seek(0)
    return digest.digest()

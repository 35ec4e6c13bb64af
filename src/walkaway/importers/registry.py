"""The known source formats and picking one from a file's headers."""

from __future__ import annotations

from walkaway.errors import InputError
from walkaway.importers import generic, hubspot, maven, pipedrive, salesforce
from walkaway.importers.base import SourceFormat

FORMATS: dict[str, SourceFormat] = {
    f.name: f
    for f in (generic.FORMAT, salesforce.FORMAT, hubspot.FORMAT, pipedrive.FORMAT, maven.FORMAT)
}


def detect_format(headers: list[str], label: str) -> SourceFormat:
    """The format whose headers fit best; refuse when none fits."""
    scores = {name: f.detect(headers) for name, f in FORMATS.items()}
    best = max(scores, key=lambda n: scores[n])
    if scores[best] <= 0:
        shown = ", ".join(headers[:8]) + (", ..." if len(headers) > 8 else "")
        raise InputError(
            f"{label}: cannot tell which export this is from its headers ({shown}); "
            f"pass --format with one of: {', '.join(FORMATS)}, or map its columns with "
            f"--map COLUMN=HEADER (walkaway import --inspect {label} shows what is missing)"
        )
    return FORMATS[best]


def get_format(name: str) -> SourceFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise InputError(
            f"unknown format {name!r}; expected one of: auto, {', '.join(FORMATS)}"
        ) from None

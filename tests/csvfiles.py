"""Writing small export files for tests, in the encodings and line endings people send."""

from __future__ import annotations

from pathlib import Path

DEALS_HEADER = "deal_id,name,account,owner,stage,amount,created_at,closed_at,outcome"
ACTIVITIES_HEADER = "deal_id,at,kind,direction,status,hours,stage,detail,actor"


def write(path: Path, lines: list[str], *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode(encoding))
    return path


def deals_csv(tmp: Path, rows: list[str], name: str = "deals.csv", **kwargs: str) -> Path:
    return write(tmp / name, [DEALS_HEADER, *rows], **kwargs)


def activities_csv(tmp: Path, rows: list[str], name: str = "activities.csv") -> Path:
    return write(tmp / name, [ACTIVITIES_HEADER, *rows])

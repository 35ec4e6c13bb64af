"""Files an attacker or a careless export makes: odd encodings, damaged workbooks, zip
bombs, extreme numbers, control characters. Each is bytes and a file name; used by
``test_hostile_files.py`` and, by the thousand, by ``benchmarks/fuzz_import.py``."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable
from datetime import datetime

from openpyxl import Workbook

HEADER = ["deal_id", "name", "owner", "stage", "amount", "created_at", "outcome"]
ROW = ["H-1", "Acme rollout", "Ana", "Proposal", 12000, datetime(2026, 1, 5), "open"]
SHEET = "xl/worksheets/sheet1.xml"


def deals_text(rows: list[list[str]] | None = None) -> str:
    body = rows if rows is not None else [[str(c) if c != ROW[5] else "2026-01-05" for c in ROW]]
    return "\n".join(",".join(r) for r in [HEADER, *body]) + "\n"


def workbook(rows: list[list[object]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *(rows if rows is not None else [ROW])]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The workbook with each part passed through ``change(name, bytes)``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            target.writestr(entry.filename, change(entry.filename, source.read(entry.filename)))
    return out.getvalue()


def with_sheet(data: bytes, change: Callable[[bytes], bytes]) -> bytes:
    return rezip(data, lambda name, part: change(part) if name == SHEET else part)


def cell_value(data: bytes, cell: str, value: bytes, kind: bytes | None = None) -> bytes:
    """The workbook with ``<v>`` of ``cell`` replaced (and its type ``t`` if given)."""

    def change(sheet: bytes) -> bytes:
        pattern = rb'<c r="' + cell.encode() + rb'"([^>]*)>.*?</c>'

        def cell_xml(found: re.Match[bytes]) -> bytes:
            attributes = re.sub(rb' t="[^"]*"', b"", found.group(1))
            if kind is not None:
                attributes += b' t="' + kind + b'"'
            return b'<c r="' + cell.encode() + b'"' + attributes + b"><v>" + value + b"</v></c>"

        return re.sub(pattern, cell_xml, sheet, count=1)

    return with_sheet(data, change)


def malformed_workbooks() -> dict[str, bytes]:
    """Workbooks whose cells a spreadsheet would never write."""
    good = workbook()
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b"<!ENTITY " + bytes([98 + i]) + b' "' + (b"&" + bytes([97 + i]) + b";") * 10 + b'">'
            for i in range(8)
        )
        + b"]>"
    )
    return {
        "text in a number cell": cell_value(good, "E2", b"lots", b"n"),
        "a shared string past the table": cell_value(good, "B2", b"999", b"s"),
        "a negative shared string": cell_value(good, "B2", b"-1", b"s"),
        "junk in a date cell": cell_value(good, "F2", b"someday"),
        "a date serial past 9999": cell_value(good, "F2", b"1e300"),
        "a boolean of 7": cell_value(good, "G2", b"7", b"b"),
        "an error cell": cell_value(good, "E2", b"#DIV/0!", b"e"),
        "a billion laughs": with_sheet(
            good, lambda sheet: laughs + sheet.replace(b"Acme rollout", b"&i;")
        ),
        "no sheet at all": rezip(good, lambda name, part: b"" if name == SHEET else part),
        "a sheet cut short": with_sheet(good, lambda sheet: sheet[: len(sheet) // 2]),
        "not a zip": b"PK\x03\x04" + b"\x00" * 64,
    }


def bomb(unpacked: int, *, lying: bool = False) -> bytes:
    """A workbook whose sheet unpacks to ``unpacked`` bytes of blanks (a few hundred KB
    packed); ``lying``: its zip says the sheet is 1 KB."""
    good = workbook()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            if entry.filename != SHEET:
                target.writestr(entry.filename, source.read(entry.filename))
                continue
            with target.open(SHEET, "w", force_zip64=False) as sheet:
                sheet.write(source.read(SHEET)[:-12])  # before </worksheet>
                chunk = b" " * (1 << 20)
                for _ in range(unpacked >> 20):
                    sheet.write(chunk)
                sheet.write(b"</worksheet>")
    data = out.getvalue()
    return _claim_size(data, SHEET, 1024) if lying else data


def _claim_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with ``name``'s uncompressed size written as ``size`` in both headers."""
    buffer = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entry = archive.getinfo(name)
    struct.pack_into("<I", buffer, entry.header_offset + 22, size)
    central = buffer.find(b"PK\x01\x02")
    while central >= 0:
        length = struct.unpack_from("<H", buffer, central + 28)[0]
        if bytes(buffer[central + 46 : central + 46 + length]) == name.encode():
            struct.pack_into("<I", buffer, central + 24, size)
        central = buffer.find(b"PK\x01\x02", central + 4)
    return bytes(buffer)


def odd_encodings() -> dict[str, bytes]:
    """The same deals file as the encodings and damage exports arrive in."""
    text = deals_text()
    return {
        "UTF-16 with BOM": text.encode("utf-16"),
        "UTF-16 cut to an odd length": text.encode("utf-16")[:-1],
        "UTF-16 with a stray byte": text.encode("utf-16") + b"\x00",
        "UTF-16 LE without BOM": text.encode("utf-16-le"),
        "UTF-16 BE without BOM": text.encode("utf-16-be"),
        "UTF-32": text.encode("utf-32"),
        "UTF-32 cut short": text.encode("utf-32")[:-3],
        "UTF-8 with BOM": text.encode("utf-8-sig"),
        "Windows-1252": text.replace("Acme", "Acmé").encode("cp1252"),
        "a BOM and nothing else": b"\xff\xfe",
        "UTF-8 cut inside a character": text.replace("Acme", "Acmé").encode("utf-8")[:-30]
        + "é".encode()[:1],
        "Shift JIS": text.replace("Ana", "山田").encode("shift_jis"),
        "GB18030": text.replace("Ana", "山田").encode("gb18030"),
    }

"""Reading CRM exports as people really get them, into frames of text.

Every cell comes back as a stripped string or null; parsing happens later, columnar.
Rows are numbered as a spreadsheet shows them: the header is row 1, the first record
row 2 (a quoted cell with line breaks stays one row).
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from walkaway import lazy
from walkaway.errors import InputError

if TYPE_CHECKING:
    import openpyxl
else:
    openpyxl = lazy.module("openpyxl")

ROW_COLUMN = "__row"
_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 65536
# What an Excel workbook may unpack to, and its number of parts: a workbook's sheet of
# 100,000 deals unpacks to about 40 MB; past this a file is a decompression bomb, or a
# sheet better read as CSV. Reading one this size stays under 1 GB of memory.
MAX_XLSX_UNPACKED = 100_000_000
MAX_XLSX_PARTS = 10_000


@dataclass(frozen=True)
class RawTable:
    """One file read as text: original headers, one string column each, plus ``__row``."""

    label: str
    frame: pl.DataFrame
    delimiter: str | None = None
    encoding: str | None = None
    # Where the file was read from (None for bytes): formats that join sibling files
    # (Maven's products.csv beside sales_pipeline.csv) look beside it.
    path: Path | None = None
    # True when the bytes read hold no NUL, so no cell can (the check of every cell for
    # one is then skipped); False when unknown.
    nul_free: bool = False

    @property
    def headers(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW_COLUMN]

    def head(self, rows: int) -> RawTable:
        """The same table cut to its first ``rows``."""
        return replace(self, frame=self.frame.head(rows))


def read_table(path: Path | str, label: str | None = None, sheet: str | None = None) -> RawTable:
    """Read a CSV or XLSX file into a :class:`RawTable`; ``sheet`` names a workbook's
    sheet by its name or number (1 is the first, the one read without it)."""
    path = Path(path)
    label = label or path.name
    if not path.is_file():
        raise InputError(f"{label}: file not found (expected a CSV or XLSX file at {path})")
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return replace(_read_xlsx(path, label, sheet), path=path)
    if path.suffix.lower() == ".xls":
        raise InputError(f"{label}: old Excel .xls is not supported; save it as .xlsx or .csv")
    if sheet is not None:
        raise InputError(
            f"{label}: --sheet {sheet!r} picks a sheet of an Excel workbook (.xlsx); a CSV "
            "file has one table: import it without --sheet"
        )
    return replace(read_csv_bytes(path.read_bytes(), label), path=path)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was in: UTF-8 (with or without BOM), UTF-16 or UTF-32 by
    their BOM, else Windows-1252. A byte that does not belong (a UTF-16 file cut to an
    odd length) reads as U+FFFD, which the checks then name, rather than failing."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return data.decode("utf-32", errors="replace"), "utf-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    without_bom = _utf16_without_bom(data)
    if without_bom:
        return data.decode(without_bom, errors="replace"), without_bom
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for a UTF-16 file saved without its BOM: text whose
    every other byte is NUL (each would otherwise be read as a NUL character)."""
    head = data[:4096]
    half = len(head) // 2
    if half < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd >= 0.8 * half and even < 0.1 * half:
        return "utf-16-le"
    if even >= 0.8 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def _sniff_delimiter(sample: str, header: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] > 0 else ","


def _unique_headers(raw: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for index, name in enumerate(raw):
        name = name.strip().strip("\ufeff") or f"column_{index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _as_utf8(data: bytes) -> tuple[bytes, str]:
    """The file as UTF-8 with LF line endings, and the encoding it was in (see :func:`decode`).

    A UTF-8 file is passed on as it is, never decoded and encoded again.
    """
    body, encoding = data, "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        body, encoding = data[3:], "utf-8-sig"
    if _utf16_without_bom(body) or not _is_utf8(body):
        text, encoding = decode(data)
        body = text.encode("utf-8")
    # One line ending for the parser: CRLF and lone CR (old Mac exports) become LF. A CR
    # byte in UTF-8 is always the character CR, so the bytes can be rewritten directly.
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return body, encoding


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_blank(body: bytes, head: str) -> bool:
    # Decode the whole file only when its first 256 KB are blank.
    return not head.strip() and not body.decode("utf-8").strip()


def read_csv_bytes(data: bytes, label: str) -> RawTable:
    """Parse CSV bytes: any of , ; tab |, any line ending, quoted newlines, and title
    lines above the header (:func:`title_rows`)."""
    body, encoding = _as_utf8(data)
    # The sniffer reads the first 65,536 characters; 4 bytes each at most.
    head = body[: 4 * _SNIFF_CHARS].decode("utf-8", errors="ignore")[:_SNIFF_CHARS]
    if _is_blank(body, head):
        raise InputError(f"{label}: the file is empty (expected a header row and data rows)")
    # whole lines, however long: a title is judged against complete rows, never the
    # cut end of one that runs past the sniffer's characters
    first_lines = _first_lines(body, _TITLE_SCAN)
    titles = _title_lines(b"\n".join(first_lines).decode("utf-8", errors="ignore"))
    if titles:
        for _line in range(titles):
            body = body[body.find(b"\n") + 1 :]
        head = body[: 4 * _SNIFF_CHARS].decode("utf-8", errors="ignore")[:_SNIFF_CHARS]
    end = body.find(b"\n")
    header = (body if end < 0 else body[:end]).decode("utf-8")
    delimiter = _sniff_delimiter(head, header)
    try:
        frame = pl.read_csv(
            io.BytesIO(body),
            separator=delimiter,
            infer_schema=False,
            has_header=True,
            quote_char='"',
            truncate_ragged_lines=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.ShapeError) as error:
        first = str(error).strip().splitlines()[0]
        raise InputError(
            f"{label}: cannot be read as CSV with delimiter {delimiter!r} ({first}); "
            "expected one header row and the same number of columns on every row"
        ) from error
    frame = frame.rename(dict(zip(frame.columns, _unique_headers(frame.columns), strict=True)))
    # memchr over the bytes: a hundredth of the time of looking in every cell
    nul_free = b"\x00" not in body
    return RawTable(label, _tidy(frame, first_row=2 + titles), delimiter, encoding, None, nul_free)


def _first_lines(body: bytes, count: int) -> list[bytes]:
    """The first ``count`` lines of ``body`` (all of them when it has fewer), without
    copying the rest as a split would (0.02 s of 75 MB)."""
    end = -1
    for _ in range(count):
        end = body.find(b"\n", end + 1)
        if end < 0:
            break
    return (body if end < 0 else body[:end]).split(b"\n")[:count]


# Rows looked at, from the top, for the header under a report's title.
_TITLE_SCAN = 20


def title_rows(rows: Sequence[Sequence[object]]) -> int:
    """How many rows above the header are a report's title, not data: CRM report exports
    write a cell or two ("Opportunity report – Q4 2026", "Generated 2026-12-01", a blank
    line) over a header of many. The header is the first of the top rows that fills more
    than half as many cells as most of them do (three at least)."""
    filled = [
        sum(1 for cell in row if cell is not None and str(cell).strip())
        for row in rows[:_TITLE_SCAN]
    ]
    typical = _most_common([count for count in filled if count])  # blank lines aside
    if typical < 3:
        return 0
    return next(i for i, count in enumerate(filled) if count * 2 > typical)


def _most_common(counts: list[int]) -> int:
    """The count most rows have (the larger on a tie); 0 for none."""
    if not counts:
        return 0
    return max(set(counts), key=lambda c: (counts.count(c), c))


def _title_lines(head: str) -> int:
    """:func:`title_rows` of a CSV's first lines, split by the delimiter that splits
    most of them alike and widest (a title line has no bearing on the delimiter sniffed
    after it). Most rows alike, not the widest row: a name full of ``|`` splits its
    one row wide, not the header above it."""
    lines = head.split("\n")[:_TITLE_SCAN]
    if len(lines) < 2:
        return 0
    try:
        split = [list(csv.reader(lines, delimiter=d, strict=False)) for d in _DELIMITERS]
    except csv.Error:  # a cell over the csv module's limit (128 KiB) is no title line
        return 0
    return title_rows(max(split, key=_rows_alike))


def _rows_alike(rows: Sequence[Sequence[object]]) -> tuple[int, int]:
    """How many rows split into the width most rows have (none for rows that did not
    split), and that width."""
    widths = [len(r) for r in rows if any(r)]
    typical = _most_common(widths)
    return (widths.count(typical) if typical > 1 else 0, typical)


def _tidy(frame: pl.DataFrame, first_row: int = 2) -> pl.DataFrame:
    """Strip every cell of white space (any Unicode's: no-break and ideographic spaces
    too), empty to null, and number the rows as a spreadsheet does (``first_row``: the
    number of the row under the header)."""
    frame = frame.with_row_index(ROW_COLUMN, offset=first_row)
    if frame.width > 1:
        cells = pl.exclude(ROW_COLUMN)
        frame = frame.with_columns(cells.cast(pl.String).str.strip_chars()).with_columns(
            pl.when(cells.str.len_bytes() > 0).then(cells)
        )
        # A row that is blank in every cell is no row at all (filtered only when there
        # is one: a filter copies every column).
        blank = ~pl.any_horizontal(cells.is_not_null())
        if frame.select(blank.any()).item():
            frame = frame.filter(~blank)
    return frame.with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_unpacked_size(path: Path, label: str) -> None:
    """A workbook is a zip: refuse one that would unpack past :data:`MAX_XLSX_UNPACKED`
    (a decompression bomb, or a sheet too big to read in memory) before reading any of
    it. The sizes are the zip's own, and reading never unpacks more than they say."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
        # NotImplementedError: a zip that says it needs a later zip version or a
        # compression Python lacks (what damaged bytes in its directory can say)
        raise InputError(f"{label}: cannot be read as an Excel workbook ({error})") from error
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_XLSX_UNPACKED or len(entries) > MAX_XLSX_PARTS:
        raise InputError(
            f"{label}: the workbook unpacks to {unpacked / 1e6:,.0f} MB in {len(entries):,} "
            f"parts, more than the {MAX_XLSX_UNPACKED / 1e6:,.0f} MB and {MAX_XLSX_PARTS:,} "
            "parts an import reads; save its sheet as CSV (which has no limit)"
        )


def _pick_sheet(workbook: Any, label: str, sheet: str | None) -> Any:
    """The sheet named ``sheet`` (compared case-insensitively when no name is exact), or
    numbered so from 1; the first for None. Refuses one the workbook does not have,
    listing those it has."""
    sheets = workbook.worksheets
    if sheet is None:
        return sheets[0]
    wanted = sheet.strip()
    if wanted in workbook.sheetnames:
        return workbook[wanted]
    folded = [n for n in workbook.sheetnames if n.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return workbook[folded[0]]
    if wanted.isdigit() and 1 <= int(wanted) <= len(sheets):
        return sheets[int(wanted) - 1]
    names = ", ".join(repr(n) for n in workbook.sheetnames)
    raise InputError(
        f"{label}: no sheet {sheet!r}; the workbook has {len(sheets)}: {names} (pass --sheet "
        f"with one of those names, or its number 1–{len(sheets)})"
    )


def _sheet_rows(path: Path, label: str, sheet: str | None) -> tuple[list[tuple[object, ...]], str]:
    """The rows of the sheet picked (:func:`_pick_sheet`), and how messages name it."""
    rows: list[tuple[object, ...]] = []
    # openpyxl warns of cells it cannot read (a date past 9999) and reads them as
    # errors ("#VALUE!"), which the checks then name; the warning itself says nothing more.
    # The file is opened here: openpyxl leaves its own handle open when a part is broken.
    with warnings.catch_warnings(), path.open("rb") as handle:
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken file
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise InputError(f"{label}: cannot be read as an Excel workbook ({reason})") from error
        name = "the first sheet"
        try:
            picked = _pick_sheet(workbook, label, sheet)
            name = name if sheet is None else f"sheet {picked.title!r}"
            for row in picked.iter_rows(values_only=True):
                rows.append(row)
        except InputError:
            raise
        except Exception as error:  # a damaged cell: text in a number, a missing string
            raise InputError(
                f"{label}: row {len(rows) + 1} of {name} cannot be read "
                f"({type(error).__name__}: {error}); expected cells as a spreadsheet writes "
                "them: open and save the file again, or save it as CSV"
            ) from error
        finally:
            workbook.close()
    return rows, name


def _read_xlsx(path: Path, label: str, sheet: str | None = None) -> RawTable:
    _check_unpacked_size(path, label)
    rows, name = _sheet_rows(path, label, sheet)
    if not rows:
        raise InputError(f"{label}: {name} is empty (expected a header row)")
    titles = title_rows(rows)
    headers = _unique_headers([_cell_text(h) or "" for h in rows[titles]])
    width = len(headers)
    body = rows[titles + 1 :]
    columns = list(zip(*[(list(r) + [None] * width)[:width] for r in body], strict=False))
    data = {
        name: [_cell_text(v) for v in (columns[i] if columns else [])]
        for i, name in enumerate(headers)
    }
    frame = pl.DataFrame(data, schema=dict.fromkeys(headers, pl.String))
    return RawTable(label, _tidy(frame, first_row=titles + 2))

"""What reaches a terminal: text from data with its control characters shown escaped.

A deal named ``\\x1b[2J\\x1b]0;pwned`` must not clear the screen or retitle the window
of the person reading the review. Every console of the command line is a
:class:`SafeConsole`: whatever it prints (tables, ``show``, messages, errors) has its
control characters written as ``\\x1b``, ``\\x9b``, ``\\x00``, ... while its own
colours still reach the terminal. Plain text written straight to standard output goes
through :func:`visible`; JSON through :func:`json_text` (or, written in slices,
through a :class:`GuardedStream` with :func:`json_bytes`, which stays valid JSON); a
CSV meant for a file is left as the data has it, unless it goes to a terminal.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, cast

from rich.console import Console
from rich.segment import Segment

from walkaway.wording import printable

# What JSON leaves as it is but a terminal may act on (JSON escapes C0 itself).
_JSON_CONTROL = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# The same as UTF-8 bytes (a slice written is whole characters: complete JSON or rows).
_JSON_CONTROL_BYTES = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
# Its parts that start with a multi-byte character's lead byte, each looked for alone:
# re tries an alternation at every byte (1.2 s over a 290 MB review), but runs to a
# pattern's literal first byte as a quick scan (0.1 s), and ``in`` finds one byte faster
# still. DEL is looked for with ``in``; "\xc2" alone is common text ("\xa0", "\xa3").
_C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")
_BIDI_BYTES = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")
_CONTROL_BYTES = re.compile(
    rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)


def visible(text: str) -> str:
    """``text`` with every control character written out (``\\x1b``), newlines and tabs
    kept: :func:`walkaway.wording.printable`, the one escape of errors and tables."""
    return printable(text, keep_lines=True)


def json_text(data: Any, **options: Any) -> str:
    """``json.dumps`` whose text holds no character a terminal acts on (JSON escapes
    C0 itself; DEL, C1 and bidirectional overrides are written ``\\u009b``)."""
    text = json.dumps(data, **options)
    return _JSON_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_bytes(data: bytes) -> bytes:
    """UTF-8 JSON with DEL, C1 and bidirectional overrides written ``\\u009b``
    (``data`` itself when it holds none, as a review's JSON almost always does)."""
    if b"\x7f" in data or (b"\xc2" in data and _C1_BYTES.search(data)) or _BIDI_BYTES.search(data):
        return _JSON_CONTROL_BYTES.sub(lambda m: f"\\u{ord(m.group().decode()):04x}".encode(), data)
    return data


def visible_bytes(data: bytes) -> bytes:
    """:func:`visible` of UTF-8 bytes."""
    return _CONTROL_BYTES.sub(lambda m: visible(m.group().decode()).encode(), data)


class GuardedStream(io.RawIOBase):
    """A binary stream that passes what is written through ``guard`` on to ``raw``."""

    def __init__(self, raw: BinaryIO, guard: Callable[[bytes], bytes]) -> None:
        self.raw, self.guard = raw, guard

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.raw.write(self.guard(bytes(data)))
        return len(data)


def stdout_for_json() -> BinaryIO:
    """Standard output (bytes) for JSON written in slices: see :func:`json_bytes`."""
    return cast(BinaryIO, GuardedStream(sys.stdout.buffer, json_bytes))


def stdout_for_csv() -> BinaryIO:
    """Standard output (bytes) for a CSV: as it is into a file or a pipe; on a terminal
    with its control characters escaped."""
    if not sys.stdout.isatty():
        return sys.stdout.buffer
    return cast(BinaryIO, GuardedStream(sys.stdout.buffer, visible_bytes))


class SafeConsole(Console):
    """A rich Console that writes the control characters of what it prints escaped
    (its own styles and cursor moves still reach the terminal)."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(visible(segment.text), segment.style)
            for segment in buffer
        )

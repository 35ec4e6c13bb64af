"""Counting the calls of a function through the interpreter's own profiling hook
(``sys.setprofile``, and ``threading.setprofile`` for the threads started meanwhile: a
test client's, a web app's workers), so a test sees what ran without replacing any part
of the program."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any


@dataclass
class Calls:
    count: int = 0


@contextmanager
def counted_calls(function: Callable[..., Any]) -> Iterator[Calls]:
    """Count the calls of ``function`` in this thread and every thread started inside
    the ``with`` block."""
    code = function.__code__
    calls = Calls()
    lock = threading.Lock()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is code:
            with lock:
                calls.count += 1

    before = sys.getprofile()
    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(before)
        threading.setprofile(None)  # type: ignore[arg-type]

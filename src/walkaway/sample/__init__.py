"""The bundled sample pipeline: a fictional software vendor's deals, in the generic format.

``walkaway demo`` imports :data:`DEALS_CSV` and :data:`ACTIVITIES_CSV` through the
normal importer and scores them as of :data:`SAMPLE_AS_OF`, the sample's "today", so
the demo says the same thing on any day it is run. Nothing in the files is dated on or
after that day. The files are made by :mod:`walkaway.sample.generate`, whose docstring
lists which deals illustrate which situation.

Generated pipelines of other shapes, each with its truth, for tests and benchmarks:
:mod:`walkaway.sample.shapes` (and the split into what a user imports),
:mod:`walkaway.sample.traps` and :mod:`walkaway.sample.leads` (the traps of real
exports), :mod:`walkaway.sample.edges` (the edges of what an import allows).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final

SAMPLE_AS_OF: Final = date(2026, 11, 16)
SAMPLE_CURRENCY: Final = "EUR"
SAMPLE_DIR: Final = Path(__file__).parent
DEALS_CSV: Final = SAMPLE_DIR / "deals.csv"
ACTIVITIES_CSV: Final = SAMPLE_DIR / "activities.csv"

__all__ = ["ACTIVITIES_CSV", "DEALS_CSV", "SAMPLE_AS_OF", "SAMPLE_CURRENCY", "SAMPLE_DIR"]

"""The one lazy point: libraries a command does not use are never imported.

Every import of Walkaway sits at the top of its module. A heavy library (NumPy, SciPy,
scikit-learn, LightGBM, FastAPI, uvicorn, openpyxl, Alembic, PySpark, the CRM clients…),
or one of our modules that stands on one, is named there through :func:`module`, which
imports it on first use::

    if TYPE_CHECKING:
        import numpy as np
    else:
        np = lazy.module("numpy")

(the type checker and import-linter read the first branch; the program runs the second).
``walkaway show`` has a start-up budget: tests/test_cli.py holds the main commands to the
libraries they use, and tests/test_architecture.py keeps imports out of functions.

Packages that re-export names from heavy modules (``walkaway.learning``,
``walkaway.backtest``) give them a lazy face with :func:`lazy_face` (PEP 562), so
``from walkaway.learning import PriorModel`` loads no LightGBM.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any


class _Deferred(types.ModuleType):
    """Module ``__name__`` before its import: the first attribute read imports it, and
    every read is the module's attribute of the moment (one replaced by a test too)."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attr)


def module(name: str) -> Any:
    """Module ``name`` (``"numpy"``, ``"pyspark.sql.functions"``), imported when one of
    its attributes is first read; the module itself when it is imported already."""
    loaded = sys.modules.get(name)
    return loaded if loaded is not None else _Deferred(name)


def lazy_face(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps each public name to the
    submodule (relative to ``package``) that defines it."""

    def __getattr__(name: str) -> Any:
        submodule = names.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{submodule}"), name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__

"""Package faces that load a name's module only when the name is first used.

``walkaway.learning`` and ``walkaway.backtest`` re-export their public names, but
importing one of their light modules (the prior, say) must not load LightGBM or
scikit-learn: ``walkaway show`` has a start-up budget. A face built here resolves
``from walkaway.learning import train_win_model`` on first access (PEP 562).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_face(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps each public name to the
    submodule (relative to ``package``) that defines it."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__

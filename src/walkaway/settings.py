"""Settings, built once at the edge (CLI entry point or app factory) and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from walkaway.store.database import DEFAULT_URL

__all__ = ["DEFAULT_URL", "Settings"]


@dataclass(frozen=True)
class Settings:
    """Where the store lives and the defaults an import needs."""

    db_url: str = DEFAULT_URL
    default_currency: str = "EUR"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, db: str | None = None) -> Settings:
        """``--db`` wins over ``WALKAWAY_DB``, which wins over ``./walkaway.db``."""
        env = os.environ if env is None else env
        return cls(
            db_url=db or env.get("WALKAWAY_DB") or DEFAULT_URL,
            default_currency=env.get("WALKAWAY_CURRENCY", "EUR").upper(),
        )

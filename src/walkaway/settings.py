"""Settings, built once at the edge (CLI entry point or app factory) and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from walkaway.store.database import DEFAULT_URL

__all__ = ["DEFAULT_URL", "Settings", "copy_dir_from"]


def copy_dir_from(env: Mapping[str, str]) -> Path:
    """Where the columnar copies of stores other than SQLite files go
    (:mod:`walkaway.store.columnar`): ``$WALKAWAY_COPY_DIR``, else the user's cache
    folder (``$XDG_CACHE_HOME``, else ``~/.cache``) ``/walkaway``."""
    named = env.get("WALKAWAY_COPY_DIR")
    if named:
        return Path(named)
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "walkaway"


@dataclass(frozen=True)
class Settings:
    """Where the store lives, where its columnar copy goes (None: a store other than a
    SQLite file keeps none), and the defaults an import needs."""

    db_url: str = DEFAULT_URL
    default_currency: str | None = None  # WALKAWAY_CURRENCY; else the policy's
    copy_dir: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, db: str | None = None) -> Settings:
        """``--db`` wins over ``WALKAWAY_DB``, which wins over ``./walkaway.db``; the
        copy folder is :func:`copy_dir_from` the environment."""
        env = os.environ if env is None else env
        return cls(
            db_url=db or env.get("WALKAWAY_DB") or DEFAULT_URL,
            default_currency=(env.get("WALKAWAY_CURRENCY") or "").upper() or None,
            copy_dir=copy_dir_from(env),
        )

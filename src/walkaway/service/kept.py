"""The whole team's review kept beside the store across restarts, so only the very
first review of a store as of a moment is paid for while someone waits.

A review as of a moment is a function of the program, the store's rows and the moment.
It is kept (:mod:`walkaway.store.kept`) under a key naming all of them
(:func:`review_key`): the program (the version, a digest of its source files, Polars'
version), the store (its newest import run and that run's record, which tells a store
made afresh at the same place from the old one), what assesses in it (the newest import
run, policy and model in force, :func:`walkaway.service.review.store_version` without the
decisions, and a digest of the policy itself) and the moment, exactly. An import, a
policy, a training changes the key; a decision does not (it sits beside the data's call
and changes no number: :func:`walkaway.service.review.same_assessments`), so what is kept
is the review before the decisions (:class:`walkaway.service.review.Assessed`) and the
decisions are put beside it as the store holds them when it is read; an outcome neither
(the review does not read outcomes: the deal's own row is the import's).

A moment is only ever matched exactly: a review a minute later is another review (days
in a stage, the age of a deal and the walk-away date move with time). The server's
"now" is the hour (:func:`walkaway.web.context.default_as_of`), so a server started
again within the hour finds the review of the one before.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from datetime import datetime
from pathlib import Path

import polars as pl

from walkaway import __version__
from walkaway.bounds import SKIPPED_SCHEMA
from walkaway.decision.assess import ASSESSMENT_COLUMNS
from walkaway.service.norms import policy_hash
from walkaway.service.pipeline import current_policy
from walkaway.service.review import (
    Assessed,
    Review,
    assess_review,
    assessing_part,
    finished,
    store_version,
)
from walkaway.store import Store
from walkaway.store.columnar import newest_run, run_stamp
from walkaway.store.kept import keep, read_kept

logger = logging.getLogger(__name__)
FORMAT = 1  # of what is kept: the frames "deals" and "skipped", and extra's fields


@functools.cache
def program_digest() -> str:
    """A digest of the program that assesses: Walkaway's version and source files (a
    review by other code is another review), and the Polars that runs them."""
    package = Path(__file__).resolve().parent.parent
    hashed = hashlib.sha256(f"{FORMAT} {__version__} {pl.__version__}".encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".toml"} and path.is_file():
            hashed.update(path.relative_to(package).as_posix().encode())
            hashed.update(path.read_bytes())
    return hashed.hexdigest()[:32]


def review_key(store: Store, as_of: datetime) -> str | None:
    """What a review of ``store`` as of ``as_of`` is kept under (module docstring);
    None before the first import (there is nothing worth keeping)."""
    version = assessing_part(store_version(store))
    with store.connect() as conn:
        run = newest_run(conn)
        stamp = run_stamp(conn, run)
    if run == 0:
        return None
    policy = policy_hash(current_policy(store))
    parts = [program_digest(), stamp, *map(str, version), policy, as_of.isoformat()]
    return " ".join(parts)


def reviewed(store: Store, as_of: datetime) -> Review:
    """``review(store, as_of)``: from the review kept for this store and moment when
    there is one, else assessed and kept for the next time."""
    key = review_key(store, as_of)
    found = None if key is None else _read(store, key, as_of)
    if found is None:
        began = time.process_time()
        found = assess_review(store, as_of)
        spent = time.process_time() - began
        kept = key is not None and review_key(store, as_of) == key  # nothing landed meanwhile
        if kept and key is not None:
            kept = _keep(store, key, found)
        logger.info(
            "assessed %d open deals as of %s in %.2f CPU s%s",
            found.deals.height,
            as_of.isoformat(),
            spent,
            "; kept for the next start" if kept else "",
        )
    return finished(store, found)


def _keep(store: Store, key: str, assessed: Assessed) -> bool:
    extra = {"notes": assessed.notes, "model": assessed.model, "currency": assessed.currency}
    frames = {"deals": assessed.deals, "skipped": assessed.skipped}
    return keep(store, key, frames, extra) is not None


def _read(store: Store, key: str, as_of: datetime) -> Assessed | None:
    found = read_kept(store, key)
    if found is None:
        return None
    deals, skipped = found.frames.get("deals"), found.frames.get("skipped")
    if deals is None or skipped is None or not set(ASSESSMENT_COLUMNS) <= set(deals.columns):
        return None
    if skipped.schema != pl.Schema(SKIPPED_SCHEMA):
        return None
    extra = found.extra
    try:
        notes = [str(note) for note in extra["notes"]]
        model = {str(k): str(v) for k, v in extra["model"].items()}
        currency = str(extra["currency"])
    except (KeyError, TypeError, AttributeError):
        return None
    return Assessed(as_of, deals, skipped, notes, model, currency)

"""A per-process cache of the review, so pages and the deal API do not re-assess the team.

The web app runs the review (:func:`walkaway.service.review.review`, exactly what
``walkaway review`` runs) once per as-of moment and answers every board, filter and
deal of that moment from its frame; the review is also kept beside the store, so that a
server started again reads it rather than assessing again (:mod:`walkaway.service.kept`),
and so does this one after a decision (the version changes, the assessments do not). The
deal page's history needs the whole pipeline at earlier moments: it is read once
(:meth:`ReviewCache.loaded`) and kept too.

Entries are keyed by the store's *version* (:func:`walkaway.service.review.store_version`):
the newest import run, policy, decision and active model ids. Anything that changes an
assessment changes one of them, whoever wrote it (outcomes do not: the review does not
read them, and the pages read them afresh); the version is read again at most every
``check_seconds`` (and at once after this app's own writes).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import polars as pl

from walkaway.decision.assess import assessments_from_frame
from walkaway.models import Assessment, Pipeline
from walkaway.policy import Policy
from walkaway.service import Store
from walkaway.service.kept import reviewed
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import whole_pipeline
from walkaway.service.review import (
    Review,
    filter_deals,
    same_assessments,
    skipped_deals,
    store_version,
    summarise,
)

Version = tuple[int, ...]
T = TypeVar("T")
DERIVED_BUDGET = 256 * 1024 * 1024  # bytes, as the callers of remember() count them


@dataclass(frozen=True)
class CachedReview:
    """The unfiltered review at one moment, the policy it used, and a row index by deal."""

    review: Review
    policy: Policy
    rows: dict[str, int]

    def row(self, deal_id: str) -> pl.DataFrame | None:
        """The deal's row of the review (a one-row frame); None when it was not open."""
        index = self.rows.get(deal_id)
        return None if index is None else self.review.deals.slice(index, 1)

    def assessment(self, deal_id: str) -> Assessment | None:
        row = self.row(deal_id)
        return None if row is None else assessments_from_frame(row)[0]


def filtered(cached: CachedReview, owner: str | None, stage: str | None) -> Review:
    """What ``review(store, as_of, owner=, stage=)`` returns, from the cached frame."""
    full = cached.review
    if not owner and not stage:
        return full
    frame = filter_deals(full.deals, owner, stage)
    skipped = filter_deals(full.skipped, owner, stage)
    carried = {k: full.summary.get(k) for k in ("model", "notes")}
    summary = {
        **summarise(frame, cached.policy.currency),
        **carried,
        "skipped": skipped_deals(skipped),
    }
    return Review(full.as_of, frame, summary, skipped)


@dataclass(frozen=True)
class Loaded:
    """The whole stored pipeline and the policy in force, at one store version."""

    version: Version
    pipeline: Pipeline
    policy: Policy


def load_everything(store: Store, version: Version) -> Loaded:
    return Loaded(version, whole_pipeline(store), current_policy(store))


def review_of(store: Store, as_of: datetime) -> CachedReview:
    """The whole team's review as of ``as_of``, and the policy it ran under: the one
    kept beside the store when it is still valid (:mod:`walkaway.service.kept`)."""
    policy = current_policy(store)
    result = reviewed(store, as_of)
    rows = {deal_id: i for i, deal_id in enumerate(result.deals["deal_id"].to_list())}
    return CachedReview(result, policy, rows)


def _forget_other_versions(entries: OrderedDict[Any, Any], version: object) -> None:
    for key in [k for k in entries if k[0] != version]:
        del entries[key]


class ReviewCache:
    """Reviews by as-of moment for the current store version; thread-safe, bounded."""

    def __init__(self, store: Store, check_seconds: float = 1.0, size: int = 8) -> None:
        self.store = store
        self.check_seconds = check_seconds
        self.size = size
        self._entries: OrderedDict[tuple[Version, datetime], CachedReview] = OrderedDict()
        self._loaded: Loaded | None = None
        self._derived: OrderedDict[tuple[object, ...], tuple[object, int]] = OrderedDict()
        self._derived_cost = 0
        self._derived_version: object = None
        self._lock = threading.RLock()
        self._version: Version = ()
        self._checked = float("-inf")

    def version(self) -> Version:
        now = time.monotonic()
        if now - self._checked >= self.check_seconds or not self._version:
            self._version = store_version(self.store)
            self._checked = now
        return self._version

    def invalidate(self) -> None:
        """Read the version again on the next call (after this app wrote to the store)."""
        self._checked = float("-inf")

    def loaded(self) -> Loaded:
        """The whole pipeline at the current version (read once per version)."""
        version = self.version()
        with self._lock:
            if self._loaded is None or self._loaded.version != version:
                self._loaded = load_everything(self.store, version)
            return self._loaded

    def get(self, as_of: datetime) -> CachedReview:
        """The unfiltered review as of ``as_of``; concurrent misses wait for one another."""
        key = (self.version(), as_of)
        entry = self._entries.get(key)
        if entry is not None:
            return entry
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = review_of(self.store, as_of)
                _forget_other_versions(self._entries, key[0])
                self._entries[key] = entry
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return entry

    def assessment_at(self, as_of: datetime, deal_id: str) -> Assessment | None:
        """The deal's assessment from a review already at hand at ``as_of``, made when
        the store assessed as it does now (decisions since do not count: they change no
        number); None when there is none (never computes). A decision takes its numbers
        from here: those the person saw on the board and the deal's page."""
        self.invalidate()  # a decision must see an import or a policy that just landed
        version = self.version()
        for (made_at, moment), entry in list(self._entries.items()):
            if moment == as_of and same_assessments(made_at, version):
                return entry.assessment(deal_id)
        return None

    def peek(self, as_of: datetime) -> CachedReview | None:
        """The review as of ``as_of`` if it is already at hand (never computes)."""
        return self._entries.get((self.version(), as_of))

    def remember(
        self, key: tuple[object, ...], compute: Callable[[], T], cost: Callable[[T], int]
    ) -> T:
        """A value derived from the store (a deal's JSON, its history), kept until the
        store's version changes; ``cost(value)`` is its size in bytes (about), and the
        least recently used go first beyond :data:`DERIVED_BUDGET`."""
        full_key = (self.version(), *key)
        with self._lock:
            if full_key in self._derived:
                self._derived.move_to_end(full_key)
                return self._derived[full_key][0]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._keep(full_key, value, cost(value))
        return value

    def _keep(self, key: tuple[object, ...], value: object, cost: int) -> None:
        if key[0] != self._derived_version:  # the store changed: all of it is stale
            self._derived.clear()
            self._derived_cost = 0
            self._derived_version = key[0]
        if key in self._derived:
            self._derived_cost -= self._derived.pop(key)[1]
        self._derived[key] = (value, cost)
        self._derived_cost += cost
        while self._derived_cost > DERIVED_BUDGET and len(self._derived) > 1:
            self._derived_cost -= self._derived.popitem(last=False)[1][1]

    def remembered(self, key: tuple[object, ...]) -> bool:
        return (self.version(), *key) in self._derived

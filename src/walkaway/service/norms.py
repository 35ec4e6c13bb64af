"""The team norms of a review: learned once, kept in the store, read by every command.

The norms (days per stage, reply gaps, hours still needed, what an hour earns) are
learned from the deals closed before the **start of the as-of day** (00:00 UTC), so
every review and ``show`` of one day shares them, and kept in the store (``norms_cache``)
under that day, the newest import run and a hash of the policy (and of Walkaway's
version). Deals and activities are written only by imports, each in the transaction of
its run, so a new import (or another policy) means a new key and a stale entry is never
read.

**The horizon.** A review's norms use only rows dated before the start of its day. When
the newest of those rows (a deal's creation or close, an activity) falls on an earlier
day, there is nothing newer to learn from, and the norms are learned as of the day after
it, the *horizon*: the window of "the last months" that sets what an hour earns then ends
where the data ends, not months after it. Past the horizon of the whole store every day's
norms are the same, so the import learns them once, at its end, as an *open-ended* entry:
the reviews and shows of every day after the data (the everyday case: today, after this
morning's import) never learn them again. Nothing dated at or after the as-of day is ever
read, the horizon included.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from walkaway import __version__, lazy
from walkaway.bounds import activity_past_limits, out_of_bounds, without
from walkaway.errors import StoreError
from walkaway.models import Outcome, Pipeline, as_utc_naive
from walkaway.policy import Policy
from walkaway.service.reading import load_pipeline
from walkaway.signals.norms import (
    HOURS_READ,
    ClosedLives,
    Norms,
    closed_lives,
    compute_norms,
    hours_by_deal,
    norms_from_parts,
    yield_window_start,
)
from walkaway.signals.snapshot import known_deals
from walkaway.store import Store
from walkaway.store.columnar import (
    Copy,
    CopyBase,
    StagedCopy,
    ensure_copy,
    extend_copy,
    publish_copy,
    read_pipeline,
    write_copy,
)
from walkaway.store.writing import now_utc

if TYPE_CHECKING:
    import sqlalchemy as sa

    from walkaway.store import schema
else:
    sa = lazy.module("sqlalchemy")
    schema = lazy.module("walkaway.store.schema")

# Bump when what the norms hold or how they are learned changes: old entries then miss.
NORMS_FORMAT = 6  # 6: the deals holding a value past its limit are left out, and named
LIVES = ("visits", "hours", "gaps")  # the parts of ClosedLives, as kept beside the copy


@dataclass(frozen=True)
class NormsKey:
    """What the team norms of a review depend on: nothing else is read to learn them."""

    as_of: datetime  # the start of the as-of day, UTC
    import_run_id: int  # the newest import run (0 before any)
    policy_hash: str  # sha256 of the policy, Walkaway's version and NORMS_FORMAT


def norms_day(as_of: datetime) -> datetime:
    """The start of the UTC day of ``as_of``: the norms of a review as of ``as_of`` are
    learned then, or at the horizon when that is earlier (:func:`learning_day`)."""
    return datetime.combine(as_utc_naive(as_of).date(), time.min)


def learning_day(day: datetime, horizon: datetime | None) -> datetime:
    """When the norms of a review of ``day`` are learned: that day, or the horizon of
    the rows dated before it when that is earlier."""
    return day if horizon is None or day < horizon else horizon


def norms_key(store: Store, as_of: datetime, policy: Policy) -> NormsKey:
    """The cache key of the norms as of ``as_of``; read it *before* the pipeline, so an
    import landing in between gives a newer key, never stale norms under a new one."""
    with store.rows() as rows:
        run = rows("SELECT max(id) FROM import_runs")[0][0]
    return NormsKey(norms_day(as_of), int(run or 0), policy_hash(policy))


def policy_hash(policy: Policy) -> str:
    text = f"{NORMS_FORMAT}\n{__version__}\n{policy.to_toml()}"
    return hashlib.sha256(text.encode()).hexdigest()


def _same_run(key: NormsKey) -> sa.ColumnElement[bool]:
    c = schema.norms_cache.c
    return (c.import_run_id == key.import_run_id) & (c.policy_hash == key.policy_hash)


# The entry of a key's day, else the open-ended one of its run when the day is past it.
_CACHED_NORMS = """
SELECT norms FROM norms_cache
WHERE import_run_id = ? AND policy_hash = ? AND (as_of = ? OR (open_ended AND as_of <= ?))
ORDER BY open_ended LIMIT 1
"""


def cached_norms(store: Store, key: NormsKey) -> Norms | None:
    """The norms for ``key``: those learned for its day, or the open-ended ones of its
    run when its day is past their horizon; None when there are none (or they cannot be
    read)."""
    params = (key.import_run_id, key.policy_hash, key.as_of, key.as_of)
    with store.rows() as rows:
        found = rows(_CACHED_NORMS, params)
    text = found[0][0] if found else None
    if text is None:
        return None
    try:
        return Norms.from_dict(json.loads(text))
    except ValueError:  # written by another version: learn them again
        return None


def cache_norms(store: Store, key: NormsKey, norms: Norms, *, open_ended: bool = False) -> None:
    """Keep ``norms`` under ``key``, dropping entries of older import runs (no key can
    name them again). Best effort: a store that cannot take the write still reviews."""
    row = {
        "as_of": key.as_of,
        "import_run_id": key.import_run_id,
        "policy_hash": key.policy_hash,
        "computed_at": now_utc(),
        "norms": json.dumps(norms.to_dict()),
        "open_ended": open_ended,
    }
    c = schema.norms_cache.c
    # IntegrityError: another process cached the same key first (the same norms);
    # OperationalError or StoreError: a read-only or busy store. The review goes on.
    refusals = (sa.exc.IntegrityError, sa.exc.OperationalError, StoreError)
    with suppress(*refusals), store.begin() as conn:
        mine = _same_run(key) & (c.as_of == key.as_of)
        conn.execute(
            schema.norms_cache.delete().where((c.import_run_id < key.import_run_id) | mine)
        )
        conn.execute(schema.norms_cache.insert().values(**row))


def horizon_of(newest: datetime | None) -> datetime | None:
    """The start of the day after ``newest`` (the newest dated row): None for no data."""
    return None if newest is None else norms_day(newest) + timedelta(days=1)


def pipeline_horizon(pipeline: Pipeline, day: datetime) -> datetime | None:
    """The horizon of the rows of ``pipeline`` dated before ``day``."""

    def newest(frame: pl.DataFrame, column: str) -> datetime | None:
        dated = pl.col(column)
        found: datetime | None = frame.select(dated.filter(dated < day).max()).item()
        return found

    found = [
        d
        for d in (
            newest(pipeline.deals, "created_at"),
            newest(pipeline.deals, "closed_at"),
            newest(pipeline.activities, "at"),
        )
        if d is not None
    ]
    return horizon_of(max(found)) if found else None


def data_horizon(store: Store, copy: Copy | None = None) -> datetime | None:
    """The horizon of everything in the store, from the columnar ``copy`` when there is
    one (:func:`copy_data_horizon`), else from the store."""
    if copy is not None:
        return copy_data_horizon(copy)
    with store.connect() as conn:
        created, closed = conn.execute(
            sa.select(sa.func.max(schema.deals.c.created_at), sa.func.max(schema.deals.c.closed_at))
        ).one()
        newest_activity = conn.execute(sa.select(sa.func.max(schema.activities.c.at))).scalar()
    found = [d for d in (created, closed, newest_activity) if d is not None]
    return horizon_of(max(found)) if found else None


def copy_data_horizon(copy: Copy) -> datetime | None:
    """The horizon of everything in the columnar ``copy``, from its columns' maxima."""
    dated = copy.deals().select(pl.max_horizontal(pl.col("created_at", "closed_at").max()))
    newest_deal = dated.collect().item()
    newest_activity = copy.activities().select(pl.col("at").max()).collect().item()
    found = [d for d in (newest_deal, newest_activity) if d is not None]
    return horizon_of(max(found)) if found else None


def copy_horizon(copy: Copy, day: datetime) -> datetime | None:
    """:func:`pipeline_horizon` of the copy's rows dated before ``day``, from the
    columns' maxima (the deals created before it, their closes before it, and the
    activities before it), as :func:`learned_norms` finds it in ``read_pipeline``'s."""
    known = copy.deals().filter(pl.col("created_at") < day)
    created = known.select(pl.col("created_at").max())
    closed = known.select(pl.col("closed_at").filter(pl.col("closed_at") < day).max())
    acted = copy.activities().select(pl.col("at").filter(pl.col("at") < day).max())
    found = [frame.collect().item() for frame in (created, closed, acted)]
    newest = [moment for moment in found if moment is not None]
    return horizon_of(max(newest)) if newest else None


def _lives_paths(copy: Copy) -> dict[str, Path]:
    return {
        part: copy.folder / f"lives-{copy.run:06d}-{copy.stamp}-{part}.parquet" for part in LIVES
    }


def lives_of_copy(copy: Copy) -> ClosedLives:
    """The :class:`ClosedLives` of every closed deal of the copy, made once per import
    run and kept beside the copy (best effort: a folder that cannot be written only
    means they are made again)."""
    paths = _lives_paths(copy)
    with suppress(OSError, pl.exceptions.PolarsError):
        if all(path.is_file() for path in paths.values()):
            return ClosedLives(*(pl.read_parquet(paths[part]) for part in LIVES))
    lives = made_lives(copy)
    keep_lives(copy, lives)
    return lives


def made_lives(copy: Copy) -> ClosedLives:
    """The :class:`ClosedLives` of every closed deal of the copy, made from its files."""
    deals_scan = copy.deals().filter(
        (pl.col("outcome") != Outcome.OPEN.value) & pl.col("closed_at").is_not_null()
    )
    closed = deals_scan.collect()
    wanted = closed.select("deal_id").lazy()
    acts = copy.in_order(
        copy.activities().join(wanted, on="deal_id", how="semi", maintain_order="left")
    )
    return closed_lives(closed, acts.collect())


def keep_lives(copy: Copy, lives: ClosedLives) -> None:
    """Keep ``lives`` beside ``copy`` (best effort), for :func:`lives_of_copy`."""
    paths = _lives_paths(copy)
    with suppress(OSError):
        for part, frame in zip(LIVES, (lives.visits, lives.hours, lives.gaps), strict=True):
            temporary = paths[part].with_suffix(".tmp")
            frame.write_parquet(temporary)
            temporary.replace(paths[part])


def norms_of_copy(
    copy: Copy,
    day: datetime,
    policy: Policy,
    lives: Callable[[Copy], ClosedLives] = lives_of_copy,
) -> Norms | None:
    """:func:`learned_norms` of ``day`` from the columnar copy without reading its
    activities whole: the closed deals' lives made once per import (:func:`lives_of_copy`),
    kept to those closed by the day the norms are learned, with the hours logged in the
    window of what an hour earns; None when a closed deal has no close date (its life
    cannot be dated: learn them from the pipeline)."""
    deals_all = copy.deals().filter(pl.col("created_at") < day).collect()
    undated = (pl.col("outcome") != Outcome.OPEN.value) & pl.col("closed_at").is_null()
    if deals_all.filter(undated).height:
        return None
    moment = learning_day(day, copy_horizon(copy, day))
    deals_known = known_deals(deals_all, moment)
    ids = deals_known.select("deal_id").lazy()
    known_acts = copy.activities().filter(pl.col("at") < moment)
    logged = known_acts.select(pl.len()).collect().item() > 0
    # the deals holding a value past its limit, left out: only the activities past one
    # are read (none, nearly always), not the log whole
    past = known_acts.join(ids, on="deal_id", how="semi").filter(activity_past_limits())
    skipped = out_of_bounds(deals_known, past.select(HOURS_READ).collect())
    deals_known = without(deals_known, past.clear().collect(), skipped)[0]
    ids = deals_known.select("deal_id").lazy()
    acts = known_acts.join(ids, on="deal_id", how="semi")
    start = yield_window_start(moment, policy)
    hours = hours_by_deal(acts, start).collect()
    known_lives = lives(copy).known_on(moment, deals_known)
    return norms_from_parts(
        moment, deals_known, known_lives, hours, logged=logged, policy=policy, skipped=skipped
    )


def learned_norms(pipeline: Pipeline, day: datetime, policy: Policy) -> Norms:
    """The norms of a review of ``day`` from ``pipeline`` (which holds at least every
    row dated before ``day``): as of ``day``, or as of the horizon of what was known by
    then when that is earlier."""
    return compute_norms(pipeline, learning_day(day, pipeline_horizon(pipeline, day)), policy)


def learn_norms(
    store: Store, key: NormsKey, policy: Policy, pipeline: Pipeline, *, open_ended: bool = False
) -> Norms:
    """:func:`learned_norms` for ``key``'s day, cached under ``key`` (``open_ended``:
    for that day and every later one, as the import's are)."""
    norms = learned_norms(pipeline, key.as_of, policy)
    cache_norms(store, key, norms, open_ended=open_ended)
    return norms


def learn_norms_from_copy(
    store: Store, key: NormsKey, policy: Policy, copy: Copy, *, open_ended: bool = False
) -> Norms:
    """:func:`learn_norms` from the columnar ``copy`` (:func:`norms_of_copy`), or from
    the pipeline it holds before ``key``'s day when the lives cannot be dated."""
    norms = norms_of_copy(copy, key.as_of, policy)
    if norms is None:
        return learn_norms(store, key, policy, Pipeline(*read_pipeline(copy, key.as_of)))
    cache_norms(store, key, norms, open_ended=open_ended)
    return norms


def team_norms(
    store: Store, key: NormsKey, policy: Policy, pipeline: Pipeline | None = None
) -> Norms:
    """The norms under ``key``: cached, or learned (from ``pipeline`` when given, which
    must hold everything before ``key.as_of``; else from the columnar copy when there
    is one, else from the store) and cached."""
    norms = cached_norms(store, key)
    if norms is not None:
        return norms

    if pipeline is None:
        copy = ensure_copy(store)
        if copy is not None:
            with suppress(FileNotFoundError):  # removed under us: read the store
                return learn_norms_from_copy(store, key, policy, copy)
        pipeline = load_pipeline(store, key.as_of, columnar=False)
    return learn_norms(store, key, policy, pipeline)


@dataclass(frozen=True)
class StagedImport:
    """The columnar copy of an import run and (``learn``) its open-ended norms, made
    before the run committed (:func:`stage_after_import`); :func:`after_import`
    publishes them once it has."""

    files: StagedCopy
    horizon: datetime | None = None
    norms: Norms | None = None
    lives: ClosedLives | None = None


def stage_after_import(
    base: CopyBase,
    run: int,
    touched: pl.DataFrame,
    added: pl.DataFrame,
    policy: Policy,
    *,
    learn: bool = True,
) -> StagedImport | None:
    """What :func:`after_import` does for import run ``run``, done before it commits:
    the copy's files written from ``base`` (:func:`walkaway.store.columnar.copy_base`),
    the deals it wrote (``touched``, as stored) and the activities it adds (``added``),
    and the norms at their horizon learned from those files. Reads no database, so it
    runs on a thread while the run's INSERTs go on; None when the files cannot be
    written (:func:`after_import` then does it all after the commit)."""
    files = write_copy(run, base, touched, added)
    if files is None or not learn:
        return None if files is None else StagedImport(files)
    copy = files.copy
    horizon = copy_data_horizon(copy)
    if horizon is None:
        return StagedImport(files)
    made: list[ClosedLives] = []

    def lives(copy: Copy) -> ClosedLives:
        made.append(made_lives(copy))
        return made[-1]

    norms = norms_of_copy(copy, horizon, policy, lives)
    if norms is None:
        norms = learned_norms(Pipeline(*read_pipeline(copy, horizon)), horizon, policy)
    return StagedImport(files, horizon, norms, made[-1] if made else None)


def after_import(
    store: Store,
    run: int,
    added: pl.DataFrame | None,
    policy: Policy,
    *,
    learn: bool = True,
    staged: StagedImport | None = None,
) -> None:
    """What an import does once its run ``run`` has committed, having added the
    activities ``added``: bring the columnar copy up to date and (with ``learn``) learn
    the open-ended norms (under the team's ``policy``) at the data's horizon, so no
    review or show after it learns them again. What ``staged`` made before the commit
    (:func:`stage_after_import`) is published, not made again."""
    if staged is not None and _publish_staged(store, run, policy, staged):
        return
    copy = extend_copy(store, run, added)
    if not learn:
        return
    horizon = data_horizon(store, copy)
    if horizon is None:
        return
    key = NormsKey(horizon, run, policy_hash(policy))
    if cached_norms(store, key) is not None:
        return
    if copy is not None:
        learn_norms_from_copy(store, key, policy, copy, open_ended=True)
    else:
        pipeline = load_pipeline(store, horizon, columnar=False)
        learn_norms(store, key, policy, pipeline, open_ended=True)


def _publish_staged(store: Store, run: int, policy: Policy, staged: StagedImport) -> bool:
    """Make ``staged`` the store's copy and keep its norms; False when another run
    landed first (the copy is then rebuilt)."""
    copy = publish_copy(store, staged.files)
    if copy is None:
        return False
    if staged.lives is not None:
        keep_lives(copy, staged.lives)
    if staged.norms is not None and staged.horizon is not None:
        key = NormsKey(staged.horizon, run, policy_hash(policy))
        if cached_norms(store, key) is None:
            cache_norms(store, key, staged.norms, open_ended=True)
    return True

"""The columnar copy of the store, and the norms an import learns once.

The copy must be the store, row for row, after every import (appended a part at a time),
and a review from it must be the review from the store, whatever the batch size; a copy
missing, stale or unwritable is rebuilt or bypassed, never read wrong.
"""

from __future__ import annotations

import gc
import json
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.service import import_files, norms, sample_files
from walkaway.service.norms import (
    data_horizon,
    learned_norms,
    norms_day,
    norms_key,
)
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import load_pipeline
from walkaway.service.review import review
from walkaway.store import Store, columnar, open_store, writing
from walkaway.store.columnar import (
    MANIFEST,
    copy_folder,
    current_copy,
    read_pipeline,
)
from walkaway.store.schema import norms_cache

AS_OF = datetime(2026, 10, 1)  # inside the sample (2025-05 to 2026-11)
MOMENTS = (datetime(2025, 7, 1), AS_OF, datetime(2026, 11, 20, 13, 5), datetime(2027, 3, 1))


@pytest.fixture
def sample_store(store: Store) -> Store:
    import_files(store, *sample_files(), format="generic")
    return store


def assert_same_pipeline(store: Store, as_of: datetime, *, open_only: bool = False) -> None:
    copy = current_copy(store)
    assert copy is not None, "the import left no current copy"
    deals, activities = read_pipeline(copy, as_of, open_only=open_only)
    stored = load_pipeline(store, as_of, open_only=open_only, columnar=False)
    assert_frame_equal(deals, stored.deals)
    assert_frame_equal(activities, stored.activities)


def write_more(folder: Path, tag: str, *, deals_from: str, at: datetime) -> tuple[Path, Path]:
    """Two new deals and, for them and for a sample deal, activities at ``at`` (ties
    with each other across imports); one sample deal moved on a stage."""
    folder.mkdir(parents=True, exist_ok=True)
    created = at - timedelta(days=20)
    deals = [
        "deal_id,name,owner,stage,amount,created_at,outcome",
        f"{tag}-1,More {tag} 1,Anna Keller,Proposal,12000,{created:%Y-%m-%dT%H:%M},open",
        f"{tag}-2,More {tag} 2,Ben Ortiz,Discovery,3000,{created:%Y-%m-%dT%H:%M},open",
    ]
    moment = f"{at:%Y-%m-%dT%H:%M}"
    acts = ["deal_id,at,kind,direction,status,hours,stage,detail,actor"]
    for deal in (f"{tag}-1", f"{tag}-2", deals_from):
        acts.append(f"{deal},{moment},call,outbound,done,1.0,,Call {tag},Anna")
        acts.append(f"{deal},{moment},email,inbound,done,,,Reply {tag},Buyer")
    (folder / "deals.csv").write_text("\n".join(deals) + "\n")
    (folder / "activities.csv").write_text("\n".join(acts) + "\n")
    return folder / "deals.csv", folder / "activities.csv"


def test_the_import_writes_a_copy_that_is_the_store(sample_store: Store) -> None:
    for moment in MOMENTS:
        assert_same_pipeline(sample_store, moment)
        assert_same_pipeline(sample_store, moment, open_only=True)


@pytest.mark.parametrize("compact", [True, False], ids=["merged", "in-parts"])
def test_each_import_appends_a_part_and_the_copy_stays_the_store(
    sample_store: Store, tmp_path: Path, compact: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not compact:  # a copy too big to merge at each import keeps a part per run
        monkeypatch.setattr(columnar, "COMPACT_ROWS", 0)
    deal = load_pipeline(sample_store, AS_OF).deals["deal_id"][0]
    at = datetime(2026, 11, 10, 9, 30)
    for n, tag in enumerate(("M", "N"), start=2):
        import_files(sample_store, *write_more(tmp_path / tag, tag, deals_from=deal, at=at))
        copy = current_copy(sample_store)
        assert copy is not None and len(copy.parts) == (1 if compact else n)
        for moment in (*MOMENTS, at, at + timedelta(minutes=1)):
            assert_same_pipeline(sample_store, moment)
    # ties at one moment keep the order the store gives them (its ids: import order)
    after = at + timedelta(minutes=1)
    theirs = load_pipeline(sample_store, after).activities.filter(pl.col("deal_id") == deal)
    assert theirs.filter(pl.col("at") == at)["detail"].to_list() == [
        "Call M",
        "Reply M",
        "Call N",
        "Reply N",
    ]


def test_a_review_from_the_copy_is_the_review_from_the_store(sample_store: Store) -> None:
    for moment in MOMENTS[1:]:
        from_store = review(sample_store, moment, columnar=False)
        from_copy = review(sample_store, moment)
        assert from_copy.deals.height > 0
        assert_frame_equal(from_copy.deals, from_store.deals)
        assert from_copy.summary == from_store.summary
        # a batch at a time: the same rows in the same order
        batched = review(sample_store, moment, batch_deals=7)
        assert_frame_equal(batched.deals, from_store.deals)


def test_a_copy_missing_or_stale_is_rebuilt(sample_store: Store, tmp_path: Path) -> None:
    expected = review(sample_store, AS_OF, columnar=False)
    folder = copy_folder(sample_store)
    assert folder is not None
    (folder / MANIFEST).unlink()
    assert current_copy(sample_store) is None
    assert_frame_equal(review(sample_store, AS_OF).deals, expected.deals)
    assert current_copy(sample_store) is not None  # the review rebuilt it
    # an import killed between its commit and the copy: stale, rebuilt when read
    deal = expected.deals["deal_id"][0]
    paths = write_more(tmp_path / "M", "M", deals_from=deal, at=datetime(2026, 9, 1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(norms, "after_import", lambda *args, **kwargs: None)
        import_files(sample_store, *paths)
    assert current_copy(sample_store) is None
    later = review(sample_store, AS_OF)
    assert_frame_equal(later.deals, review(sample_store, AS_OF, columnar=False).deals)
    assert not later.deals.equals(expected.deals)  # the new deals are in it
    # a manifest that is not one
    (folder / MANIFEST).write_text("{not json")
    assert_frame_equal(review(sample_store, AS_OF).deals, later.deals)
    assert json.loads((folder / MANIFEST).read_text())["run"] > 1


def test_the_first_import_is_its_own_copy_and_a_store_made_again_is_not_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    store = open_store(url)
    # the first import writes what it added: it never reads the store back
    monkeypatch.setattr(columnar, "load_activities", lambda *args: pytest.fail("read back"))
    import_files(store, *sample_files(), format="generic")
    monkeypatch.undo()
    for moment in MOMENTS:
        assert_same_pipeline(store, moment)
    first = current_copy(store)
    assert first is not None and first.run == 1
    store.close()
    # the file deleted and a smaller store made at the same path: its run 1 is not the
    # old store's run 1, so the old copy is not taken for it
    for path in tmp_path.glob("team.db*"):
        if path.is_file():
            path.unlink()
    store = open_store(url)
    deal = "X-1"
    smaller = write_more(tmp_path / "X", "X", deals_from=deal, at=datetime(2026, 9, 1))
    import_files(store, *smaller)
    again = current_copy(store)
    assert again is not None and again.run == 1 and again.stamp != first.stamp
    assert_same_pipeline(store, datetime(2027, 1, 1))
    assert review(store, datetime(2026, 9, 2)).deals.height == 2
    store.close()


@pytest.mark.parametrize("copy", ["current", "stale"])
def test_a_re_import_finds_the_rows_it_has_in_the_copy_as_in_the_store(
    sample_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copy: str
) -> None:
    deal = load_pipeline(sample_store, AS_OF).deals["deal_id"][0]
    at = datetime(2026, 11, 10, 9, 30)
    first = write_more(tmp_path / "M", "M", deals_from=deal, at=at)
    import_files(sample_store, *first)
    before = load_pipeline(sample_store, datetime(2027, 1, 1), columnar=False).activities
    if copy == "stale":  # an import killed after its commit: the copy is of a run before
        (tmp_path / "N").mkdir()
        (tmp_path / "N" / "deals.csv").write_text(first[0].read_text())
        with monkeypatch.context() as patch:
            patch.setattr(norms, "after_import", lambda *args, **kwargs: None)
            import_files(sample_store, tmp_path / "N" / "deals.csv")
    # everything again, one activity changed and one more: two new, the rest known
    acts = first[1].read_text().replace("Call M", "Call M again", 1)
    acts += f"{deal},{at:%Y-%m-%dT%H:%M},note,,done,,,One more,Anna\n"
    (tmp_path / "again.csv").write_text(acts)
    with monkeypatch.context() as patch:
        if copy == "current":  # the copy answers: the store's activities are not read
            patch.setattr(writing, "load_activities", lambda *a, **k: pytest.fail("read"))
        sample = import_files(sample_store, *sample_files())
        assert sample.activities_new == 0 and sample.activities_unchanged > 0
        summary = import_files(sample_store, first[0], tmp_path / "again.csv")
    assert (summary.activities_new, summary.activities_unchanged) == (2, 5)
    after = load_pipeline(sample_store, datetime(2027, 1, 1), columnar=False).activities
    assert after.height == before.height + 2
    assert_same_pipeline(sample_store, datetime(2027, 1, 1))


@pytest.mark.postgres
def test_the_copy_folder_is_the_one_the_store_was_opened_with(
    postgres_url: str, tmp_path: Path, runner: CliRunner
) -> None:
    """The command line takes it from the settings ($WALKAWAY_COPY_DIR, read once); a
    store opened without one keeps no copy and is read directly, to the same review."""
    folder = tmp_path / "copies"
    deals_csv, activities_csv = sample_files()
    arguments = ["import", str(deals_csv), "-a", str(activities_csv), "--db", postgres_url]
    with warnings.catch_warnings():  # as tests/web/test_api.py's cli_json: see there
        warnings.simplefilter("ignore", ResourceWarning)
        done = runner.invoke(app, arguments, env={"WALKAWAY_COPY_DIR": str(folder)})
        gc.collect()
    assert done.exit_code == 0, done.output
    store = open_store(postgres_url, copy_dir=folder)
    bare = open_store(postgres_url)
    try:
        found = current_copy(store)
        assert found is not None and found.folder.parent == folder
        assert copy_folder(bare) is None and current_copy(bare) is None
        assert_frame_equal(review(bare, AS_OF).deals, review(store, AS_OF).deals)
    finally:
        store.close()
        bare.close()


def test_where_no_copy_can_be_written_the_store_is_read(tmp_path: Path) -> None:
    in_memory = open_store("sqlite://")
    assert copy_folder(in_memory) is None
    blocked = open_store(f"sqlite:///{tmp_path / 'team.db'}")
    folder = copy_folder(blocked)
    assert folder is not None
    folder.write_text("a file where the folder would go")
    for store in (in_memory, blocked):
        import_files(store, *sample_files(), format="generic")
        assert current_copy(store) is None
        result = review(store, AS_OF)
        assert_frame_equal(result.deals, review(store, AS_OF, columnar=False).deals)
        store.close()


def open_ended(store: Store) -> list[datetime]:
    c = norms_cache.c
    with store.connect() as conn:
        return list(conn.execute(sa.select(c.as_of).where(c.open_ended)).scalars())


def per_day(store: Store) -> list[datetime]:
    c = norms_cache.c
    with store.connect() as conn:
        return list(conn.execute(sa.select(c.as_of).where(~c.open_ended)).scalars())


def test_the_import_learns_the_norms_of_every_later_day(sample_store: Store) -> None:
    horizon = data_horizon(sample_store)
    assert horizon is not None and open_ended(sample_store) == [horizon]
    stored = load_pipeline(sample_store, datetime(2100, 1, 1), columnar=False)
    newest = max(
        stored.activities["at"].max(),
        stored.deals["created_at"].max(),
        stored.deals["closed_at"].max(),
    )
    assert horizon == norms_day(newest) + timedelta(days=1)
    later = horizon + timedelta(days=45, hours=9)
    result = review(sample_store, later)
    assert per_day(sample_store) == []  # nothing learned again
    policy = current_policy(sample_store)
    fresh = learned_norms(
        load_pipeline(sample_store, later, columnar=False), norms_day(later), policy
    )
    assert fresh.as_of == horizon
    from walkaway.service.norms import cached_norms

    held = cached_norms(sample_store, norms_key(sample_store, later, policy))
    assert held is not None and held.to_dict() == fresh.to_dict()
    assert result.deals.height > 0
    # a day inside the data learns its own
    review(sample_store, AS_OF)
    assert per_day(sample_store) == [AS_OF]


def test_norms_never_learn_from_what_is_dated_after_the_day(
    sample_store: Store, tmp_path: Path
) -> None:
    """A review past the end of the data learns at the data's horizon; data dated later
    than the review (imported afterwards) changes nothing in it."""
    day = datetime(2027, 3, 1)
    before = review(sample_store, day)
    deal = before.deals["deal_id"][0]
    paths = write_more(tmp_path / "L", "L", deals_from=deal, at=datetime(2027, 6, 1))
    import_files(sample_store, *paths)
    assert data_horizon(sample_store) == datetime(2027, 6, 2)
    again = review(sample_store, day)
    assert_frame_equal(again.deals, before.deals)


def test_an_import_without_the_norms_still_brings_the_copy_up_to_date(
    sample_store: Store, tmp_path: Path
) -> None:
    deal = load_pipeline(sample_store, AS_OF).deals["deal_id"][0]
    paths = write_more(tmp_path / "M", "M", deals_from=deal, at=datetime(2026, 11, 30))
    from walkaway.service.norms import cached_norms

    later, policy = datetime(2027, 1, 1), current_policy(sample_store)
    assert cached_norms(sample_store, norms_key(sample_store, later, policy)) is not None
    import_files(sample_store, *paths, warm=False)
    assert current_copy(sample_store) is not None
    assert_same_pipeline(sample_store, later)
    # nothing learned for the new run (the old run's entry is never read again)
    assert cached_norms(sample_store, norms_key(sample_store, later, policy)) is None


def test_an_import_that_fails_after_its_copy_was_made_leaves_the_copy_it_found(
    sample_store: Store, tmp_path: Path
) -> None:
    # The copy of a run and its norms are made on a thread while its rows are written;
    # a run that then rolls back must publish neither.
    found = current_copy(sample_store)
    assert found is not None
    deal = load_pipeline(sample_store, AS_OF).deals["deal_id"][0]
    paths = write_more(tmp_path / "M", "M", deals_from=deal, at=datetime(2026, 9, 1))

    def refuse(_conn: object, _summary: object) -> None:
        raise RuntimeError("refused inside the transaction")

    with pytest.raises(RuntimeError, match="refused"):
        import_files(sample_store, *paths, then=refuse)
    assert current_copy(sample_store) == found
    assert_same_pipeline(sample_store, datetime(2027, 1, 1))
    with sample_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(norms_cache)).scalar() == 1
    # the same files again: the run lands, and its copy is the store (on SQLite under
    # the number the failed run had, whose files it had begun)
    import_files(sample_store, *paths)
    landed = current_copy(sample_store)
    assert landed is not None and landed.run > found.run
    assert_same_pipeline(sample_store, datetime(2027, 1, 1))

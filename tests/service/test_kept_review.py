"""The review kept beside the store (walkaway.service.kept), on SQLite and PostgreSQL.

Read back, it is the review to the last bit; whatever changes a number (an import, a
policy, a training) makes it another review, and what changes none (a decision, an
outcome) leaves it valid, the decision shown beside it; a damaged or foreign file is
never read, and the next review replaces it; a few files are kept, no more.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from tests.calls import counted_calls
from tests.csvfiles import deals_csv
from walkaway.decision.assess import assess_frame
from walkaway.service import import_files, sample_files, save_policy
from walkaway.service.journal import record_decision, record_outcome
from walkaway.service.kept import review_key, reviewed
from walkaway.service.models import train
from walkaway.service.review import Review, review
from walkaway.store import Store
from walkaway.store.kept import KEEP, kept_folder

AS_OF = datetime(2026, 11, 16)  # the sample's today


@pytest.fixture
def sample_store(store: Store) -> Store:
    import_files(store, *sample_files(), format="generic")
    return store


def same_review(found: Review, expected: Review) -> None:
    assert_frame_equal(found.deals, expected.deals)
    assert_frame_equal(found.skipped, expected.skipped)
    assert found.summary == expected.summary
    assert found.as_of == expected.as_of


def kept_files(store: Store) -> list[Path]:
    folder = kept_folder(store)
    assert folder is not None
    return sorted(folder.glob("review-*.arrow"))


def assessed_in(store: Store, as_of: datetime = AS_OF) -> tuple[Review, int]:
    """The review from reviewed(), and how many times deals were assessed for it."""
    with counted_calls(assess_frame) as calls:
        found = reviewed(store, as_of)
    return found, calls.count


def test_a_kept_review_is_the_review_and_assesses_nothing(sample_store: Store) -> None:
    first, assessed = assessed_in(sample_store)
    assert assessed >= 1
    assert len(kept_files(sample_store)) == 1
    again, assessed = assessed_in(sample_store)
    assert assessed == 0
    same_review(again, first)
    same_review(again, review(sample_store, AS_OF))


def test_another_moment_is_another_review(sample_store: Store) -> None:
    reviewed(sample_store, AS_OF)
    later = AS_OF + timedelta(hours=1)
    found, assessed = assessed_in(sample_store, later)
    assert assessed >= 1
    same_review(found, review(sample_store, later))
    assert len(kept_files(sample_store)) == 2


def _import(store: Store, folder: Path) -> None:
    row = "K-1,Kept,Kept Ltd,Anna Keller,Proposal,123456,2026-10-01,,open"
    import_files(store, deals_csv(folder, [row], name="more.csv"))


def _policy(store: Store, folder: Path) -> None:
    save_policy(store, "[economics]\nyield_window_months = 3\n")


def _training(store: Store, folder: Path) -> None:
    train(store, AS_OF)


CHANGES_NUMBERS = {"an import": _import, "a policy": _policy, "a training": _training}


@pytest.mark.parametrize("change", list(CHANGES_NUMBERS))
def test_what_changes_the_numbers_is_another_review(
    sample_store: Store, tmp_path: Path, change: str
) -> None:
    before = reviewed(sample_store, AS_OF)
    key = review_key(sample_store, AS_OF)
    CHANGES_NUMBERS[change](sample_store, tmp_path)
    assert review_key(sample_store, AS_OF) != key
    found, assessed = assessed_in(sample_store)
    assert assessed >= 1
    expected = review(sample_store, AS_OF)
    same_review(found, expected)
    assert not found.deals.equals(before.deals), f"{change} changed nothing"


def test_a_decision_and_an_outcome_keep_it_and_show_beside_it(sample_store: Store) -> None:
    first = reviewed(sample_store, AS_OF)
    deal_id = str(first.deals["deal_id"][0])
    other = str(first.deals["deal_id"][1])
    record_decision(sample_store, deal_id, "walk_away", "no budget this year", as_of=AS_OF)
    record_outcome(sample_store, other, "lost", on=AS_OF.date())
    found, assessed = assessed_in(sample_store)
    assert assessed == 0
    same_review(found, review(sample_store, AS_OF))
    row = found.deals.row(0, named=True)
    assert (row["deal_id"], row["human_decision"]) == (deal_id, "walk_away")
    assert found.summary["human_decisions"] == first.summary["human_decisions"] + 1


DAMAGES = {
    "cut short": lambda data: data[: len(data) // 2],
    "a byte changed": lambda data: data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:],
    "empty": lambda data: b"",
    "not ours": lambda data: b"PAR1" + data[4:],
    "a header that lies": lambda data: data[:23] + (10**9).to_bytes(8, "little") + data[31:],
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_file_is_never_read_and_is_replaced(sample_store: Store, damage: str) -> None:
    first = reviewed(sample_store, AS_OF)
    [path] = kept_files(sample_store)
    path.write_bytes(DAMAGES[damage](path.read_bytes()))
    found, assessed = assessed_in(sample_store)
    assert assessed >= 1
    same_review(found, first)
    again, assessed = assessed_in(sample_store)
    assert assessed == 0
    same_review(again, first)


def test_a_file_of_another_key_is_not_read(sample_store: Store) -> None:
    reviewed(sample_store, AS_OF)
    later = AS_OF + timedelta(days=1)
    reviewed(sample_store, later)
    folder = kept_folder(sample_store)
    assert folder is not None
    older, newer = sorted(kept_files(sample_store), key=lambda p: p.stat().st_mtime_ns)
    older.write_bytes(newer.read_bytes())  # the review of the day after, under today's name
    found, assessed = assessed_in(sample_store)
    assert assessed >= 1
    same_review(found, review(sample_store, AS_OF))


def test_a_store_made_afresh_in_the_same_place_is_not_served_the_old_review(
    tmp_path: Path,
) -> None:
    from walkaway.store import open_store
    from walkaway.store.database import remove_sqlite_file

    path = tmp_path / "team.db"
    store = open_store(f"sqlite:///{path}")
    import_files(store, *sample_files(), format="generic")
    old = reviewed(store, AS_OF)
    folder = kept_folder(store)
    store.close()
    kept = {p.name: p.read_bytes() for p in folder.glob("review-*.arrow")} if folder else {}
    remove_sqlite_file(path)  # the copy and its kept reviews go too: put them back
    assert folder is not None and kept
    folder.mkdir(parents=True)
    for name, data in kept.items():
        (folder / name).write_bytes(data)
    store = open_store(f"sqlite:///{path}")
    try:
        deals_path, _ = sample_files()
        import_files(store, deals_path, format="generic")  # the deals, no activities
        found, assessed = assessed_in(store)
        assert assessed >= 1
        same_review(found, review(store, AS_OF))
        assert not found.deals.equals(old.deals)
    finally:
        store.close()


def test_only_the_newest_few_are_kept(sample_store: Store) -> None:
    moments = [AS_OF - timedelta(days=n) for n in range(KEEP + 2)]
    for moment in moments:
        reviewed(sample_store, moment)
    assert len(kept_files(sample_store)) == KEEP
    for moment in moments[-KEEP:]:  # the newest: still kept
        _, assessed = assessed_in(sample_store, moment)
        assert assessed == 0
    _, assessed = assessed_in(sample_store, moments[0])  # the oldest: gone
    assert assessed >= 1

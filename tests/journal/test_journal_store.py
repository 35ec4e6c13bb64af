"""The journal's store functions on SQLite and PostgreSQL: decisions that stick."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from walkaway.errors import InputError, NotFound
from walkaway.journal.scorecard import overlay_decisions
from walkaway.service import import_files, sample_files
from walkaway.service.deal import exit_message, exit_messages
from walkaway.service.decisions import human_decisions
from walkaway.service.due import due
from walkaway.service.journal import journal, record_decision, record_outcome
from walkaway.service.loss_review import find_loss, loss_notes, loss_review, record_loss_notes
from walkaway.service.review import review
from walkaway.store import Store
from walkaway.store.schema import decisions, loss_reviews, outcomes

SAMPLE_DAY = datetime(2026, 11, 16)


def _import_sample(store: Store) -> tuple[Path, Path]:
    deals_csv, activities_csv = sample_files()
    import_files(store, deals_csv, activities_csv, format="generic")
    return deals_csv, activities_csv


def _changed_copy(deals_csv: Path, tmp_path: Path) -> Path:
    """The sample with D-2021 closed as lost on 12 November and D-2020's amount cut."""
    frame = pl.read_csv(deals_csv, infer_schema=False)
    is_2021, is_2020 = pl.col("deal_id") == "D-2021", pl.col("deal_id") == "D-2020"
    frame = frame.with_columns(
        pl.when(is_2021).then(pl.lit("lost")).otherwise(pl.col("outcome")).alias("outcome"),
        pl.when(is_2021)
        .then(pl.lit("2026-11-12T10:00:00"))
        .otherwise(pl.col("closed_at"))
        .alias("closed_at"),
        pl.when(is_2021)
        .then(pl.lit("no budget"))
        .otherwise(pl.col("loss_reason"))
        .alias("loss_reason"),
        pl.when(is_2020).then(pl.lit("9000")).otherwise(pl.col("amount")).alias("amount"),
    )
    path = tmp_path / "deals-changed.csv"
    frame.write_csv(path)
    return path


def _rows(store: Store) -> list[tuple[object, ...]]:
    with store.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(
                    decisions.c.deal_id, decisions.c.decision, decisions.c.reason,
                    decisions.c.as_of, decisions.c.win_probability, decisions.c.snapshot,
                ).order_by(decisions.c.id)
            )
        ]  # fmt: skip


def test_a_decision_sticks_across_reimports_and_reviews(store: Store, tmp_path: Path) -> None:
    deals_csv, activities_csv = _import_sample(store)
    walked = record_decision(
        store, "D-2021", "walk_away", "No budget this year", as_of=datetime(2026, 11, 2)
    )
    kept = record_decision(
        store, "D-2020", "pursue", "The champion is strong", as_of=datetime(2026, 11, 10)
    )
    assert walked.revisit_on == date(2027, 5, 2) and walked.decided_by == "Lukas Brandt"
    assert kept.recommendation == "walk_away"  # the data disagreed even then
    before = _rows(store)
    review(store, SAMPLE_DAY)
    import_files(store, deals_csv, activities_csv, format="generic")
    import_files(store, _changed_copy(deals_csv, tmp_path), activities_csv, format="generic")
    assert _rows(store) == before

    result = review(store, SAMPLE_DAY)
    shown = overlay_decisions(result.deals, human_decisions(store, SAMPLE_DAY))
    d2020 = shown.filter(pl.col("deal_id") == "D-2020").row(0, named=True)
    assert d2020["human_decision"] == "pursue" and d2020["recommendation"] == "walk_away"
    assert d2020["data_disagrees"] is True
    assert d2020["disagreement"].startswith(
        "You decided to pursue on 2026-11-10; the data now says walk away (p "
    )
    assert "D-2021" not in shown["deal_id"].to_list()  # closed since: not in the review
    latest = human_decisions(store)
    assert dict(latest.select("deal_id", "human_decision").iter_rows()) == {
        "D-2020": "pursue",
        "D-2021": "walk_away",
    }
    assert human_decisions(store, datetime(2026, 11, 5))["deal_id"].to_list() == ["D-2021"]
    entries = journal(store, SAMPLE_DAY).entries
    d2021 = entries.filter(pl.col("deal_id") == "D-2021").row(0, named=True)
    assert d2021["outcome_after"] == "lost" and d2021["deal_outcome"] == "lost"


def test_a_later_decision_is_added_never_overwrites(store: Store) -> None:
    _import_sample(store)
    record_decision(store, "D-2007", "requalify", "Need the CFO", as_of=datetime(2026, 11, 2))
    record_decision(store, "D-2007", "walk-away", "CFO said no", as_of=datetime(2026, 11, 9))
    assert [r[1] for r in _rows(store)] == ["requalify", "walk_away"]
    latest = human_decisions(store).row(0, named=True)
    assert (latest["human_decision"], latest["human_reason"]) == ("walk_away", "CFO said no")
    entries = journal(store, SAMPLE_DAY).entries
    first = entries.filter(pl.col("decision") == "requalify").row(0, named=True)
    assert first["requalify_status"] == "met"  # settled by the later decision


def test_outcomes_and_the_due_list(store: Store) -> None:
    _import_sample(store)
    record_decision(store, "D-2007", "requalify", "Need the CFO", as_of=datetime(2026, 11, 2))
    record_decision(store, "D-2021", "walk_away", "No budget", as_of=datetime(2026, 11, 2))
    record_outcome(store, "D-2021", "came-back", note="They called", on=date(2026, 11, 12))
    entries = journal(store, SAMPLE_DAY, owner="lukas brandt").entries
    assert entries["deal_id"].to_list() == ["D-2021"]
    assert entries["fate"].item() == "came_back"
    items = due(store, date(2026, 11, 16), known_before=datetime(2026, 11, 17))
    row = items.filter(pl.col("deal_id") == "D-2007").row(0, named=True)
    assert (row["kind"], row["requalify_status"]) == ("requalify_deadline", "missed")
    assert row["message"].startswith("Subject: Pausing Analytics for now")
    assert row["questions"]
    assert due(store, date(2026, 11, 10), known_before=datetime(2026, 11, 11)).height == 0


def test_due_drafts_every_missed_deadline_as_one_deal_at_a_time_would(store: Store) -> None:
    _import_sample(store)
    asked = ["D-2001", "D-2007", "D-2012", "D-2014", "D-2015"]
    for deal_id in asked:
        record_decision(store, deal_id, "requalify", "Need answers", as_of=datetime(2026, 11, 2))
    record_outcome(store, "D-2015", "lost", note="gone quiet", on=date(2026, 11, 10))
    moment = datetime(2026, 11, 17)
    items = due(store, date(2026, 11, 16), known_before=moment, tone="direct")
    drafted = dict(
        items.filter(pl.col("message").is_not_null()).select("deal_id", "message").rows()
    )
    missed = items.filter(
        (pl.col("requalify_status") == "missed") & (pl.col("deal_outcome") == "open")
    )["deal_id"].to_list()
    assert sorted(drafted) == sorted(missed) and "D-2015" not in drafted
    assert drafted, "the sample's deals did not answer the questions by the deadline"
    for deal_id, message in drafted.items():
        assert message == exit_message(store, deal_id, moment, "direct")
    # Unknown deals, and deals not yet created at the moment, get no draft.
    assert exit_messages(store, ["NOPE", "D-2044"], datetime(2026, 11, 2)) == {}


def test_bad_decisions_write_nothing(store: Store) -> None:
    _import_sample(store)
    cases = [
        (NotFound, ("NOPE", "pursue", "x"), {}),
        (InputError, ("D-2020", "maybe", "x"), {}),
        (InputError, ("D-2020", "pursue", "  "), {}),
        (InputError, ("D-2020", "walk_away", "x"), {"revisit": date(2026, 11, 1)}),
        (InputError, ("D-1001", "pursue", "x"), {}),  # lost in 2025
    ]
    for error, args, extra in cases:
        with pytest.raises(error):
            record_decision(store, *args, as_of=SAMPLE_DAY, **extra)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        record_outcome(store, "D-2020", "maybe")
    with pytest.raises(InputError):
        record_outcome(store, "D-2020", "won", on=date(2999, 1, 1))
    with pytest.raises(NotFound):
        record_outcome(store, "NOPE", "won")
    assert _rows(store) == []
    with store.connect() as conn:
        hand = sa.select(sa.func.count()).where(outcomes.c.source == "human")
        assert conn.execute(hand).scalar() == 0


def test_loss_review_notes_and_a_loss_recorded_by_hand(store: Store) -> None:
    _import_sample(store)
    assert find_loss(store, "D-1001").lost_at == datetime(2025, 9, 12, 15, 57)
    move_on = record_loss_notes(
        store, "D-1001", answer="They chose a cheaper tool", lesson="Qualify budget earlier"
    )
    assert move_on == date(2025, 9, 26)
    notes = loss_notes(store, "D-1001")
    assert notes.select("buyer_answer", "lesson", "move_on_by").rows() == [
        ("They chose a cheaper tool", "Qualify budget earlier", date(2025, 9, 26))
    ]
    with pytest.raises(InputError, match="not lost"):
        record_loss_notes(store, "D-2020", lesson="x")
    record_outcome(store, "D-2020", "lost", note="went with the incumbent", on=date(2026, 11, 12))
    view = loss_review(store, "D-2020")
    assert view.review.deal["lost_at"] == datetime(2026, 11, 12)
    assert view.review.deal["loss_reason"] == "went with the incumbent"
    assert view.review.timeline["cut"].max() == datetime(2026, 11, 12)
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(loss_reviews)).scalar() == 1

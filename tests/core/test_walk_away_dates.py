"""The date a deal crosses the walk-away line, found two ways.

A few deals (one alone, as ``show`` and a decision assess it) are looked at on every
Monday of the year ahead in one frame and the halving replayed on the answers; many
deals (a review) are looked at only on the Mondays the halving asks about. The two
must give every deal the same date, to the day, and the same assessment to the bit.
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta

import pytest

from walkaway.decision.assess import assess_frame
from walkaway.models import Pipeline
from walkaway.policy import load_policy

ahead = importlib.import_module("walkaway.decision.ahead")
DAYS = [datetime(2026, 3, 2, 9) + timedelta(days=41 * n, hours=7 * n) for n in range(6)]


@pytest.mark.parametrize("as_of", DAYS, ids=[f"{d:%Y-%m-%d}" for d in DAYS])
def test_every_monday_at_once_reads_the_dates_the_halving_finds(
    sample_pipeline: Pipeline, as_of: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = load_policy(None)
    monkeypatch.setattr(ahead, "GRID_ROWS", 0)
    halved = assess_frame(sample_pipeline, as_of, policy)
    monkeypatch.setattr(ahead, "GRID_ROWS", 10**9)
    gridded = assess_frame(sample_pipeline, as_of, policy)
    assert halved["walk_away_on"].is_not_null().sum() > 0  # some deal crosses within a year
    assert gridded.equals(halved)


def test_one_deal_alone_reads_the_date_it_has_among_all(
    sample_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deal assessed alone (on the grid) has the date the whole pipeline's assessment
    gives it when only the halving's Mondays are looked at (as a review of many deals)."""
    policy = load_policy(None)
    as_of = DAYS[-1]
    alone = {
        deal_id: assess_frame(sample_pipeline, as_of, policy, deal_ids=[deal_id])
        for deal_id in assess_frame(sample_pipeline, as_of, policy)["deal_id"]
    }
    monkeypatch.setattr(ahead, "GRID_ROWS", 0)
    everyone = assess_frame(sample_pipeline, as_of, policy)
    assert everyone["walk_away_on"].is_not_null().sum() > 0
    for row in everyone.iter_rows(named=True):
        assert alone[row["deal_id"]].row(0, named=True) == row

"""What the team's closed deals say of each qualification fact, for ``walkaway model``."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from walkaway.models import as_utc_naive
from walkaway.service.norms import norms_key, team_norms
from walkaway.service.pipeline import current_policy
from walkaway.signals.facts import facts_frame
from walkaway.store import Store
from walkaway.store.writing import now_utc


def prior_facts(store: Store, as_of: datetime | None = None) -> pl.DataFrame:
    """Each fact's weights and verdict as of ``as_of`` (default: now), from the day's
    norms (:mod:`walkaway.signals.facts`): what the prior uses while no model is trained."""
    moment = as_utc_naive(as_of) if as_of is not None else now_utc()
    policy = current_policy(store)
    return facts_frame(team_norms(store, norms_key(store, moment, policy), policy).facts)

"""Which win model assesses as of a date: the trained one in force from its horizon on
(the last outcome it learned from), whenever it was trained; before it, the prior as of
the date. Either way the line that names it says which."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from walkaway.service import import_files, sample_files
from walkaway.service.model_lookup import model_for
from walkaway.service.models import model_card, train
from walkaway.service.review import review
from walkaway.store import Store, open_store

UNTIL = datetime(2026, 11, 16)


def test_the_model_in_force_from_its_horizon_on(sqlite_store: Store) -> None:
    import_files(sqlite_store, *sample_files(), format="generic")
    untrained = model_for(sqlite_store, UNTIL)
    assert untrained.model is None and "no model trained yet" in untrained.said
    train(sqlite_store, UNTIL)
    card = model_card(sqlite_store)
    assert card is not None and card.horizon is not None and card.horizon < UNTIL
    found = model_for(sqlite_store, UNTIL)
    assert found.model is not None
    assert found.said.startswith(("learned, trained ", "the prior, calibrated on "))
    # trained today, it serves a review as of any moment after its last outcome ...
    after = card.horizon + timedelta(seconds=1)
    assert model_for(sqlite_store, after).model is not None
    # ... and not at or before it: it saw outcomes that were not known then, and says so
    before = model_for(sqlite_store, card.horizon)
    assert before.model is None
    assert before.said.startswith("the prior as of this date: the model trained ")
    train(sqlite_store, datetime(2025, 6, 20))  # too little history: the prior alone
    thin = model_for(sqlite_store, UNTIL)
    assert thin.model is None and "found too little history" in thin.said


def test_the_review_names_the_model_that_made_its_calls(sqlite_store: Store) -> None:
    import_files(sqlite_store, *sample_files(), format="generic")
    assert "no model trained yet" in review(sqlite_store, UNTIL).summary["model"]["said"]
    train(sqlite_store, UNTIL)
    summary = review(sqlite_store, UNTIL).summary
    assert summary["model"]["kind"] in ("calibrated", "stack")


def test_a_card_stored_before_stack_was_the_word_still_reads(sqlite_store: Store) -> None:
    from walkaway.learning.card import ModelCard
    from walkaway.models import ModelKind

    import_files(sqlite_store, *sample_files(), format="generic")
    train(sqlite_store, UNTIL)
    data = model_card(sqlite_store).to_dict()  # type: ignore[union-attr]
    old = {**data, "kind": "blend", "blend_weight": data.pop("learned_share")}
    assert ModelCard.from_dict(json.loads(json.dumps(old))).kind is ModelKind.STACK


@pytest.mark.parametrize("trained", [False, True])
def test_where_nothing_was_learned_the_learning_libraries_stay_unloaded(
    tmp_path: Path, trained: bool
) -> None:
    """``walkaway show`` on a store with no learned model never loads scikit-learn."""
    url = f"sqlite:///{tmp_path / 'team.db'}"
    if trained:  # a training that found too little history: the prior alone
        store = open_store(url)
        import_files(store, *sample_files(), format="generic")
        train(store, datetime(2025, 6, 20))
    code = (
        "import sys\n"
        "from datetime import datetime\n"
        "from walkaway.service.model_lookup import model_for\n"
        "from walkaway.store import open_store\n"
        f"store = open_store({url!r})\n"
        "assert model_for(store, datetime(2026, 1, 1)).model is None\n"
        "print(sorted(m for m in ('sklearn', 'lightgbm') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

"""Which win model assesses as of a date: the trained one in force, if it learned only
from what was known then; else none (the engine fits its prior as of the date)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

from walkaway.service import import_files, sample_files
from walkaway.service.model_lookup import model_for
from walkaway.service.models import train
from walkaway.store import Store

UNTIL = datetime(2026, 11, 16)


def test_the_model_in_force_only_from_its_cut_on(sqlite_store: Store) -> None:
    import_files(sqlite_store, *sample_files(), format="generic")
    assert model_for(sqlite_store, UNTIL) is None  # nothing trained
    train(sqlite_store, UNTIL)
    assert model_for(sqlite_store, UNTIL) is not None
    assert model_for(sqlite_store, datetime(2026, 11, 15)) is None  # it saw later outcomes
    train(sqlite_store, datetime(2025, 6, 20))  # too little history: the prior alone
    assert model_for(sqlite_store, UNTIL) is None


def test_where_nothing_was_trained_the_learning_libraries_stay_unloaded(tmp_path: Path) -> None:
    """``walkaway show`` on a store with no trained model never loads scikit-learn."""
    url = f"sqlite:///{tmp_path / 'team.db'}"
    code = (
        "import sys\n"
        "from datetime import datetime\n"
        "from walkaway.service.model_lookup import model_for\n"
        "from walkaway.store import open_store\n"
        f"store = open_store({url!r})\n"
        "assert model_for(store, datetime(2026, 1, 1)) is None\n"
        "print(sorted(m for m in ('sklearn', 'lightgbm') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

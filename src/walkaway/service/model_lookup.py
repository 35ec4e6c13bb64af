"""Which win model assesses the pipeline as of a date.

The trained model in force (:mod:`walkaway.service.models`), if it learned only from
deals closed before that date; otherwise none, and the engine fits its prior as of the
date. A store where nothing was ever trained answers from one small read, without
loading the learning libraries (scikit-learn, LightGBM): ``walkaway show`` stays quick.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from walkaway.models import as_utc_naive
from walkaway.store import Store
from walkaway.store.trained import model_kind_in_force

if TYPE_CHECKING:
    from walkaway.learning.blend import BlendedWinModel


def model_for(store: Store, as_of: datetime) -> BlendedWinModel | None:
    """The trained win model in force, if it learned only from deals closed before
    ``as_of``; otherwise None, and the engine fits its prior as of ``as_of`` (a model
    trained later has seen outcomes that were not known then)."""
    with store.connect() as conn:
        kind = model_kind_in_force(conn)
    if kind is None:
        return None
    # Something was trained: the learning libraries load now, and only now.
    from walkaway.learning.card import PRIOR

    if kind == PRIOR:  # nothing learned to load
        return None
    from walkaway.service.models import active_model

    found = active_model(store)
    if found is None:
        return None
    model, card = found
    return model if card.until <= as_utc_naive(as_of) else None

"""One deal assessed alone, in CPU seconds: ``python benchmarks/one_deal.py [--runs 20]``.

What ``walkaway show`` and a decision with no review at hand (``walkaway decide``, the
API deciding "now") compute for one deal: the bundled sample in a fresh SQLite file,
one open deal, ``--runs`` moments a second apart after a warm-up (the norms of the day
learned and cached, the policy read), each timed with ``time.process_time`` (the
process's CPU, every thread). A decision's assessment is ``service.deal.
assessment_of`` where the code has it, else ``show``'s (what decisions recorded before
it). Run it against older code with ``PYTHONPATH=<its src>``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from walkaway.service import build_demo
from walkaway.service import deal as one_deal
from walkaway.store import Store

DEAL = "D-2030"
AS_OF = datetime(2026, 11, 16, 12)


def cpu_per_call(call: Callable[[datetime], object], runs: int) -> float:
    """The median CPU seconds of ``call`` at ``runs`` moments a second apart."""
    call(AS_OF)  # warm-up: the norms of the day, the policy, the model's card
    spent = []
    for second in range(1, runs + 1):
        began = time.process_time()
        call(AS_OF + timedelta(seconds=second))
        spent.append(time.process_time() - began)
    return statistics.median(spent)


def measure(store: Store, runs: int) -> dict[str, float]:
    decision = getattr(one_deal, "assessment_of", None)
    if decision is None:  # before it: a decision recorded show's assessment
        decision = lambda store, deal_id, moment: one_deal.show(store, deal_id, moment)  # noqa: E731
    return {
        "show_cpu_s": round(cpu_per_call(lambda t: one_deal.show(store, DEAL, t), runs), 4),
        "decision_cpu_s": round(cpu_per_call(lambda t: decision(store, DEAL, t), runs), 4),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="walkaway-one-deal-") as tmp:
        store = build_demo(f"sqlite:///{Path(tmp) / 'one.db'}")[0]
        try:
            print(json.dumps(measure(store, args.runs)))
        finally:
            store.close()


if __name__ == "__main__":
    main()

"""How fast is a loss review? ``python benchmarks/loss_review_bench.py [--runs N] [--store DB]``.

On the bundled sample (``walkaway demo``: 272 deals, 212 lost), or with ``--store`` on
a SQLite store built by ``benchmarks/review_bench.py --build-only`` (e.g. 10,000 deals:
``--open 2000 --closed 8000 --activities 500000``), in-process, ``--runs`` times each
(median, fastest, slowest; wall and CPU seconds):

a. one review as of the sample's today (:func:`walkaway.service.review.review`; on a
   ``--store``, as of its ``built.json`` date);
b. one lost deal's loss review (:func:`walkaway.service.loss_review.loss_review`; the
   first lost deal by id);
c. the team view (:func:`walkaway.service.loss_review.team_loss_review`).

``--facts``: instead, the facts' weights learned as of 30 evenly spaced moments from
the first creation to the last close (:func:`walkaway.signals.facts.learn_fact_weights`,
what each cut's norms learn), 5 times: CPU seconds of each pass.

The targets of issue 27: b under 1 s, c under 3 s on a 10,000-deal store. To compare
with an older version, run the same command with ``PYTHONPATH=OTHER_CHECKOUT/src``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from walkaway.sample import SAMPLE_AS_OF
from walkaway.service import build_demo
from walkaway.service.loss_review import loss_review, team_loss_review
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import load_pipeline as store_pipeline
from walkaway.service.review import review
from walkaway.signals.facts import learn_fact_weights
from walkaway.signals.snapshot import take_snapshot
from walkaway.store import Store, open_store


def _measure(label: str, run: Callable[[], object], runs: int) -> None:
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(
        f"{label}: wall median {statistics.median(wall):.2f} s "
        f"({min(wall):.2f}-{max(wall):.2f}), CPU median {statistics.median(cpu):.2f} s"
    )


def _facts(store: Store) -> None:
    pipeline = store_pipeline(store, datetime(2100, 1, 1))  # everything stored
    first, last = pipeline.deals["created_at"].min(), pipeline.deals["closed_at"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    policy = current_policy(store)
    closed = [
        take_snapshot(pipeline, first + (last - first) * i / 30).closed_deals.sort("deal_id")
        for i in range(1, 31)
    ]
    for frame in closed:  # warm
        learn_fact_weights(frame, policy)
    passes = []
    for _ in range(5):
        start = time.process_time()
        for frame in closed:
            learn_fact_weights(frame, policy)
        passes.append(time.process_time() - start)
    sizes = f"{closed[0].height:,}-{closed[-1].height:,} closed deals"
    print(f"facts of 30 cuts ({sizes}): CPU s " + " / ".join(f"{p:.3f}" for p in passes))


def _run(store: Store, lost: str, as_of: datetime, runs: int, *, loss_only: bool) -> None:
    review(store, as_of)  # learns and keeps the norms, as the demo does
    if loss_only:
        loss_review(store, lost)  # warm: what a first loss review loads once
    else:
        _measure("a. one review", lambda: review(store, as_of), runs)
    _measure(f"b. loss review of {lost}", lambda: loss_review(store, lost), runs)
    _measure("c. team loss review", lambda: team_loss_review(store, None), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", type=Path, help="a review_bench.py store (review.db)")
    parser.add_argument(
        "--loss-only", action="store_true", help="b and c only, after one loss review to warm up"
    )
    parser.add_argument(
        "--facts", action="store_true", help="only the facts' weights of 30 cuts, 5 times"
    )
    args = parser.parse_args()
    if args.store is not None:
        built = json.loads((args.store.parent / "built.json").read_text())
        with sqlite3.connect(args.store) as conn:
            (lost,) = conn.execute(
                "SELECT min(deal_id) FROM deals WHERE outcome = 'lost'"
            ).fetchone()
        store = open_store(f"sqlite:///{args.store}")
        if args.facts:
            _facts(store)
            store.close()
            return
        as_of = datetime.fromisoformat(built["as_of"])
        _run(store, lost, as_of, args.runs, loss_only=args.loss_only)
        store.close()
        return
    with tempfile.TemporaryDirectory() as folder:
        store, _ = build_demo(str(Path(folder) / "demo.db"))
        if args.facts:
            _facts(store)
            store.close()
            return
        as_of = datetime.combine(SAMPLE_AS_OF, datetime.min.time())
        _run(store, "D-1001", as_of, args.runs, loss_only=args.loss_only)
        store.close()


if __name__ == "__main__":
    main()

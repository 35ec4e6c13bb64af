"""How fast is a loss review? ``python benchmarks/loss_review_bench.py [--runs N]``.

On the bundled sample (``walkaway demo``: 272 deals, 212 lost), in-process, ``--runs``
times each (median, fastest, slowest; wall and CPU seconds):

a. one review as of the sample's today (:func:`walkaway.service.review.review`);
b. one lost deal's loss review (:func:`walkaway.service.loss_review.loss_review`);
c. the team view (:func:`walkaway.service.loss_review.team_loss_review`).

The targets of issue 27: b under 1 s, c under 3 s on a 10,000-deal store.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from walkaway.sample import SAMPLE_AS_OF
from walkaway.service import build_demo
from walkaway.service.loss_review import loss_review, team_loss_review
from walkaway.service.review import review


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store, _ = build_demo(str(Path(folder) / "demo.db"))
        lost = "D-1001"
        as_of = datetime.combine(SAMPLE_AS_OF, datetime.min.time())
        review(store, as_of)  # learns and keeps the norms, as the demo does
        _measure("a. one review", lambda: review(store, as_of), args.runs)
        _measure(f"b. loss review of {lost}", lambda: loss_review(store, lost), args.runs)
        _measure("c. team loss review", lambda: team_loss_review(store, None), 1)
        store.close()


if __name__ == "__main__":
    main()

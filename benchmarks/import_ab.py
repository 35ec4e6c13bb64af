"""Two versions of the import, alternated: ``python benchmarks/import_ab.py FOLDER N NAME=SRC...``.

``FOLDER`` holds ``deals.csv`` and ``activities.csv`` (``import_bench.py --keep`` leaves
them); each ``NAME=SRC`` is a source tree to import with (``src`` of this checkout, or
one made by ``git archive <commit> src | tar -x -C /tmp/before``). Each of ``N`` rounds
runs every version once, in turn, each in a fresh process: one import into an empty
SQLite file to warm up (as the imports of ``import_bench.py --pairs`` follow another),
then the timed one into another. Prints the fastest and the median wall-clock and CPU
seconds of each version. Alternating keeps a swing in the machine's load from falling
on one version only.

Example::

    python benchmarks/import_bench.py --keep --bpi /nonexistent     # prints the folder kept
    mkdir -p /tmp/before && git archive HEAD~1 src | tar -x -C /tmp/before
    python benchmarks/import_ab.py /tmp/walkaway-bench-XXXX 6 before=/tmp/before/src after=src
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ONE_IMPORT = """
import shutil, sys, tempfile, time
from pathlib import Path
from walkaway.service import import_files
from walkaway.store import open_store

files = Path(sys.argv[1])
for timed in (False, True):
    folder = Path(tempfile.mkdtemp(prefix="walkaway-ab-"))
    store = open_store(f"sqlite:///{folder / 'store.db'}")
    began, cpu = time.perf_counter(), time.process_time()
    import_files(store, files / "deals.csv", files / "activities.csv")
    if timed:
        print(time.perf_counter() - began, time.process_time() - cpu)
    store.close()
    shutil.rmtree(folder)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="holds deals.csv and activities.csv")
    parser.add_argument("rounds", type=int)
    parser.add_argument("versions", nargs="+", help="NAME=SRC: a source tree to import with")
    args = parser.parse_args()
    versions = [version.split("=", 1) for version in args.versions]
    seconds: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in versions}
    for _ in range(args.rounds):
        for name, source in versions:
            env = dict(os.environ, PYTHONPATH=str(Path(source).resolve()))
            done = subprocess.run(
                [sys.executable, "-c", ONE_IMPORT, str(args.folder)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            wall, cpu = (float(v) for v in done.stdout.split())
            seconds[name].append((wall, cpu))
    for name, runs in seconds.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(
            f"{name:<10} wall fastest {min(walls):.2f} s, median {statistics.median(walls):.2f} s"
            f"   CPU fastest {min(cpus):.2f} s, median {statistics.median(cpus):.2f} s"
        )


if __name__ == "__main__":
    main()

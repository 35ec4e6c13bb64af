"""How fast is the web app? ``python benchmarks/web_bench.py [options]``.

1. Builds (once, kept in ``--workdir``) a seeded SQLite store of ``--open`` open and
   ``--closed`` closed deals with ``--activities`` activities, with
   ``benchmarks/review_bench.py --build-only`` (the review benchmark's pipeline).
2. Starts ``walkaway serve`` on it, on a free 127.0.0.1 port, as of the store's date.
3. **Board**: the review board (``/``: first page, a late page, filtered by rep, by
   stage and call) ``--samples`` times each; reports the server's own time (its
   ``Server-Timing`` header) and the client's, median and worst. The first request,
   which waits for the review to be assessed, is reported on its own.
4. **Deal API**: ``GET /api/deals/{id}`` for every open deal in turn, from ``--clients``
   concurrent keep-alive clients for ``--seconds``, with wrk (``apt-get install wrk``)
   or, without it, ``benchmarks/web_load.py``; reports p50/p90/p99 and requests/s,
   on a first pass (each deal's JSON built on first sight) and a second (all cached),
   then the same load on ``/api/health``: what the server stack itself allows here.

5. With ``--first-load`` instead: the board's first load on a fresh copy of the store
   (no review kept in it yet, a new server): from the server's launch to the first
   answer of ``/``, that first request's own time (cold: it waits for the start-up
   review), the server's CPU seconds by then, then ``/`` ``--samples`` times (warm);
   then the same on a server started again on that copy (it reads the review the first
   kept beside the store: walkaway.service.kept); beside them, one ``walkaway review
   --format json`` of the same moment as a subprocess (wall and CPU seconds, start-up
   included).

6. With ``--cold 50,200`` instead: for each client count a new server, loaded from the
   moment it answers (its review still being assessed) for ``--seconds``, on every open
   deal's API path with a board page after every ninth: the cold start included.

Loopback only, bounded in time; the server is stopped at the end. Example::

    python benchmarks/web_bench.py                      # 10k open deals, 50 clients
    python benchmarks/web_bench.py --tool python --seconds 10
    python benchmarks/web_bench.py --cold 50,200 --seconds 60
    python benchmarks/web_bench.py --first-load --workdir /tmp/webbench/store10k
    python benchmarks/web_bench.py --first-load --db maven.db --as-of 2018-01-01
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

HERE = Path(__file__).resolve().parent
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}  # as wrk prints them


def build_store(args: argparse.Namespace) -> tuple[Path, str]:
    """The benchmark store and its as-of date (built by review_bench.py if missing)."""
    folder = args.workdir or Path(tempfile.gettempdir()) / (
        f"walkaway-web-bench-{args.open}-{args.closed}-{args.activities}"
    )
    command = [
        sys.executable, str(HERE / "review_bench.py"), "--build-only", "--workdir", str(folder),
        "--open", str(args.open), "--closed", str(args.closed),
        "--activities", str(args.activities),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    built = json.loads((folder / "built.json").read_text())
    return folder / "review.db", str(built["as_of"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path, as_of: str, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "walkaway", "serve", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen([*command, "--as-of", as_of])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).is_success:
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("walkaway serve did not start within 120 s")


def timed_get(client: httpx.Client, path: str) -> tuple[float, float]:
    """(server ms from Server-Timing, client ms) of one GET."""
    began = time.perf_counter()
    response = client.get(path)
    response.raise_for_status()
    client_ms = (time.perf_counter() - began) * 1000
    match = re.search(r"dur=([\d.]+)", response.headers.get("server-timing", ""))
    return (float(match.group(1)) if match else float("nan")), client_ms


def board_paths(db: Path, as_of: str) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        owner, stage = conn.execute(
            "SELECT owner, stage FROM deals WHERE outcome = 'open' LIMIT 1"
        ).fetchone()
    return {
        "first page": f"/?as_of={as_of}",
        "page 200": f"/?as_of={as_of}&page=200",
        "one rep": f"/?as_of={as_of}&owner={quote(owner)}",
        "stage + call": f"/?as_of={as_of}&stage={quote(stage)}&call=walk_away",
    }


def time_board(base: str, paths: dict[str, str], samples: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=300) as client:
        results["first request (waits for the review)"] = timed_get(client, paths["first page"])
        for label, path in paths.items():
            runs = [timed_get(client, path) for _ in range(samples)]
            server = [r[0] for r in runs]
            results[label] = {
                "server_median_ms": round(statistics.median(server), 1),
                "server_max_ms": round(max(server), 1),
                "client_median_ms": round(statistics.median(r[1] for r in runs), 1),
            }
    return results


def open_deal_paths(db: Path, as_of: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT deal_id FROM deals WHERE outcome = 'open' AND created_at < ? "
                "ORDER BY deal_id",
                (as_of,),
            )
        ]
    return [f"/api/deals/{quote(i)}?as_of={as_of}" for i in ids]


def run_wrk(base: str, paths: list[str], clients: int, seconds: int, folder: Path) -> dict:
    script = folder / "deals.lua"
    listed = ",".join(json.dumps(p) for p in paths)
    script.write_text(
        f"paths = {{{listed}}}\ncounter = 0\n"
        "request = function()\n  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter * 7919) % #paths + 1])\nend\n"
    )
    # wrk gives up on an answer after 2 s by default: a cold start's first answers wait
    # for the review, so they get what a browser would give them.
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    command += ["-s", str(script)]
    output = subprocess.run([*command, base], capture_output=True, text=True, check=True).stdout
    figures = {"tool": "wrk"}
    for share in ("50", "90", "99"):
        # wrk pads a figure in seconds with a space: "99%    1.56s "
        found = re.search(rf"^\s+{share}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        if found is None:
            raise SystemExit(f"no {share}% latency in wrk's output:\n{output}")
        value, unit = found.groups()
        figures[f"p{share}_ms"] = round(float(value) * UNITS[unit], 1)
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["errors"] = int(errors.group(1)) if errors else 0
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", output)
    figures["timeouts"] = int(timeouts.group(1)) if timeouts else 0
    return figures


def run_python(base: str, paths: list[str], clients: int, seconds: int, folder: Path) -> dict:
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths))
    command = [sys.executable, str(HERE / "web_load.py"), base, "--paths", str(listing)]
    command += ["--clients", str(clients), "--seconds", str(seconds), "--json"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return {"tool": "web_load.py", **json.loads(output)}


def load_deals(args: argparse.Namespace, base: str, paths: list[str]) -> dict[str, Any]:
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    runner = run_wrk if tool == "wrk" else run_python
    with tempfile.TemporaryDirectory() as tmp:
        first = runner(base, paths, args.clients, args.seconds, Path(tmp))
        second = runner(base, paths, args.clients, args.seconds, Path(tmp))
        floor = runner(base, ["/api/health"], args.clients, args.seconds, Path(tmp))
    return {
        "first pass": first,
        "second pass (all cached)": second,
        "the server's floor: GET /api/health": floor,
    }


def mixed_paths(db: Path, as_of: str) -> list[str]:
    """Every open deal's API path, with a board page (of the four) after every ninth."""
    deals = open_deal_paths(db, as_of)
    boards = list(board_paths(db, as_of).values())
    mixed: list[str] = []
    for index, path in enumerate(deals):
        mixed.append(path)
        if index % 9 == 8:
            mixed.append(boards[index // 9 % len(boards)])
    return mixed


def cold_start(args: argparse.Namespace, db: Path, as_of: str) -> dict[str, Any]:
    """For each client count a new server, loaded from the moment it answers (the review
    still being assessed in the background) for ``--seconds``: the cold start included."""
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    runner = run_wrk if tool == "wrk" else run_python
    paths = mixed_paths(db, as_of)
    results: dict[str, Any] = {}
    for clients in args.cold_clients:
        port = free_port()
        began = time.monotonic()
        server = start_server(db, as_of, port)
        answering = time.monotonic() - began
        try:
            with tempfile.TemporaryDirectory() as tmp:
                figures = runner(
                    f"http://127.0.0.1:{port}", paths, clients, args.seconds, Path(tmp)
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
        results[f"{clients} clients"] = {"answering_after_s": round(answering, 1), **figures}
    return results


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fresh_copy(db: Path, folder: Path) -> Path:
    """The store and its columnar copy, copied: nothing a server kept in it yet."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / db.name
    shutil.copy2(db, copy)
    columnar = db.with_name(db.name + ".columnar")
    if columnar.is_dir():
        shutil.copytree(columnar, copy.with_name(copy.name + ".columnar"))
    return copy


def one_review(db: Path, as_of: str) -> dict[str, float]:
    """``walkaway review --format json`` as a subprocess: wall and CPU seconds."""
    command = [sys.executable, "-m", "walkaway", "review", "--db", str(db), "--as-of", as_of]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run([*command, "--format", "json"], stdout=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}


def first_board(db: Path, as_of: str, samples: int) -> dict[str, Any]:
    """A server started on ``db``: when it answers, the first ``GET /`` of ``as_of``
    (cold), the server's CPU seconds by then, and the same page ``samples`` times (warm)."""
    path = f"/?as_of={as_of}"
    port = free_port()
    launched = time.perf_counter()
    server = start_server(db, as_of, port)
    answering = time.perf_counter() - launched
    cpu_answering = _cpu_seconds(server.pid)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            server_ms, client_ms = timed_get(client, path)
            shown = time.perf_counter() - launched
            cpu = _cpu_seconds(server.pid)
            warm = [timed_get(client, path) for _ in range(samples)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "server answers after (s)": round(answering, 2),
        "server CPU when it answers (s)": round(cpu_answering, 2),
        "cold: first GET / (server ms, client ms)": [round(server_ms, 1), round(client_ms, 1)],
        "launch to first board shown (s)": round(shown, 2),
        "server CPU by then (s)": round(cpu, 2),
        "server CPU from answering to the board shown (s)": round(cpu - cpu_answering, 2),
        "warm: GET / server ms (median, worst)": [
            round(statistics.median(w[0] for w in warm), 1),
            round(max(w[0] for w in warm), 1),
        ],
        "warm: GET / client ms (median)": round(statistics.median(w[1] for w in warm), 1),
    }


def first_load(args: argparse.Namespace, db: Path, as_of: str) -> dict[str, Any]:
    """The board's first load on a fresh copy of the store (its very first review), then
    on a server started again on that copy (the review the first one kept), beside one
    review."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = _fresh_copy(db, Path(tmp))
        first = first_board(fresh, as_of, args.samples)
        again = first_board(fresh, as_of, args.samples)
        review = one_review(_fresh_copy(db, Path(tmp) / "again"), as_of)
    return {
        "first start (nothing kept yet)": first,
        "started again (the review kept by the first)": again,
        "one review, walkaway review --format json (s)": review,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--closed", type=int, default=2_000)
    parser.add_argument("--activities", type=int, default=500_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--cold",
        type=lambda text: [int(n) for n in text.split(",")],
        dest="cold_clients",
        help="instead: cold-start load with these client counts (e.g. 50,200), "
        "board pages and the deal API mixed, a new server for each",
    )
    parser.add_argument(
        "--first-load",
        action="store_true",
        help="instead: the board's first load on a fresh copy of the store, cold and "
        "warm, beside one review",
    )
    parser.add_argument("--db", type=Path, help="an existing SQLite store instead of building one")
    parser.add_argument("--as-of", help="with --db: the moment to serve (YYYY-MM-DD)")
    args = parser.parse_args()
    if args.db is not None and not args.as_of:
        parser.error("--db needs --as-of")
    db, as_of = (args.db, args.as_of) if args.db is not None else build_store(args)
    if args.first_load:
        print(json.dumps({"board first load": first_load(args, db, as_of)}, indent=2))
        return
    if args.cold_clients:
        print(json.dumps({"cold start": cold_start(args, db, as_of)}, indent=2))
        return
    port = free_port()
    server = start_server(db, as_of, port)
    base = f"http://127.0.0.1:{port}"
    try:
        report = {
            "board": time_board(base, board_paths(db, as_of), args.samples),
            "deal api": load_deals(args, base, open_deal_paths(db, as_of)),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

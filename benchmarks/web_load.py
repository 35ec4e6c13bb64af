"""A small closed-loop HTTP load generator for the web benchmark, when wrk is not there.

``python benchmarks/web_load.py http://127.0.0.1:8000 --paths paths.txt --clients 50
--seconds 20``: ``--clients`` concurrent clients (asyncio + httpx, one keep-alive
connection each) request the paths of ``--paths`` (one per line, taken in turn) as fast
as answers come, for ``--seconds`` (at most 120) or ``--max-requests`` (at most
1,000,000), whichever ends first. Loopback only: any other host is refused. Prints the
latency percentiles, the request rate, error answers (status ≥ 400) and requests that
got no answer within ``--timeout`` seconds (counted, never fatal), as JSON with ``--json``.

A Python client spends CPU the server would use; wrk (``apt-get install wrk``) is the
reference tool of ``web_bench.py``, this is its fallback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_SECONDS = 120.0
MAX_REQUESTS = 1_000_000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


async def _client(
    base: str, paths: list[str], start: int, stop_at: float, budget: list[int], timeout: float
) -> tuple[list[float], int, int]:
    """(latencies, error answers, timeouts or failed connections) of one client."""
    latencies: list[float] = []
    errors = timeouts = 0
    turn = start
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            path = paths[turn % len(paths)]
            turn += 7919  # a prime stride: clients spread over the paths
            began = time.perf_counter()
            try:
                response = await client.get(path)
            except httpx.HTTPError:  # a timeout or a refused connection: counted, go on
                timeouts += 1
                continue
            latencies.append(time.perf_counter() - began)
            errors += response.status_code >= 400
    return latencies, errors, timeouts


async def run_load(
    base: str,
    paths: list[str],
    clients: int,
    seconds: float,
    max_requests: int,
    timeout: float = 30.0,
) -> dict[str, float]:
    """Closed-loop load; the figures in milliseconds and requests per second."""
    host = urlsplit(base).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load {host!r}: loopback only")
    seconds = min(seconds, MAX_SECONDS)
    budget = [min(max_requests, MAX_REQUESTS)]
    began = time.monotonic()
    stop_at = began + seconds
    results = await asyncio.gather(
        *(_client(base, paths, i, stop_at, budget, timeout) for i in range(clients))
    )
    elapsed = time.monotonic() - began
    latencies = [x for lat, _, _ in results for x in lat] or [float("nan")]
    return {
        "requests": len(latencies),
        "errors": sum(e for _, e, _ in results),
        "timeouts": sum(t for _, _, t in results),
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="http://127.0.0.1:PORT")
    parser.add_argument("--paths", type=Path, required=True, help="one path per line")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    paths = [p for p in args.paths.read_text().splitlines() if p.strip()]
    figures = asyncio.run(
        run_load(args.base, paths, args.clients, args.seconds, args.max_requests, args.timeout)
    )
    if args.json:
        sys.stdout.write(json.dumps(figures) + "\n")
    else:
        for key, value in figures.items():
            print(f"{key:>10}: {value}")


if __name__ == "__main__":
    main()

"""Decisions under load: ``python benchmarks/decision_load.py [--db postgresql://...]``.

Twenty people record decisions at once through the API, as fast as answers come, on
the bundled sample pipeline (a fresh SQLite file, or a fresh database on the
PostgreSQL server ``--db`` names): ``walkaway serve`` runs in its own process and
``--clients`` asyncio clients (one keep-alive connection each) post
``/api/decisions`` for ``--seconds``, each on open deals in turn. Prints the latency
percentiles of a decision, the decisions a second, error answers, the server's CPU
seconds per decision over the load and the load average at its end, and afterwards what
the store holds: every acknowledged decision exactly once (none lost, none doubled),
nothing that was not acknowledged. Loopback only; temporary files and databases only.

As people decide: the board of that moment is open first (``GET /api/review``), so a
decision takes the deal's numbers from the review at hand. ``--no-board``: no review
is at hand, and each decision assesses its deal (the path ``show`` takes), with the
decisions of the same moment that arrived while another was assessed
(``walkaway.web.batch``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.web_load import percentile  # noqa: E402

from walkaway.sample import SAMPLE_AS_OF  # noqa: E402
from walkaway.service import build_demo, import_files, sample_files  # noqa: E402
from walkaway.store import open_store  # noqa: E402
from walkaway.store.schema import deals, decisions  # noqa: E402

AS_OF = f"{SAMPLE_AS_OF:%Y-%m-%d}T12:00:00"
WORDS = ("pursue", "requalify", "walk_away")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def sample_store(server: str | None, folder: Path) -> Iterator[str]:
    """The sample pipeline in a fresh SQLite file, or a fresh database on ``server``."""
    if server is None:
        url = f"sqlite:///{folder / 'decisions.db'}"
        build_demo(url)[0].close()
        yield url
        return
    name = f"walkaway_decisions_{os.getpid()}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        store = open_store(url)
        import_files(store, *sample_files(), format="generic")
        store.close()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def cpu_seconds(pid: int) -> float:
    """The CPU seconds (user and system, every thread) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(url: str) -> Iterator[tuple[str, int]]:
    """The base URL of ``walkaway serve`` on ``url``, and its process id."""
    port = _free_port()
    command = [sys.executable, "-m", "walkaway", "serve", "--db", url, "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise SystemExit("walkaway serve did not answer within 120 s")
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def open_deal_ids(url: str) -> list[str]:
    store = open_store(url)
    with store.connect() as conn:
        ids = conn.execute(sa.select(deals.c.deal_id).where(deals.c.outcome == "open")).scalars()
        found = sorted(ids)
    store.close()
    return found


async def _writer(
    base: str, number: int, deal_ids: list[str], stop_at: float, label: str
) -> tuple[list[float], list[tuple[int, str]], int]:
    """(latencies, (decision id, reason) acknowledged, error answers) of one writer."""
    latencies: list[float] = []
    told: list[tuple[int, str]] = []
    errors = 0
    turn = number
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60.0) as client:
        while time.monotonic() < stop_at:
            reason = f"{label}: writer {number}, decision {turn}"
            body = {
                "deal_id": deal_ids[turn % len(deal_ids)],
                "decision": WORDS[turn % len(WORDS)],
                "reason": reason,
                "as_of": AS_OF,
            }
            turn += 20
            began = time.perf_counter()
            try:
                answer = await client.post("/api/decisions", json=body)
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - began)
            if answer.status_code == 201:
                told.append((int(answer.json()["decision_id"]), reason))
            else:
                errors += 1
    return latencies, told, errors


async def load(
    base: str, deal_ids: list[str], clients: int, seconds: float, label: str = "load test"
) -> dict[str, object]:
    stop_at = time.monotonic() + seconds
    began = time.monotonic()
    done = await asyncio.gather(
        *(_writer(base, n, deal_ids, stop_at, label) for n in range(clients))
    )
    spent = time.monotonic() - began
    latencies = [t for d in done for t in d[0]]
    told = [t for d in done for t in d[1]]
    return {
        "decisions": len(latencies),
        "per_second": round(len(latencies) / spent, 1),
        "median_s": round(statistics.median(latencies), 3) if latencies else None,
        "p90_s": round(percentile(latencies, 0.90), 3) if latencies else None,
        "p99_s": round(percentile(latencies, 0.99), 3) if latencies else None,
        "max_s": round(max(latencies), 3) if latencies else None,
        "errors": sum(d[2] for d in done),
        "told": told,
    }


def check_stored(url: str, told: list[tuple[int, str]]) -> dict[str, int]:
    """Acknowledged decisions missing from the store, stored twice, or stored untold."""
    store = open_store(url)
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(decisions.c.id, decisions.c.reason).where(
                decisions.c.reason.like("load test:%")
            )
        ).all()
    store.close()
    stored = Counter(reason for _id, reason in rows)
    acknowledged = {reason for _id, reason in told}
    return {
        "lost": sum(1 for reason in acknowledged if reason not in stored),
        "doubled": sum(1 for count in stored.values() if count > 1),
        "stored_untold": sum(1 for reason in stored if reason not in acknowledged),
    }


def run(url: str, clients: int, seconds: float, *, board: bool) -> dict[str, object]:
    """The load on the store at ``url``, and what the store holds afterwards."""
    deal_ids = open_deal_ids(url)
    with serving(url) as (base, pid):
        if board:
            httpx.get(f"{base}/api/review", params={"as_of": AS_OF}, timeout=300)
        asyncio.run(load(base, deal_ids, 1, 3.0, "warm-up"))  # norms, model, policy read
        cpu = cpu_seconds(pid)
        result = asyncio.run(load(base, deal_ids, clients, seconds))
        cpu = cpu_seconds(pid) - cpu
    told = result.pop("told")
    assert isinstance(told, list)
    # The server's CPU over the load, per decision answered: what the machine's cores
    # must give a decision, whatever else runs on them (the load average says what did).
    answered = int(str(result["decisions"])) or 1
    result["server_cpu_per_decision_s"] = round(cpu / answered, 4)
    result["load_average"] = [round(x, 1) for x in os.getloadavg()]
    return result | check_stored(url, told)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="a PostgreSQL server URL (default: a SQLite file)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-board", action="store_true", help="decide with no review at hand")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="walkaway-decisions-") as tmp,
        sample_store(args.db, Path(tmp)) as url,
    ):
        result = run(url, args.clients, args.seconds, board=not args.no_board)
    result["store"] = "PostgreSQL" if args.db else "SQLite"
    result["clients"] = args.clients
    result["board"] = "none" if args.no_board else "open"
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:<14} {value}")


if __name__ == "__main__":
    main()

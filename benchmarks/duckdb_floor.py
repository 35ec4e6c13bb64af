"""The floor a review is measured against: one DuckDB query over the CSV files.

``python benchmarks/duckdb_floor.py DEALS_CSV ACTIVITIES_CSV AS_OF [--runs 3]``

One SQL statement reads both files and computes, for every deal open at ``AS_OF``, the
point-in-time activity signals the review starts from (last touch, last reply, touches
each way, outbound touches since the last reply and since when, no-shows, reschedules,
proposals sent and unanswered, hours logged, close-date pushes and renegotiations read
from the notes, the current stage and since when) from the activities dated before
``AS_OF``: what any columnar engine on these two cores must do at least, without the
flags, probabilities, economics, reasons and JSON a review adds. Needs the ``bench``
extra (``pip install -e '.[bench]'``); :func:`floor_seconds` is what ``review_bench.py``
prints beside its own figures.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

QUERY = """
WITH deals AS (
    SELECT * FROM read_csv('{deals}', header = true, timestampformat = '%Y-%m-%dT%H:%M:%S')
),
open_deals AS (
    SELECT deal_id, stage, created_at FROM deals
    WHERE created_at < TIMESTAMP '{as_of}'
      AND (outcome = 'open' OR closed_at >= TIMESTAMP '{as_of}')
),
acts AS (
    SELECT a.* FROM read_csv('{activities}', header = true,
                             timestampformat = '%Y-%m-%dT%H:%M:%S') a
    SEMI JOIN open_deals o ON a.deal_id = o.deal_id
    WHERE a."at" < TIMESTAMP '{as_of}'
),
marked AS (
    SELECT *,
        max(CASE WHEN direction = 'inbound' THEN "at" END)
            OVER (PARTITION BY deal_id) AS last_inbound_at,
        coalesce(detail, '') AS note
    FROM acts WHERE kind <> 'stage_change'
),
signals AS (
    SELECT deal_id,
        max("at") AS last_activity_at,
        any_value(last_inbound_at) AS last_inbound_at,
        count(*) FILTER (WHERE direction = 'inbound') AS inbound_touches,
        count(*) FILTER (WHERE direction = 'outbound') AS outbound_touches,
        count(*) FILTER (WHERE direction = 'outbound'
            AND ("at" > last_inbound_at OR last_inbound_at IS NULL)) AS outbound_since_inbound,
        min("at") FILTER (WHERE direction = 'outbound'
            AND ("at" > last_inbound_at OR last_inbound_at IS NULL)) AS waiting_since,
        count(*) FILTER (WHERE status = 'no_show') AS no_shows,
        count(*) FILTER (WHERE status = 'rescheduled') AS reschedules,
        count(*) FILTER (WHERE kind = 'proposal' AND direction <> 'inbound') AS proposals_sent,
        count(*) FILTER (WHERE kind = 'proposal' AND direction <> 'inbound'
            AND ("at" > last_inbound_at OR last_inbound_at IS NULL)) AS proposals_unanswered,
        round(sum(hours), 6) AS hours_logged,
        count(*) FILTER (WHERE regexp_matches(note,
            '(?i)close[ _-]?date.*(\\b(moved|pushed|slipped|postponed|delayed|changed)\\b)'))
            AS close_date_pushes,
        count(*) FILTER (WHERE regexp_matches(note,
            '(?i)(re-?negotiat|revised terms|new terms)')) AS renegotiations
    FROM marked GROUP BY deal_id
),
stages AS (
    SELECT deal_id, arg_max(stage, "at") AS stage_now, max("at") AS stage_since
    FROM acts WHERE kind = 'stage_change' AND stage IS NOT NULL GROUP BY deal_id
)
SELECT o.deal_id, coalesce(st.stage_now, o.stage) AS stage,
    date_diff('second', coalesce(st.stage_since, o.created_at), TIMESTAMP '{as_of}') / 86400.0
        AS days_in_stage,
    s.*
FROM open_deals o
LEFT JOIN signals s USING (deal_id)
LEFT JOIN stages st USING (deal_id)
"""


def floor_query(deals: Path, activities: Path, as_of: str) -> str:
    return QUERY.format(deals=deals, activities=activities, as_of=as_of)


def floor_seconds(
    deals: Path, activities: Path, as_of: str, runs: int = 3
) -> tuple[float, float, float, int]:
    """Median, fastest and slowest seconds of the floor query (a fresh in-memory
    database each run, every core), and the rows it returned."""
    import duckdb

    seconds, rows = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        with duckdb.connect() as db:
            rows = len(db.sql(floor_query(deals, activities, as_of)).fetchall())
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), min(seconds), max(seconds), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("deals", type=Path)
    parser.add_argument("activities", type=Path)
    parser.add_argument("as_of", help="YYYY-MM-DD")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    middle, low, high, rows = floor_seconds(args.deals, args.activities, args.as_of, args.runs)
    print(f"DuckDB floor: {middle:.2f} s ({low:.2f}-{high:.2f}), {rows:,} open deals")


if __name__ == "__main__":
    main()

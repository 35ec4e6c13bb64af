"""``walkaway report``: the monthly deal review as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from walkaway import lazy
from walkaway.cli.common import DbOption, app, as_of_option, edge, open_from, out
from walkaway.cli.review import AsOfOption, SinceOption
from walkaway.errors import InputError
from walkaway.reporting.numbers import money, percent
from walkaway.wording import counted

if TYPE_CHECKING:
    from walkaway.service import report as service_report
else:
    service_report = lazy.module("walkaway.service.report")


def write_html(path: Path, html: str) -> None:
    """Write the page, turning a missing folder or a read-only place into one clear line."""
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as error:
        raise InputError(
            f"cannot write the report to {str(path)!r}: {error.strerror or error}; "
            "pass --out with a file in a folder you can write to"
        ) from None


@app.command("report")
@edge
def report_command(
    out_path: Annotated[
        Path, typer.Option("--out", "-o", help="The HTML file to write (default: review.html).")
    ] = Path("review.html"),
    as_of: AsOfOption = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this rep's deals.")] = None,
    since: SinceOption = None,
    db: DbOption = None,
) -> None:
    """The monthly deal review as one HTML file: opens offline, prints to PDF."""
    moment = as_of_option(as_of)
    try:
        report = service_report.build_report(open_from(db), moment, owner=owner, since=since)
    except ValueError as error:
        raise InputError(f"--since {error}") from None
    write_html(out_path, service_report.render_report(report))
    summary = report.summary
    held = " and ".join(
        f"{money(c['walk_away_value'], c['currency'])} "
        f"({percent(c['pipeline_pollution'], 1)} of open value in {c['currency']})"
        for c in summary.get("by_currency") or [summary]
    )
    out.print(
        f"Wrote {out_path}: {counted(summary['open_deals'], 'open deal')} as of "
        f"{moment:%Y-%m-%d}, "
        f"{counted(summary['by_recommendation']['walk_away'], 'walk-away candidate')} "
        f"holding {held}",
        markup=False,
        highlight=False,
    )

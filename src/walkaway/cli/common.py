"""The command line's plumbing: the app, consoles, the error edge, shared options and printers."""

from __future__ import annotations

import errno
import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import polars as pl
import typer
from rich.table import Table

from walkaway import __version__, lazy
from walkaway.cli.terminal import SafeConsole
from walkaway.errors import ImportFailed, InputError, WalkawayError
from walkaway.models import ISO_UTC, parse_day, parse_moment
from walkaway.settings import Settings
from walkaway.store import Store, open_store
from walkaway.wording import printable

if TYPE_CHECKING:
    from rich import progress
    from typer._click import globals as click_globals
else:
    progress = lazy.module("rich.progress")
    click_globals = lazy.module("typer._click.globals")

app = typer.Typer(
    name="walkaway",
    help="Deal by deal: keep pursuing, re-qualify or walk away.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = SafeConsole(soft_wrap=True)
err = SafeConsole(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])
MAX_PROBLEM_LINES = 50

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL or SQLite path (default: $WALKAWAY_DB or ./walkaway.db)."
    ),
]


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


class ImportFormat(StrEnum):
    auto = "auto"
    generic = "generic"
    salesforce = "salesforce"
    hubspot = "hubspot"
    pipedrive = "pipedrive"
    maven = "maven"


def say_error(message: str) -> None:
    """One line on stderr; a control character in it (from a file, a name) shown escaped."""
    err.print(f"error: {printable(message)}", markup=False, highlight=False)


def fail(message: str) -> None:
    say_error(message)
    raise typer.Exit(2)


def edge(func: F) -> F:
    """Translate Walkaway's errors once: one clear line on stderr, exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImportFailed as error:
            for line in error.problems[:MAX_PROBLEM_LINES]:
                say_error(line)
            hidden = len(error.problems) - MAX_PROBLEM_LINES
            if hidden > 0:
                say_error(f"... and {hidden} more problem(s)")
            fail(
                f"{error.total} problem(s) found; nothing was imported "
                "(fix the rows, or use --skip-invalid to import the valid ones)"
            )
        except WalkawayError as error:
            fail(str(error))
        except OSError as error:  # a full disk, a folder not writable: one line all the same
            fail(disk_problem(error))

    return wrapper  # type: ignore[return-value]


def disk_problem(error: OSError) -> str:
    """An operating system's refusal as one line: what, where, and what to do."""
    what = error.strerror or str(error)
    where = f" {error.filename}" if error.filename else ""
    if error.errno == errno.ENOSPC:
        return f"the disk is full (writing{where}); free some space and try again"
    if isinstance(error, PermissionError):
        return f"cannot write{where}: {what}; check its permissions, or name another place"
    return f"cannot read or write{where}: {what}"


@contextmanager
def progress_bar(first_step: str) -> Iterator[Callable[[str], None]]:
    """A spinner naming the current step, on a terminal only (never in logs or pipes)."""
    if not err.is_terminal:
        yield lambda _step: None
        return

    columns = (
        progress.SpinnerColumn(),
        progress.TextColumn("{task.description}"),
        progress.TimeElapsedColumn(),
    )
    with progress.Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(first_step, total=None)
        yield lambda step: bar.update(task, description=step)


def open_from(db: str | None, *, create: bool = False) -> Store:
    """Open the store named by ``--db`` / ``WALKAWAY_DB``; it is closed when the command
    ends. Only the commands that bring data in ``create`` it: the others refuse a store
    that is not there (a mistyped ``--db``) and leave nothing behind."""
    settings = Settings.from_env(db=db)
    store = open_store(settings.db_url, create=create, copy_dir=settings.copy_dir)
    context = click_globals.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(store.close)
    return store


def now() -> datetime:
    """This moment, naive UTC (as every stored moment)."""
    return datetime.now(UTC).replace(tzinfo=None)


def moment_option(text: str | None, option: str) -> datetime | None:
    """An option's date or date-time (:func:`walkaway.models.parse_moment`); None when
    not given. A bad one is an InputError naming the option (one line, exit 2)."""
    if text is None:
        return None
    try:
        return parse_moment(text)
    except ValueError as error:
        raise InputError(f"{option} {error}") from None


def day_option(text: str | None, option: str) -> date | None:
    """An option's date (:func:`walkaway.models.parse_day`); None when not given."""
    if text is None:
        return None
    try:
        return parse_day(text)
    except ValueError as error:
        raise InputError(f"{option} {error}") from None


def as_of_option(text: str | None) -> datetime:
    """``--as-of``: the moment given, or now."""
    return moment_option(text, "--as-of") or now()


def version_callback(value: bool) -> None:
    if value:
        out.print(f"walkaway {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Walkaway tells a sales team which deals to keep pursuing, re-qualify or walk away from."""


def jsonable_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: date-times and dates as ISO text, attributes parsed."""
    frame = frame.with_columns(
        [pl.col(c).dt.strftime(ISO_UTC) for c, t in frame.schema.items() if t == pl.Datetime]
        + [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
    )
    rows = frame.to_dicts()
    for row in rows:
        if "attributes" in row:
            row["attributes"] = json.loads(row["attributes"] or "{}")
    return rows


def print_summary(summary: dict[str, Any], currency: str) -> None:
    """The pipeline at a glance: outcomes, and open value by stage and by rep."""
    out.print(f"[bold]{summary['deals']:,} deals[/bold]")
    for title, key, label in (
        ("By outcome", "by_outcome", "outcome"),
        ("Open deals by stage", "open_by_stage", "stage"),
        ("Open deals by rep", "open_by_owner", "owner"),
    ):
        table = Table(title=title)
        table.add_column(label)
        table.add_column("deals", justify="right")
        table.add_column(f"value ({currency})", justify="right")
        for row in summary[key]:
            table.add_row(str(row[label]), f"{row['deals']:,}", f"{row['value'] or 0:,.0f}")
        out.print(table)

"""The command line as a user runs it: help everywhere, exit codes, the JSON contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from tests.csvfiles import activities_csv, deals_csv
from walkaway import __version__
from walkaway.cli import app

DEALS = [
    "D1,Acme rollout,Acme,Ana,Proposal,12000,2026-01-05,,open",
    "D2,Beta pilot,Beta,Ben,Demo,5000,2026-02-01,,open",
    "D3,Gamma,Gamma,Ana,Negotiation,30000,2025-11-01,2026-03-01,lost",
]
ACTS = ["D1,2026-01-06T10:00:00,email,outbound,done,0.5,,intro,Ana"]


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    assert commands, "the walkaway command has subcommands"
    return sorted(commands)


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"walkaway {__version__}"


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help(runner: CliRunner, name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and name in result.output


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "walkaway", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and "import" in done.stdout


def test_import_then_list_as_json(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    deals, acts = deals_csv(tmp_path, DEALS), activities_csv(tmp_path, ACTS)
    first = runner.invoke(app, ["import", str(deals), "--activities", str(acts), "--db", db])
    assert first.exit_code == 0, first.output
    assert "format detected: generic" in first.output
    assert "deals: 3 new, 0 updated, 0 unchanged; activities: 1 new" in first.output
    again = runner.invoke(app, ["import", str(deals), "-a", str(acts), "--db", db])
    assert (
        "deals: 0 new, 0 updated, 3 unchanged; activities: 0 new, 1 already there" in again.output
    )
    listed = runner.invoke(app, ["deals", "--db", db, "--format", "json", "--owner", "ana"])
    rows = json.loads(listed.stdout)
    assert [r["deal_id"] for r in rows] == ["D1", "D3"]
    d1 = rows[0]
    for key in (
        "deal_id",
        "name",
        "account",
        "owner",
        "stage",
        "amount",
        "currency",
        "created_at",
        "closed_at",
        "outcome",
        "loss_reason",
        "budget",
        "authority",
        "champion",
        "need",
        "attributes",
        "activity_count",
    ):
        assert key in d1
    assert d1["created_at"] == "2026-01-05T00:00:00+00:00" and d1["activity_count"] == 1
    assert rows[1]["closed_at"] == "2026-03-01T00:00:00+00:00"


def test_list_filters_and_csv(runner: CliRunner, tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    runner.invoke(app, ["import", str(deals_csv(tmp_path, DEALS)), "--db", db])
    result = runner.invoke(app, ["deals", "--db", db, "--outcome", "open", "--format", "csv"])
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("deal_id,") and len(lines) == 3
    table = runner.invoke(app, ["deals", "--db", db, "--stage", "demo"])
    assert "Beta pilot" in table.stdout and "Acme" not in table.stdout


def test_bad_input_exits_2_with_one_line_per_problem(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    bad = deals_csv(tmp_path, [*DEALS, "D4,Delta,Delta,Ben,Demo,lots,2026-02-01,,open"])
    result = runner.invoke(app, ["import", str(bad), "--db", str(db)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "error: deals.csv: row 5, column 'amount': 'lots' is not a number 0–1,000,000,000,000",
        "error: 1 problem(s) found; nothing was imported (fix the rows, or use --skip-invalid "
        "to import the valid ones)",
    ]
    assert not db.exists()  # a first import refused leaves no store behind


def test_skip_invalid_reports_rejects(runner: CliRunner, tmp_path: Path) -> None:
    bad = deals_csv(tmp_path, [*DEALS, "D4,Delta,Delta,Ben,Demo,lots,2026-02-01,,open"])
    result = runner.invoke(
        app, ["import", str(bad), "--db", str(tmp_path / "w.db"), "--skip-invalid"]
    )
    assert result.exit_code == 0
    assert "rejected rows: 1" in result.stdout
    assert (tmp_path / "deals-rejects.csv").read_text().count("\n") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "nowhere.csv"], "error: nowhere.csv: file not found"),
        (["deals", "--db", "mysql+nodriver://x/y"], "error: cannot open database"),
    ],
)
def test_errors_are_one_line_exit_2(
    runner: CliRunner,
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # the default ./walkaway.db lands in a scratch folder
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_db_from_environment(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    runner.invoke(app, ["import", str(deals_csv(tmp_path, DEALS))], env={"WALKAWAY_DB": str(db)})
    assert db.exists()


def test_every_command_is_mapped_to_the_module_that_registers_it() -> None:
    from walkaway.cli import COMMAND_MODULES

    group = typer.main.get_command(app)
    assert sorted(COMMAND_MODULES) == command_names()
    for name, command in getattr(group, "commands", {}).items():
        subcommands = getattr(command, "commands", {}).values()
        callbacks = [command.callback, *(sub.callback for sub in subcommands)]
        modules = {c.__module__ for c in callbacks if c is not None}
        assert modules == {f"walkaway.cli.{COMMAND_MODULES[name]}"}, name


def _cli_modules_loaded_by(args: list[str]) -> tuple[int, set[str]]:
    code = (
        "import sys\n"
        "from walkaway.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as stop:\n"
        "    status = stop.code or 0\n"
        "print(status, *sorted(m for m in sys.modules if m.startswith('walkaway.cli')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    last = done.stdout.strip().splitlines()[-1].split()
    return int(last[0]), set(last[1:])


def test_one_command_loads_only_its_own_module() -> None:
    from walkaway.cli import COMMAND_MODULES

    status, modules = _cli_modules_loaded_by(["show", "--help"])
    assert status == 0
    commands = {f"walkaway.cli.{module}" for module in COMMAND_MODULES.values()}
    assert modules & commands == {"walkaway.cli.review"}
    # and beside it only the plumbing and the printers the review's commands use
    printers = {"walkaway.cli.board", "walkaway.cli.listing"}
    plumbing = {"walkaway.cli", "walkaway.cli.common", "walkaway.cli.terminal"}
    assert modules == {*plumbing, "walkaway.cli.review", *printers}


def test_help_and_unknown_commands_load_every_module() -> None:
    status, modules = _cli_modules_loaded_by(["--help"])
    assert status == 0 and "walkaway.cli.journal" in modules and "walkaway.cli.web" in modules
    status, modules = _cli_modules_loaded_by(["shwo"])
    assert status == 2 and "walkaway.cli.users" in modules


# What the main commands never need (on the prior, with the norms of the day cached): the
# learning, web, spreadsheet, migration, Spark and CRM stacks. They load through
# walkaway.lazy, when a command uses them.
HEAVY_LIBRARIES = (
    "numpy", "scipy", "sklearn", "lightgbm", "fastapi", "starlette", "uvicorn", "jinja2",
    "openpyxl", "alembic", "httpx", "duckdb", "pyspark", "pyarrow", "pandas", "matplotlib",
    "simple_salesforce", "hubspot", "connectorx",
)  # fmt: skip

# ... and `show` reads its few rows through the database driver (Store.rows): no
# SQLAlchemy either, which alone took a third of its start-up.
NOT_LOADED_BY = {"show": ("sqlalchemy",)}

MAIN_COMMANDS = {
    "show": ["show", "D-2001", "--as-of", "2026-11-20"],
    "review": ["review", "--as-of", "2026-11-20"],
    "review --format json": ["review", "--as-of", "2026-11-20", "--format", "json"],
    "decide": ["decide", "D-2001", "walk_away", "--reason", "No budget this year",
               "--as-of", "2026-11-20"],
}  # fmt: skip


def _heavy_libraries_loaded_by(
    args: list[str], libraries: tuple[str, ...] = HEAVY_LIBRARIES
) -> tuple[str, list[str]]:
    """What ``walkaway ARGS`` printed, and which of ``libraries`` it loaded."""
    code = (
        "import sys\n"
        "from walkaway.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        f"print('loaded:', *sorted(m for m in {libraries!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    last = done.stdout.strip().splitlines()[-1]
    return done.stdout, last.removeprefix("loaded:").split()


@pytest.mark.parametrize("command", sorted(MAIN_COMMANDS))
def test_main_commands_load_no_library_they_do_not_use(tmp_path: Path, command: str) -> None:
    """``walkaway show``, ``review`` and ``decide`` on the prior (no learned model) stay on
    Polars, SQLAlchemy, Typer and Rich (``show`` on Polars, Typer and Rich): start-up is
    kept lazy at the command's module, and nothing on their path loads NumPy or the rest
    for a constant or a helper."""
    from walkaway.service import import_files, sample_files
    from walkaway.store import open_store

    url = f"sqlite:///{tmp_path / 'team.db'}"
    store = open_store(url)
    import_files(store, *sample_files(), format="generic")
    store.close()
    libraries = HEAVY_LIBRARIES + NOT_LOADED_BY.get(command, ())
    printed, loaded = _heavy_libraries_loaded_by([*MAIN_COMMANDS[command], "--db", url], libraries)
    assert "D-2001" in printed
    assert loaded == []


def test_loading_every_command_loads_no_heavy_library() -> None:
    """``walkaway --help`` imports every command's module: none of them, nor anything they
    import when imported, loads a heavy library (they go through walkaway.lazy)."""
    printed, loaded = _heavy_libraries_loaded_by(["--help"])
    assert "show" in printed
    assert loaded == []

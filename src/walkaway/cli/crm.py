"""``walkaway sync`` and ``walkaway push``: the live CRM, both ways."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from walkaway import lazy
from walkaway.cli.common import DbOption, app, as_of_option, edge, open_from, out
from walkaway.cli.review import AsOfOption
from walkaway.crm.credentials import load_config
from walkaway.crm.push import push
from walkaway.crm.sync import sync

if TYPE_CHECKING:
    from walkaway.crm import hubspot, salesforce
else:
    salesforce = lazy.module("walkaway.crm.salesforce")
    hubspot = lazy.module("walkaway.crm.hubspot")


class Crm(StrEnum):
    salesforce = "salesforce"
    hubspot = "hubspot"


ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        help="A TOML file with the CRM's credentials (default: $WALKAWAY_CRM_CONFIG; the "
        "WALKAWAY_SALESFORCE_* / WALKAWAY_HUBSPOT_* variables win).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


def _client(crm: Crm, config_path: str | None) -> tuple[Any, Any]:
    """The CRM's client module and its connected client (simple-salesforce or HubSpot)."""
    config = load_config(crm.value, Path(config_path) if config_path else None)
    module: Any = salesforce if crm is Crm.salesforce else hubspot
    return module, (module.connect(config), config)


@app.command("sync")
@edge
def sync_command(
    crm: Annotated[Crm, typer.Argument(help="salesforce or hubspot.")],
    full: Annotated[
        bool, typer.Option("--full", help="Everything, not only what changed.")
    ] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Pull deals, stage history and activities changed since the last sync."""
    module, (client, _config) = _client(crm, config)
    source = (
        module.SalesforceSource(client) if crm is Crm.salesforce else module.HubSpotSource(client)
    )
    summary = sync(open_from(db, create=True), source, full=full)
    if as_json:
        sys.stdout.write(json.dumps(summary.__dict__, default=str) + "\n")
        return
    written = summary.written
    out.print(
        f"Synced {crm.value}: {written.get('deals_new', 0):,} new and "
        f"{written.get('deals_updated', 0):,} updated deals, "
        f"{written.get('activities_new', 0):,} new activities in {summary.pages} page(s); "
        f"{summary.rejected} row(s) set aside",
        highlight=False,
    )
    for line in summary.problems:
        out.print(f"  set aside: {line}", highlight=False)


@app.command("push")
@edge
def push_command(
    crm: Annotated[Crm, typer.Argument(help="salesforce or hubspot.")],
    as_of: AsOfOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Write the call (recommendation, p, top reason; a re-qualify task) back to the CRM."""
    module, (client, settings) = _client(crm, config)
    writer_class = module.SalesforceWriter if crm is Crm.salesforce else module.HubSpotWriter
    summary = push(open_from(db), writer_class(client, settings.fields), as_of_option(as_of))
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict()) + "\n")
        return
    out.print(
        f"Pushed to {crm.value}: {summary.written} deal(s) whose call changed "
        f"({summary.tasks} re-qualify task(s)); {summary.unchanged} unchanged",
        highlight=False,
    )

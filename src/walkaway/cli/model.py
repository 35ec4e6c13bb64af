"""Commands for the win-probability model: train, model."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from walkaway import lazy
from walkaway.cli.common import DbOption, app, edge, moment_option, open_from, out, progress_bar
from walkaway.cli.terminal import json_text
from walkaway.service.facts import prior_facts

if TYPE_CHECKING:
    from walkaway.learning import card as card_module
    from walkaway.service import models
else:
    card_module = lazy.module("walkaway.learning.card")
    models = lazy.module("walkaway.service.models")

NO_MODEL = (
    "No model trained yet: win probabilities come from the prior (stage win rates, "
    "qualification facts, red flags, time in stage). Run `walkaway train` to learn from "
    "your closed deals."
)


class CardFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("train")
@edge
def train_command(
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Learn only from deals closed before this date (00:00 UTC); default: now.",
        ),
    ] = None,
    exclude_attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude-attribute",
            help="An extra column never to learn from (repeat for more), e.g. one filled in "
            "at the close.",
        ),
    ] = None,
    keep_attribute: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-attribute",
            help="A column to learn from even though the leak guards left it out (it "
            "tells won from lost too well, or is filled differently on open deals); repeat "
            "for more.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Learn win probabilities from your closed deals; print the model card."""
    store = open_from(db)
    with progress_bar("learning from the closed deals"):
        card = models.train(
            store,
            moment_option(until, "--until"),
            tuple(exclude_attribute or ()),
            keep_attributes=tuple(keep_attribute or ()),
        )
    out.print(card.to_text(), markup=False, highlight=False)


@app.command("model")
@edge
def model_command(
    format: Annotated[CardFormat, typer.Option("--format", help="text or json.")] = CardFormat.text,
    db: DbOption = None,
) -> None:
    """The model card of the win-probability model in force (or that the prior is used)."""
    store = open_from(db)
    card = models.model_card(store)
    if format is CardFormat.json:
        data: dict[str, Any] = {"trained": False, "learned": False, "message": NO_MODEL}
        if card is None:
            data["facts"] = prior_facts(store).to_dicts()
        else:
            data = {"trained": True, "learned": card.kind == card_module.STACK, **card.to_dict()}
        sys.stdout.write(json_text(data, ensure_ascii=False, indent=2) + "\n")
    elif card is None:
        text = "\n".join([NO_MODEL, *card_module.facts_text(tuple(prior_facts(store).to_dicts()))])
        out.print(text, markup=False, highlight=False)
    else:
        out.print(card.to_text(), markup=False, highlight=False)

"""``walkaway digest``: each rep's week, printed, emailed, posted to a webhook or written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from walkaway import lazy
from walkaway.cli.common import DbOption, app, as_of_option, edge, open_from, out
from walkaway.cli.review import AsOfOption
from walkaway.cli.terminal import visible
from walkaway.errors import InputError
from walkaway.models import Tone
from walkaway.service.digest import weekly_digests

if TYPE_CHECKING:
    from walkaway.reporting import digest
    from walkaway.service import deliver
else:
    deliver = lazy.module("walkaway.service.deliver")
    digest = lazy.module("walkaway.reporting.digest")


def _recipients(pairs: list[str]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        owner, sep, address = pair.rpartition("=")
        if not sep or not owner.strip() or "@" not in address:
            raise InputError(f"--recipient {pair!r} is not OWNER=ADDRESS (Anna Keller=anna@x.com)")
        found[owner.strip()] = address.strip()
    return found


@app.command("digest")
@edge
def digest_command(
    owner: Annotated[str | None, typer.Option("--owner", help="Only this rep's week.")] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Email through this server: smtp://host:port.")
    ] = None,
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="POST a Slack-style message to this URL.")
    ] = None,
    out_dir: Annotated[
        str | None, typer.Option("--out", help="Write <rep>.txt, .html and .json here.")
    ] = None,
    recipient: Annotated[
        list[str] | None,
        typer.Option("--recipient", help="With --to: OWNER=ADDRESS, once per rep."),
    ] = None,
    sender: Annotated[
        str, typer.Option("--from", help="With --to: the sender's address.")
    ] = "walkaway@localhost",
    tone: Annotated[
        Tone, typer.Option("--tone", help="Exit messages: warm or direct.")
    ] = Tone.WARM,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Each rep's week: walk-aways with the drafted message, deadlines, revisits."""
    if sum(x is not None for x in (to, webhook, out_dir)) > 1:
        raise InputError("pick one of --to, --webhook and --out")
    addresses = _recipients(recipient or [])
    weeks = [
        w
        for w in weekly_digests(open_from(db), as_of_option(as_of), owner=owner, tone=tone)
        if not w.empty
    ]
    if not weeks:
        out.print("Nothing in the week for " + (repr(owner) if owner else "any rep") + ".")
        return
    if to is not None:
        sent = deliver.send_emails(weeks, to, sender, addresses)
        out.print(f"Emailed {len(sent)} digest(s): {', '.join(sent)}", highlight=False)
    elif webhook is not None:
        posted = deliver.post_webhooks(weeks, webhook)
        out.print(f"Posted {posted} digest(s) to the webhook", highlight=False)
    elif out_dir is not None:
        paths = deliver.write_files(weeks, Path(out_dir))
        out.print(
            f"Wrote {len(weeks)} digest(s) to {out_dir} ({len(paths)} files)", highlight=False
        )
    else:
        sys.stdout.write(visible("\n".join(digest.digest_text(w) for w in weeks)))

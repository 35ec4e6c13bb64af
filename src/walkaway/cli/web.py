"""``walkaway serve``: the REST API and the dashboard (FastAPI on uvicorn)."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from walkaway import lazy
from walkaway.cli.common import DbOption, app, day_option, edge, fail, open_from, out
from walkaway.web.settings import WebSettings, address_list

if TYPE_CHECKING:
    import uvicorn

    from walkaway.web import app as web
else:
    uvicorn = lazy.module("uvicorn")
    web = lazy.module("walkaway.web.app")

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@app.command("serve")
@edge
def serve_command(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (team mode only beyond 127.0.0.1).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    auth: Annotated[
        bool,
        typer.Option(
            "--auth", help="Team mode: sign-in, roles and API tokens (also WALKAWAY_AUTH=1)."
        ),
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Default as-of date of pages and API (default: now)."),
    ] = None,
    backtest_dir: Annotated[
        Path | None,
        typer.Option("--backtest-dir", help="Folder of `walkaway backtest --out` to show."),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Proxies whose X-Forwarded-For is believed, comma-separated (default: none; "
            "also WALKAWAY_FORWARDED_ALLOW_IPS).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Serve the REST API (/api, /docs) and the dashboard (/) with uvicorn."""
    settings = _settings(host, auth, as_of, backtest_dir, db)
    if forwarded_allow_ips is not None:
        settings = replace(settings, forwarded_allow_ips=address_list(forwarded_allow_ips))
    mode = (
        "team mode: sign-in and API tokens required"
        if settings.auth
        else "local mode, no sign-in: answering on 127.0.0.1 only (--auth for team mode)"
    )
    open_from(db)  # a store that is not there is refused, not created
    _check_port(host, port)
    web_app = web.create_app(settings, warm=True)
    shown = "127.0.0.1" if host == "localhost" else host
    out.print(f"Walkaway on http://{shown}:{port}/ — {mode}. API docs: /docs", highlight=False)
    # The app believes proxy headers from settings.forwarded_allow_ips only; uvicorn's own
    # default would believe any from 127.0.0.1.
    uvicorn.run(
        web_app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


def _check_port(host: str, port: int) -> None:
    """Refuse, before announcing anything, a port another program holds (or one this
    user may not take)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        fail(f"--host {host}: not an address of this machine ({error.strerror})")
        return
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            fail(
                f"cannot serve on {host}:{port}: {error.strerror or error} (another program "
                "may be using it); pick another with --port"
            )


def _settings(
    host: str, auth: bool, as_of: str | None, backtest_dir: Path | None, db: str | None
) -> WebSettings:
    """The app's settings from the options and the environment; refuses an open host."""
    settings = WebSettings.from_env(db=db, auth=auth)
    if not settings.auth and host not in LOCAL_HOSTS:
        fail(
            f"--host {host} would open the dashboard without sign-in to the network; "
            "serve on 127.0.0.1, or add --auth for team mode"
        )
    return replace(
        settings,
        as_of=day_option(as_of, "--as-of"),
        backtest_dir=backtest_dir or settings.backtest_dir,
    )

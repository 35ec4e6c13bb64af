"""walkaway digest: each rep's week, to a real local SMTP server and HTTP receiver."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.reporting.digest import RepWeek
from walkaway.sample import SAMPLE_AS_OF
from walkaway.service import build_demo
from walkaway.service.deliver import file_names, write_files
from walkaway.service.digest import weekly_digests
from walkaway.service.journal import record_decision
from walkaway.service.review import review

AS_OF = datetime.combine(SAMPLE_AS_OF, datetime.min.time())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample store, with a re-qualify decided ten days ago (its deadline falls in
    the week) and a walk-away whose revisit date falls in the week."""
    db = tmp_path_factory.mktemp("digest") / "demo.db"
    store, _ = build_demo(f"sqlite:///{db}")
    earlier = AS_OF - timedelta(days=10)
    still_open = set(review(store, AS_OF).deals["deal_id"])
    ids = [i for i in review(store, earlier).deals["deal_id"] if i in still_open]
    requalified = record_decision(store, ids[0], "requalify", "ask for the budget", as_of=earlier)
    walked = record_decision(
        store, ids[1], "walk_away", "no champion", as_of=earlier,
        revisit=(AS_OF + timedelta(days=3)).date(),
    )  # fmt: skip
    store.close()
    return {"db": str(db), "requalified": requalified, "walked": walked}


def test_each_reps_week_holds_walk_aways_deadlines_and_revisits(demo: dict[str, Any]) -> None:
    from walkaway.store import open_store

    store = open_store(demo["db"])
    weeks = weekly_digests(store, AS_OF)
    local = review(store, AS_OF).deals
    store.close()
    by_owner = {w.owner: w for w in weeks}
    walking = local.filter(local["decision_in_force"] == "walk_away")
    assert sum(len(w.walk_aways) for w in weeks) == walking.height > 0
    for week in weeks:
        assert all(item.message.strip() for item in week.walk_aways)
        assert week.week_end == week.week_start + timedelta(days=6)
    requalified, walked = demo["requalified"], demo["walked"]
    owner_deadlines = by_owner[requalified.decided_by].deadlines
    assert requalified.deal_id in [d.deal_id for d in owner_deadlines]
    revisits = [r.deal_id for w in weeks for r in w.revisits]
    assert walked.deal_id in revisits
    undecided = local.filter(
        (local["recommendation"] == "requalify") & local["human_decision"].is_null()
    )["deal_id"].to_list()
    deadlines = [d.deal_id for w in weeks for d in w.deadlines]
    assert undecided and set(undecided) <= set(deadlines)
    assert sorted(deadlines) == sorted([*undecided, requalified.deal_id])
    for week in weeks:
        assert [d.due_on for d in week.deadlines] == sorted(d.due_on for d in week.deadlines)
        # walk-aways as the review ranks them (most at stake first), never by id
        mine = walking.filter(walking["owner"] == week.owner)["deal_id"].to_list()
        assert [w.deal_id for w in week.walk_aways] == mine
    assert any(m != sorted(m) for m in _walk_away_ids(weeks)), (
        "the sample ranks some out of id order"
    )


def _walk_away_ids(weeks: list[RepWeek]) -> list[list[str]]:
    return [[w.deal_id for w in week.walk_aways] for week in weeks]


def test_one_owner_only(demo: dict[str, Any]) -> None:
    from walkaway.store import open_store

    store = open_store(demo["db"])
    owner = demo["walked"].decided_by
    weeks = weekly_digests(store, AS_OF, owner=owner.upper())
    store.close()
    assert [w.owner for w in weeks] == [owner]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, _Inbox]]:
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()


def _owners(db: str) -> list[str]:
    from walkaway.store import open_store

    store = open_store(db)
    owners = [w.owner for w in weekly_digests(store, AS_OF)]
    store.close()
    return owners


def test_digest_by_email_has_a_text_and_an_html_part(
    demo: dict[str, Any], smtp_server: tuple[str, _Inbox]
) -> None:
    url, inbox = smtp_server
    owners = _owners(demo["db"])
    recipients = [f"--recipient={o}=rep{i}@team.test" for i, o in enumerate(owners)]
    result = CliRunner().invoke(
        app, ["digest", "--to", url, *recipients, "--from", "lead@team.test",
              "--as-of", SAMPLE_AS_OF.isoformat(), "--db", demo["db"]],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == len(owners) > 1
    first = inbox.messages[0]
    assert first["From"] == "lead@team.test" and first["To"] == "rep0@team.test"
    text = first.get_body(preferencelist=("plain",))
    html = first.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert f"{owners[0]}: your week" in text.get_content()
    assert "<h2>Walk away" in html.get_content()


def test_a_rep_without_an_address_stops_before_anything_is_sent(
    demo: dict[str, Any], smtp_server: tuple[str, _Inbox]
) -> None:
    url, inbox = smtp_server
    owners = _owners(demo["db"])
    result = CliRunner().invoke(
        app, ["digest", "--to", url, f"--recipient={owners[0]}=a@team.test",
              "--as-of", SAMPLE_AS_OF.isoformat(), "--db", demo["db"]],
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"no address for {owners[1]!r}" in result.output
    assert inbox.messages == []


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"bodies": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()


def test_digest_to_a_webhook_posts_one_slack_style_message_per_rep(
    demo: dict[str, Any], receiver: tuple[str, type[_Receiver]]
) -> None:
    url, handler = receiver
    result = CliRunner().invoke(
        app, ["digest", "--webhook", url, "--as-of", SAMPLE_AS_OF.isoformat(), "--db", demo["db"]]
    )
    assert result.exit_code == 0, result.output
    owners = _owners(demo["db"])
    assert len(handler.bodies) == len(owners)
    first = handler.bodies[0]
    assert first["text"].startswith(f"{owners[0]}: your week")
    assert [b["type"] for b in first["blocks"]] == [
        "header",
        *["section"] * 4,
    ]  # changed, walk away, deadlines, revisits


def test_a_webhook_that_refuses_is_one_line(
    demo: dict[str, Any], receiver: tuple[str, type[_Receiver]]
) -> None:
    url, handler = receiver
    handler.status = 500
    result = CliRunner().invoke(
        app, ["digest", "--webhook", url, "--as-of", SAMPLE_AS_OF.isoformat(), "--db", demo["db"]]
    )
    assert result.exit_code == 2
    assert "answered 500" in result.output


def test_digest_to_files(demo: dict[str, Any], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["digest", "--out", str(tmp_path), "--as-of", SAMPLE_AS_OF.isoformat(),
              "--db", demo["db"]],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    owners = _owners(demo["db"])
    assert len(list(tmp_path.glob("*.html"))) == len(list(tmp_path.glob("*.txt"))) == len(owners)
    html = next(tmp_path.glob("*.html")).read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "Re-qualify deadlines coming" in html


PROBE_OWNERS = ["Anna Keller", "anna keller", "山田太郎", "佐藤花子", "★★★", "!!!", "Zoë Ørsted",
                "(no owner)"]  # fmt: skip


def test_every_owner_gets_a_file_of_their_own_with_a_readable_name(tmp_path: Path) -> None:
    """Non-Latin names keep their script; names of symbols only, or two names that
    write the same, are numbered: never two owners to one file."""
    weeks = [RepWeek(owner, date(2026, 11, 16), date(2026, 11, 22)) for owner in PROBE_OWNERS]
    paths = write_files(weeks, tmp_path)
    assert len(paths) == len({p.name for p in paths}) == 3 * len(PROBE_OWNERS)
    names = {p.stem for p in tmp_path.glob("*.html")}
    assert {"anna-keller", "anna-keller-2", "山田太郎", "佐藤花子", "zoë-ørsted"} <= names
    assert {"owner", "owner-2", "no-owner"} <= names
    for owner, name in file_names(PROBE_OWNERS).items():
        text = (tmp_path / f"{name}.txt").read_text(encoding="utf-8")
        assert owner in text, (owner, name)

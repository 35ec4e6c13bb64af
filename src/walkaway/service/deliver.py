"""Handing a digest over: an email (plain text + HTML) by SMTP, a JSON webhook, or files.

A failure says in one line where it went wrong; nothing is retried here (a digest sent
twice is worse than one sent late).
"""

from __future__ import annotations

import json
import re
import smtplib
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from walkaway.errors import DeliveryError, InputError
from walkaway.reporting.digest import RepWeek, digest_html, digest_text, digest_webhook

TIMEOUT_SECONDS = 15


def email_for(week: RepWeek, sender: str, recipient: str) -> EmailMessage:
    """The digest as a multipart/alternative email: the text part, then the HTML one."""
    message = EmailMessage()
    message["Subject"] = week.subject
    message["From"] = sender
    message["To"] = recipient
    message.set_content(digest_text(week))
    message.add_alternative(digest_html(week), subtype="html")
    return message


def _smtp(url: str) -> smtplib.SMTP:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise InputError(f"--to {url!r} is not an SMTP URL; expected smtp://host:port")
    try:
        if parts.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                parts.hostname, parts.port or 465, timeout=TIMEOUT_SECONDS
            )
        else:
            client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=TIMEOUT_SECONDS)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"SMTP server {parts.hostname}:{parts.port}: {error}") from None
    return client


def send_emails(
    weeks: list[RepWeek], url: str, sender: str, recipients: Mapping[str, str]
) -> list[str]:
    """Email each rep's digest through the SMTP server at ``url``; the addresses sent to.

    Every rep must have an address in ``recipients`` (checked before anything is sent).
    """
    missing = [w.owner for w in weeks if w.owner.lower() not in _lower(recipients)]
    if missing:
        raise InputError(
            f"no address for {', '.join(repr(m) for m in missing)}; pass "
            f"--recipient '{missing[0]}=name@example.com' for each rep"
        )
    sent = []
    with _smtp(url) as client:
        for week in weeks:
            address = _lower(recipients)[week.owner.lower()]
            try:
                client.send_message(email_for(week, sender, address))
            except smtplib.SMTPException as error:
                raise DeliveryError(f"SMTP refused the digest for {address}: {error}") from None
            sent.append(address)
    return sent


def _lower(recipients: Mapping[str, str]) -> dict[str, str]:
    return {k.strip().lower(): v.strip() for k, v in recipients.items()}


def post_webhooks(weeks: list[RepWeek], url: str) -> int:
    """POST each rep's Slack-style message to ``url``; how many were accepted."""
    if not url.startswith(("http://", "https://")):
        raise InputError(f"--webhook {url!r} is not an http(s) URL")
    for week in weeks:
        _post_json(url, digest_webhook(week))
    return len(weeks)


def _post_json(url: str, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as error:
        error.close()  # it holds the response
        raise DeliveryError(f"webhook {url} answered {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        raise DeliveryError(f"webhook {url}: {getattr(error, 'reason', error)}") from None


# Long enough for any name a team reads, short of every file system's limit in bytes.
SLUG_CHARACTERS = 60


def slug(owner: str) -> str:
    """A readable file name for a rep, in their own script: ``Anna Keller`` ->
    ``anna-keller``, ``山田太郎`` -> ``山田太郎``; ``owner`` when nothing is left."""
    folded = unicodedata.normalize("NFKC", owner).casefold()
    words = re.sub(r"[\W_]+", "-", folded).strip("-")
    return words[:SLUG_CHARACTERS].strip("-") or "owner"


def file_names(owners: Iterable[str]) -> dict[str, str]:
    """A file name per owner, never one for two: a name taken (``café`` and ``Café``,
    two names of symbols only) is numbered ``-2``, ``-3``, ... in the owners' sorted
    order (the same names each week)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for owner in sorted(set(owners)):
        base = name = slug(owner)
        number = 1
        while name in taken:
            number += 1
            name = f"{base}-{number}"
        taken.add(name)
        names[owner] = name
    return names


def write_files(weeks: list[RepWeek], folder: Path) -> list[Path]:
    """Each rep's digest as ``<rep>.txt``, ``<rep>.html`` and ``<rep>.json`` (the webhook
    message) in ``folder`` (:func:`file_names`: one name per rep); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    names = file_names(week.owner for week in weeks)
    for week in weeks:
        name = names[week.owner]
        for suffix, text in (
            (".txt", digest_text(week)),
            (".html", digest_html(week)),
            (".json", json.dumps(digest_webhook(week), ensure_ascii=False, indent=2)),
        ):
            path = folder / f"{name}{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written

"""The web app's settings: built once by ``walkaway serve`` (or a test) and passed in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from walkaway.settings import DEFAULT_URL, copy_dir_from

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class WebSettings:
    """What ``create_app`` needs.

    ``auth`` turns on team mode (sign-in, roles, API tokens). ``secret_key`` signs the
    session cookie; empty means a random key per process (sessions end on restart).
    ``as_of`` is the default as-of date of pages and API calls (None: today, UTC).
    ``allowed_hosts`` are the Host headers accepted (``*`` for any), which stops DNS
    rebinding against a local, unauthenticated server. A change made by another process
    (``walkaway import``) shows after at most ``cache_check_seconds``. ``https_only``
    marks the session cookie Secure (sent over HTTPS only); None means: in team mode.
    ``copy_dir`` is where the store's columnar copy goes unless it is a SQLite file
    (:func:`walkaway.settings.copy_dir_from`; None: none is kept). ``forwarded_allow_ips``
    are the proxies whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed
    (addresses or networks, ``*`` for any); none by default: the client is the address
    that connected.
    """

    db_url: str = DEFAULT_URL
    auth: bool = False
    secret_key: str = ""
    as_of: date | None = None
    default_currency: str | None = None  # WALKAWAY_CURRENCY; else the policy's
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    cache_check_seconds: float = 1.0
    page_size: int = 25
    backtest_dir: Path | None = None
    https_only: bool | None = None
    copy_dir: Path | None = None
    forwarded_allow_ips: tuple[str, ...] = ()

    @property
    def secure_cookies(self) -> bool:
        return self.auth if self.https_only is None else self.https_only

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, db: str | None = None, auth: bool = False
    ) -> WebSettings:
        """``--db`` over ``WALKAWAY_DB``; ``--auth`` or ``WALKAWAY_AUTH=1`` for team mode."""
        env = os.environ if env is None else env
        team = auth or env.get("WALKAWAY_AUTH", "").strip().lower() in TRUE_WORDS
        hosts = env.get("WALKAWAY_ALLOWED_HOSTS", "")
        backtest = env.get("WALKAWAY_BACKTEST_DIR")
        return cls(
            db_url=db or env.get("WALKAWAY_DB") or DEFAULT_URL,
            auth=team,
            secret_key=env.get("WALKAWAY_SECRET_KEY", ""),
            default_currency=(env.get("WALKAWAY_CURRENCY") or "").upper() or None,
            allowed_hosts=tuple(h.strip() for h in hosts.split(",") if h.strip())
            or (("*",) if team else LOCAL_HOSTS),
            backtest_dir=Path(backtest) if backtest else None,
            https_only=_switch(env.get("WALKAWAY_HTTPS_ONLY", "")),
            copy_dir=copy_dir_from(env),
            forwarded_allow_ips=address_list(env.get("WALKAWAY_FORWARDED_ALLOW_IPS", "")),
        )


def address_list(text: str) -> tuple[str, ...]:
    """``10.0.0.1, 10.0.0.0/24`` -> its items; blank: none."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _switch(text: str) -> bool | None:
    """``1``/``true``/... is on, ``0``/``false``/... off, anything else: the default."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None

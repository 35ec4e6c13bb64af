"""What every answer carries against the browser's usual attacks, and the sign-in throttle.

Every page is server-rendered with its one script and stylesheet in ``/static``: the
Content-Security-Policy allows scripts, styles and images from this site alone (no
inline script or style, nothing from elsewhere), no framing by any site, and forms that
post only here. The backtest's own ``report.html`` is a self-contained file with its
styles inline: it is served sandboxed (no script runs) and may not load anything.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from walkaway.models import SHORT_TEXT

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; sandbox; "
    "frame-ancestors 'none'"
)
REPORT_PATH = "/backtest/files/report.html"
HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
    b"cross-origin-opener-policy": b"same-origin",
}


Headers = list[tuple[bytes, bytes]]
# Names and addresses the sign-in throttle counts at once (a few MB at most).
MAX_THROTTLE_KEYS = 10_000


async def answer_with_headers(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, extra: Callable[[], Headers]
) -> None:
    """Run ``app``, putting the headers ``extra()`` gives (at the moment the answer
    starts) on its answer, in place of any of the same name."""

    async def with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            added = extra()
            names = {name for name, _value in added}
            kept = [(k, v) for k, v in message.get("headers", []) if k not in names]
            message = {**message, "headers": kept + added}
        await send(message)

    await app(scope, receive, with_headers)


class SecurityHeaders:
    """Adds the Content-Security-Policy and the headers above to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = REPORT_POLICY if scope.get("path") == REPORT_PATH else PAGE_POLICY
        headers = [(b"content-security-policy", policy.encode()), *HEADERS.items()]
        await answer_with_headers(self.app, scope, receive, send, lambda: headers)


class SignInThrottle:
    """Failed sign-ins, counted per user name and per client address over a window.

    Past ``per_user`` failures for one name (or ``per_address`` from one address) within
    ``window_seconds``, sign-ins for it are refused (429) until the oldest failure
    leaves the window, a right password included: guessing must stop, not just fail.
    A successful sign-in forgets its name's failures. Per process, in memory, and
    bounded: a name counts by its first ``SHORT_TEXT`` characters (no user's name is
    longer), each key keeps at most its limit of times, and past ``max_keys`` names and
    addresses the one touched longest ago is forgotten.
    """

    def __init__(
        self,
        per_user: int = 5,
        per_address: int = 20,
        window_seconds: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_THROTTLE_KEYS,
    ) -> None:
        self.limits = {"user": per_user, "address": per_address}
        self.window = window_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, address: str) -> list[tuple[str, str]]:
        return [("user", name.strip().lower()[:SHORT_TEXT]), ("address", address)]

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            times = self._failures[key] = deque(maxlen=self.limits[key[0]])
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
        self._failures.move_to_end(key)
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def __len__(self) -> int:
        """How many names and addresses are counted now."""
        return len(self._failures)

    def retry_after(self, name: str, address: str) -> int | None:
        """Seconds until ``name`` may try again from ``address``; None when it may now."""
        now = self.clock()
        waits = []
        with self._lock:
            for key in self._keys(name, address):
                times = self._failures.get(key)
                if times is None:
                    continue
                times = self._recent(key, now)
                if len(times) >= self.limits[key[0]]:
                    waits.append(times[0] + self.window - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in self._keys(name, address):
                self._recent(key, now).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(name, "")[0], None)

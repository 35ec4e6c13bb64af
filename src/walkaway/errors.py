"""One hierarchy of errors. Every message says what is wrong and what to do."""

from __future__ import annotations

from walkaway.wording import printable


class WalkawayError(Exception):
    """Base of every error Walkaway raises on purpose.

    The command line prints ``str(error)`` as one line and exits with status 2;
    the API answers with ``{"error": code, "detail": message}``.
    """

    code = "walkaway_error"

    def __str__(self) -> str:
        # Messages quote files, headers and names: whatever a terminal would act on
        # (ESC, CSI, NUL, a line break) is shown escaped, wherever the message goes.
        return printable(super().__str__())


class InputError(WalkawayError):
    """The input (a file, an argument, a value) is not what was expected."""

    code = "invalid_input"


class Conflict(InputError):
    """The input is well formed, but the data as it stands refuses it: a loss review of a
    deal that is not lost, a decision on a deal already closed at its date, a comparison
    with a moment not before the review's. Exit 2 on the command line; 409 on the API."""

    code = "conflict"


class ImportFailed(InputError):
    """An import found invalid rows; nothing was imported.

    ``problems`` holds one line per problem: file, row, column, value, what was expected.
    """

    code = "import_failed"

    def __init__(self, problems: list[str], total: int | None = None) -> None:
        self.problems = [printable(line) for line in problems]
        self.total = total if total is not None else len(problems)
        first = problems[0] if problems else "no rows"
        more = f" (and {self.total - 1} more problem(s))" if self.total > 1 else ""
        super().__init__(f"{first}{more}; nothing was imported")


class NotFound(WalkawayError):
    """Something asked for by name (a deal, a policy) does not exist."""

    code = "not_found"


class StoreError(WalkawayError):
    """The database cannot be opened or is not in a usable state."""

    code = "store_error"


class NoStore(StoreError):
    """A command that reads a store was pointed at one that does not exist (nothing was
    created for it)."""

    code = "no_store"


class PolicyError(InputError):
    """The team policy is invalid."""

    code = "invalid_policy"


class NotFittedError(WalkawayError):
    """An estimator was used before ``fit``."""

    code = "not_fitted"


class DeliveryError(WalkawayError):
    """A message could not be handed over (SMTP server, webhook, CRM API)."""

    code = "delivery_failed"

"""Numbers as a sales manager reads them: money with a symbol, short money, percentages."""

from __future__ import annotations

from walkaway.wording import currency_symbol, money_text, percent_text

__all__ = ["currency_symbol", "days", "hours", "money", "percent", "short_money"]


def money(value: float | None, currency: str | None = None) -> str:
    """A whole amount with thousands separators: ``money(-1234.5, "EUR")`` is "-€1,235"."""
    return money_text(value, currency)


def short_money(value: float, currency: str | None = None) -> str:
    """An axis label: "€2.56M", "€350k", "€900"."""
    return money_text(value, currency, short=True)


def percent(value: float | None, digits: int = 0) -> str:
    """A fraction as a percentage: 0.1294 is "13%" (or "12.9%" with one digit); never
    "0%" or "100%" for what is neither ("<1%", ">99%")."""
    return percent_text(value, digits)


def hours(value: float | None) -> str:
    """Hours with one decimal: "3.2 h", "1,134.6 h"."""
    return "—" if value is None else f"{value:,.1f} h"


def whole_hours(value: float | None) -> str:
    """A total of hours, whole, as the board and the terminal give it: "82 h"."""
    return "—" if value is None else f"{value:,.0f} h"


def days(value: float | None) -> str:
    """Whole days: "44 d"."""
    return "—" if value is None else f"{value:,.0f} d"

"""Numbers as a sales manager reads them: money with a symbol, short money, percentages."""

from __future__ import annotations

from walkaway.wording import SYMBOLS

_SHORT = ((1e9, "bn"), (1e6, "M"), (1e3, "k"))


def currency_symbol(currency: str | None) -> str:
    """ "€" for EUR, "$" for USD ...; other codes are written out with a space: "SEK "."""
    if not currency:
        return ""
    return SYMBOLS.get(currency, f"{currency} ")


def money(value: float | None, currency: str | None = None) -> str:
    """A whole amount with thousands separators: ``money(-1234.5, "EUR")`` is "-€1,235"."""
    if value is None:
        return "—"
    sign = "-" if round(value) < 0 else ""
    return f"{sign}{currency_symbol(currency)}{abs(value):,.0f}"


def short_money(value: float, currency: str | None = None) -> str:
    """An axis label: "€2.56M", "€350k", "€900"."""
    sign = "-" if value < 0 else ""
    size = abs(value)
    for unit, suffix in _SHORT:
        if size >= unit:
            return f"{sign}{currency_symbol(currency)}{size / unit:.3g}{suffix}"
    return f"{sign}{currency_symbol(currency)}{size:,.0f}"


def percent(value: float | None, digits: int = 0) -> str:
    """A fraction as a percentage: 0.1294 is "13%" (or "12.9%" with one digit)."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def hours(value: float | None) -> str:
    """Hours with one decimal: "3.2 h", "1,134.6 h"."""
    return "—" if value is None else f"{value:,.1f} h"


def days(value: float | None) -> str:
    """Whole days: "44 d"."""
    return "—" if value is None else f"{value:,.0f} d"

"""The backtest's plots (PNG, matplotlib without a display) and its self-contained HTML page.

The page inlines the plots as base64 PNG and needs nothing else: no script, no style
sheet, no font from the network. Every text that reaches it goes through
``html.escape``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping, Sequence
from html import escape

import polars as pl
from matplotlib.figure import Figure

from walkaway.backtest.metrics import Metrics
from walkaway.backtest.replay import CURVE_METHODS, METHODS, PROBABILITY_METHODS, BacktestResult

COLOURS = {"model": "#1f6feb", "never": "#6e7781", "idle": "#d4a72c", "stage": "#8250df"}
PNG_METADATA = {"Software": None}  # same plot, same bytes
SCORE_NAMES = {"model": "Walkaway", "never": "Team win rate", "stage": "Stage probability"}


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata=PNG_METADATA, bbox_inches="tight")
    return buffer.getvalue()


def calibration_png(result: BacktestResult) -> bytes:
    """Mean predicted probability against the observed win rate, per bin and method."""
    figure = Figure(figsize=(6.0, 5.0), dpi=100)
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], linestyle="--", color="#999999", label="perfectly calibrated")
    largest = max(1, int(result.calibration["deals"].max() or 1))  # type: ignore[arg-type]
    for method in PROBABILITY_METHODS:
        table = result.calibration.filter(pl.col("method") == method)
        if table.height == 0:
            continue
        x, y = table["mean_predicted"].to_list(), table["observed_win_rate"].to_list()
        sizes = [15 + 250 * n / largest for n in table["deals"].to_list()]
        axes.plot(x, y, color=COLOURS[method], alpha=0.6)
        axes.scatter(x, y, s=sizes, color=COLOURS[method], label=SCORE_NAMES[method])
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("predicted win probability (bin mean)")
    axes.set_ylabel("share of those deals won")
    axes.set_title("Calibration, all cuts pooled (dot size = deals)")
    axes.legend(loc="upper left", fontsize="small")
    return _png(figure)


def _effort_axis(result: BacktestResult) -> tuple[str, str]:
    """The curve's x column and label: effort saved, or lost deals flagged when the
    history logs no effort."""
    if result.curves.height and result.curves["effort_saved_share"].null_count() == 0:
        return "effort_saved_share", "share of the effort on lost deals saved"
    return "lost_share_flagged", "share of lost deals walked away from (no effort logged)"


def _operating_x(metrics: Metrics, column: str) -> float | None:
    if column == "effort_saved_share":
        return metrics.effort_saved_share
    return metrics.flagged_lost / metrics.lost if metrics.lost else None


def precision_effort_png(result: BacktestResult) -> bytes:
    """Precision against effort saved as the walk-away threshold moves, for the model
    and the baselines, with each one's operating point marked."""
    figure = Figure(figsize=(6.4, 5.0), dpi=100)
    axes = figure.subplots()
    column, label = _effort_axis(result)
    for method in CURVE_METHODS:
        curve = result.curves.filter(pl.col("method") == method).drop_nulls([column, "precision"])
        colour = COLOURS[method]
        if curve.height:
            axes.plot(curve[column].to_list(), curve["precision"].to_list(), color=colour)
        point = result.pooled_for(method)
        x = _operating_x(point, column)
        if x is not None and point.precision is not None:
            axes.scatter([x], [point.precision], s=90, marker="*", color=colour, zorder=3)
        axes.plot([], [], color=colour, marker="*", label=result.settings.label(method))
    lost_rate = _lost_rate(result.pooled_for("model"))
    if lost_rate is not None:
        axes.axhline(lost_rate, linestyle=":", color="#999999", label="walking away at random")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel(label)
    axes.set_ylabel("precision (walk-aways that were lost anyway)")
    axes.set_title("Precision against effort saved (★ = the rule as set)")
    axes.legend(loc="lower left", fontsize="small")
    return _png(figure)


def tradeoff_png(result: BacktestResult) -> bytes:
    """Wins sacrificed against effort saved as a walk-away threshold on the model's
    probability moves, with where the policy as set sits and the share of wins the
    policy allows to give up."""
    figure = Figure(figsize=(6.4, 5.0), dpi=100)
    axes = figure.subplots()
    column, label = _effort_axis(result)
    curve = result.curves.filter(pl.col("method") == "model").drop_nulls(
        [column, "wins_sacrificed_share"]
    )
    colour, allowed = COLOURS["model"], result.max_wins_sacrificed
    if curve.height:
        x, y = curve[column].to_list(), curve["wins_sacrificed_share"].to_list()
        axes.plot(x, y, color=colour, label="threshold on the probability")
    point = result.pooled_for("model")
    at = _operating_x(point, column)
    if at is not None and point.wins_sacrificed_share is not None:
        shown = [point.wins_sacrificed_share]
        axes.scatter([at], shown, s=120, marker="*", color=colour, zorder=3, label="the policy")
    axes.axhline(allowed, linestyle=":", color="#999999", label=f"allowed ({allowed:.0%})")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel(label)
    axes.set_ylabel("share of the won deals walked away from")
    axes.set_title("What walking away costs: wins sacrificed against effort saved")
    axes.legend(loc="upper left", fontsize="small")
    return _png(figure)


def _lost_rate(metrics: Metrics) -> float | None:
    return metrics.lost / metrics.evaluated if metrics.evaluated else None


# -- HTML ----------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _whole(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


METRIC_HEADERS = (
    "open deals",
    "outcome known",
    "AUC",
    "Brier",
    "walk-aways",
    "share flagged",
    "precision",
    "wins sacrificed",
    "value sacrificed",
    "share of wins",
    "hours saved",
    "touches saved",
    "effort saved",
    "lead time (days)",
)


def metric_cells(m: Metrics) -> list[str]:
    """One method's metrics as the cells of :data:`METRIC_HEADERS`."""
    return [
        f"{m.open_deals:,}",
        f"{m.evaluated:,}",
        _num(m.auc),
        _num(m.brier),
        f"{m.flagged:,}",
        _pct(m.share_flagged),
        _pct(m.precision),
        f"{m.wins_sacrificed:,}",
        _whole(m.wins_sacrificed_value),
        _pct(m.wins_sacrificed_share),
        f"{m.hours_saved:,.1f} of {m.hours_on_lost:,.1f}",
        f"{m.touches_saved:,} of {m.touches_on_lost:,}",
        _pct(m.effort_saved_share),
        _num(m.lead_time_days, 1),
    ]


def _pooled_table(result: BacktestResult) -> str:
    rows = [[result.settings.label(m.method), *metric_cells(m)] for m in result.pooled]
    return _table(("method", *METRIC_HEADERS), rows)


def _per_cut_table(result: BacktestResult) -> str:
    rows = [
        [f"{m.cut:%Y-%m-%d}" if m.cut else "", result.settings.label(m.method), *metric_cells(m)]
        for m in result.per_cut
    ]
    return _table(("cut", "method", *METRIC_HEADERS), rows)


def _calibration_table(result: BacktestResult) -> str:
    rows = [
        [
            result.settings.label(str(r["method"])),
            f"{r['lower']:.1f}–{r['upper']:.1f}",
            f"{r['deals']:,}",
            _pct(r["mean_predicted"]),
            _pct(r["observed_win_rate"]),
        ]
        for r in result.calibration.iter_rows(named=True)
    ]
    return _table(("method", "predicted", "deals", "mean predicted", "observed win rate"), rows)


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328}
table{border-collapse:collapse;margin:1rem 0;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:right}
th:first-child,td:first-child,td:nth-child(2){text-align:left}
th{background:#f6f8fa} img{max-width:48%;margin-right:1%} .note{color:#57606a;max-width:60rem}
"""


def _intro(result: BacktestResult) -> str:
    cuts = result.cuts
    model = result.pooled_for("model")
    models = sorted(set(result.models))
    return (
        f"<p>{len(cuts)} cut(s) from {cuts[0]:%Y-%m-%d} to {cuts[-1]:%Y-%m-%d}. At each cut "
        "the model learned only from deals closed before it, assessed the deals open at "
        "it, and was compared with what then happened.</p>"
        f"<p>{model.open_deals:,} deals were open at some cut; {model.still_open:,} of them "
        "are still open at the end of the history and count in no outcome metric.</p>"
        f"<p class='note'>The calls were made by {escape('; '.join(models))}.</p>"
    )


READING = (
    "Pooled: AUC, Brier and calibration use every deal at every cut; the walk-away "
    "figures replay the rule at every cut, a deal being walked away from at the first cut "
    "that flags it. Precision: walk-aways that were lost anyway. Effort saved: hours "
    "(else outbound touches) logged after the walk-away on deals lost anyway, as a share "
    "of all such effort after the first cut that saw them open. Lead time: median days "
    "from the walk-away to the loss."
)


def report_html(result: BacktestResult, images: Mapping[str, bytes]) -> str:
    """The whole report as one HTML page, plots inlined."""
    pictures = "".join(
        f"<img alt='{escape(name)}' src='data:image/png;base64,"
        f"{base64.b64encode(data).decode('ascii')}'>"
        for name, data in images.items()
    )
    labels = ", ".join(result.settings.label(m) for m in METHODS)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Walkaway backtest</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Walkaway backtest</h1>"
        f"{_intro(result)}"
        f"<h2>Walkaway against the baselines, all cuts</h2>{_pooled_table(result)}"
        f"<p class='note'>{escape(READING)}</p>"
        f"<h2>Plots</h2>{pictures}"
        f"<h2>At each cut</h2><p class='note'>{escape(labels)}</p>{_per_cut_table(result)}"
        f"<h2>Calibration</h2>{_calibration_table(result)}"
        "</body></html>\n"
    )

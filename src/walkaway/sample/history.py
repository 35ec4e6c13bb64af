"""The deals drawn at random: closed history and ordinary open deals.

One hidden quality per deal drives both its fields and its fate, so the fields carry
the patterns the engine should find: good deals have a budget, a decision maker and a
champion, answer and move; bad ones ask for discounts, go quiet, stall and are lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from walkaway.sample import SAMPLE_AS_OF
from walkaway.sample.story import STAGES, Plan

REPS: Final = ("Anna Keller", "Lukas Brandt", "Sofia Marchetti", "Jonas Berg", "Claire Dubois")
HISTORY_START: Final = SAMPLE_AS_OF - timedelta(days=548)
_REP_SKILL: Final = np.array([0.3, 0.1, 0.0, -0.3, 0.1])
_REP_OPTIMISM: Final = np.array([0.0, 0.3, -0.2, 1.0, 0.0])
_SOURCES: Final = ("inbound", "outbound", "referral", "partner", "event")
_SOURCE_SHARE: Final = (0.3, 0.3, 0.12, 0.15, 0.13)
_SOURCE_LIFT: Final = np.array([0.2, -0.4, 0.6, 0.2, 0.0])
_INDUSTRIES: Final = {
    "Manufacturing": ("Precision GmbH", "Metalworks", "Components AG", "Plastics B.V."),
    "Logistics": ("Logistik GmbH", "Freight", "Transport S.A.", "Cold Chain"),
    "Retail": ("Home & Garden", "Retail Group", "Outdoor", "Fashion S.p.A."),
    "Healthcare": ("Dental Group", "Care Services", "Medical Supplies", "Clinics"),
    "Professional services": ("Consulting", "Engineering Partners", "Architects", "Advisory"),
    "Food & beverage": ("Foods", "Brewery", "Bakeries", "Dairy Cooperative"),
}
_STEMS: Final = (
    "Brenner",
    "Vantaa",
    "Lumen",
    "Calder",
    "Ostrava",
    "Halden",
    "Meridian",
    "Kessler",
    "Aurora",
    "Nordlicht",
    "Ferro",
    "Marlow",
    "Sorensen",
    "Tessin",
    "Vidal",
    "Weser",
    "Alder",
    "Bayard",
    "Corvin",
    "Delft",
    "Eskil",
    "Falkner",
    "Garonne",
    "Hartmann",
    "Ilse",
    "Janssen",
    "Kinsale",
    "Lindqvist",
    "Moravia",
    "Novak",
    "Orsini",
    "Pilsen",
    "Quarry",
    "Rhodin",
    "Sander",
    "Tamsin",
    "Ulm",
    "Verano",
    "Wexford",
    "Zeller",
    "Albrecht",
    "Brandauer",
    "Castell",
    "Dunmore",
    "Elbe",
    "Fjord",
    "Greve",
    "Heller",
    "Innsbrook",
)
_PRODUCTS: Final = ("Planning suite", "Inventory", "Field service", "Analytics", "Procurement")
# Calendar days a won deal typically spends in each stage.
STAGE_DAYS: Final = np.array([6.0, 12.0, 10.0, 12.0, 10.0])

Columns = dict[str, npt.NDArray[Any]]
Record = dict[str, object]
Floats = npt.NDArray[np.float64]


def _ladder(z: Floats, cuts: Sequence[float], labels: Sequence[str]) -> npt.NDArray[np.str_]:
    return np.asarray(labels)[np.digitize(z, cuts)]


def draw_fields(rng: np.random.Generator, quality: Floats, rep: npt.NDArray[np.int64]) -> Columns:
    """Qualification, economics and attributes of ``quality.size`` deals, correlated
    through their quality (a standard normal: higher is better)."""
    n = quality.size

    def noisy(scale: float = 0.8) -> Floats:
        return quality + rng.normal(0.0, scale, n)

    def unknown(values: npt.NDArray[np.str_], share: float) -> npt.NDArray[np.str_]:
        return np.where(rng.random(n) < share, "unknown", values)

    demand = noisy()
    discount = np.clip(0.07 - 0.05 * demand + rng.normal(0.0, 0.04, n), 0.0, 0.4)
    discount = np.where(discount < 0.02, 0.0, np.round(discount, 2))
    custom = np.minimum(rng.poisson(np.exp(0.2 - 0.5 * demand)), 9)
    employees = np.clip(np.round(np.exp(rng.normal(np.log(350), 0.7, n)), -1), 50, 4000)
    size = np.log(employees / 350)
    amount = np.exp(np.log(26_000) + 0.45 * size + rng.normal(0.0, 0.65, n))
    margin = 0.72 - 0.8 * discount - 0.02 * custom + rng.normal(0.0, 0.04, n)
    confidence = 3 + 0.9 * quality + _REP_OPTIMISM[rep] + rng.normal(0.0, 0.6, n)
    rivalry = -0.5 * quality + rng.normal(0.0, 1.0, n)
    roles = ["none", "influencer", "decision_maker", "economic_buyer"]
    return {
        "amount": np.clip(np.round(amount / 500) * 500, 5_000, 250_000).astype(np.int64),
        "margin": np.round(np.clip(margin, 0.08, 0.85), 2),
        "budget": _ladder(noisy(), [-1.3, -0.35], ["none", "unknown", "confirmed"]),
        "authority": unknown(_ladder(noisy(), [-1.6, -0.6, 0.4], roles), 0.05),
        "champion": _ladder(noisy(), [-0.9, -0.2], ["no", "unknown", "yes"]),
        "need": unknown(_ladder(noisy(), [-2.0, -0.8], ["none", "vague", "clear"]), 0.05),
        "competitor": unknown(_ladder(rivalry, [0.0, 1.3], ["none", "present", "incumbent"]), 0.06),
        "discount_requested": discount,
        "custom_requests": custom,
        "missing_features": np.minimum(rng.poisson(np.exp(-0.8 - 0.7 * noisy())), 6),
        "stakeholders_aligned": _ladder(noisy(), [-0.8, -0.1], ["no", "unknown", "yes"]),
        "fit": _ladder(noisy(), [-1.2, 0.0], ["low", "medium", "high"]),
        "potential": _ladder(
            0.8 * size + rng.normal(0.0, 0.6, n), [-0.5, 0.7], ["low", "medium", "high"]
        ),
        "rep_confidence": np.clip(np.round(confidence), 1, 5).astype(np.int64),
        "rep": rep,
        "industry": rng.choice(list(_INDUSTRIES), n),
        "lead_source": np.asarray(_SOURCES)[rng.choice(len(_SOURCES), n, p=_SOURCE_SHARE)],
        "product": rng.choice(_PRODUCTS, n),
        "employees": employees.astype(np.int64),
    }


def _records(rng: np.random.Generator, columns: Columns, first_id: int) -> list[Record]:
    """One record per deal, numbered from ``first_id``, with made-up account names."""
    lists = {k: v.tolist() for k, v in columns.items() if k not in ("rep", "product")}
    n = columns["amount"].size
    stems = rng.choice(_STEMS, n)
    suffix = rng.integers(0, 4, n)
    records = []
    for i in range(n):
        account = f"{stems[i]} {_INDUSTRIES[str(columns['industry'][i])][suffix[i]]}"
        record: Record = {k: v[i] for k, v in lists.items()}
        record.update(
            deal_id=f"D-{first_id + i}",
            account=account,
            name=f"{account} – {columns['product'][i]}",
            owner=REPS[int(columns["rep"][i])],
        )
        records.append(record)
    return records


def _number(record: Record, key: str) -> float:
    value = record[key]
    assert isinstance(value, int | float), key
    return float(value)


def _loss_reasons(rng: np.random.Generator, fields: Columns) -> npt.NDArray[np.str_]:
    u = rng.random((3, fields["amount"].size))
    competitor = np.isin(fields["competitor"], ["present", "incumbent"])
    budget = fields["budget"] != "confirmed"
    weak = np.isin(fields["authority"], ["influencer", "none", "unknown"])
    undecided = weak | (fields["stakeholders_aligned"] == "no")
    return np.select(
        [competitor & (u[0] < 0.6), budget & (u[1] < 0.6), undecided & (u[2] < 0.7)],
        ["competitor", "budget", "no decision"],
        default="went dark",
    )


def _stage_path(rng: np.random.Generator, won: bool, last: int) -> tuple[list[int], bool]:
    """Stage indices in the order entered, and whether any meeting took place."""
    path = list(range(last + 1))
    if last >= 3 and rng.random() < (0.01 if won else 0.06):
        path.remove(2)  # straight to a proposal, no demo
        return path, False
    if last >= 2 and rng.random() < (0.05 if won else 0.15):
        turn = int(rng.integers(2, last + 1))
        again = [turn - 1] if not won and turn == last else list(range(turn - 1, last + 1))
        path = list(range(turn + 1)) + again
    return path, True


def _close_dates(
    rng: np.random.Generator, created: date, last: date, pushes: int
) -> tuple[date, ...]:
    steps = np.cumsum(rng.integers(14, 45, pushes))[::-1]
    earlier = [last - timedelta(days=int(s)) for s in steps]
    return (*[d for d in earlier if d >= created + timedelta(days=10)], last)


def _quiet_days(rng: np.random.Generator, reason: str | None) -> int:
    """How long the buyer was silent before a loss."""
    if reason == "went dark":
        return int(rng.integers(21, 50))
    if reason == "no decision" and rng.random() < 0.5:
        return int(rng.integers(14, 35))
    if reason is not None and rng.random() < 0.25:
        return int(rng.integers(7, 20))
    return 0


def _closed_plan(rng: np.random.Generator, record: Record, last: int) -> Plan:
    won = record["outcome"] == "won"
    reason = None if won else str(record["loss_reason"])
    path, met = _stage_path(rng, won, last)
    days = np.maximum(1, np.round(rng.gamma(2.5, STAGE_DAYS[path] * (1.0 if won else 1.5) / 2.5)))
    quiet = _quiet_days(rng, reason)
    if not won:  # lost deals linger in their last stage before someone calls it
        days[-1] += int(rng.exponential(20)) + quiet
    total = int(days.sum())
    latest = (SAMPLE_AS_OF - HISTORY_START).days - total - 5
    created = HISTORY_START + timedelta(days=int(rng.integers(0, max(latest, 1))))
    starts = np.concatenate([[0], np.cumsum(days[:-1])])
    end = created + timedelta(days=total)
    slipped = won or reason != "no decision"
    pushes = int(rng.random() < 0.3) if won else min(int(rng.poisson(0.4 if slipped else 1.4)), 4)
    drift = rng.integers(-7, 10) if won else rng.integers(-10, 30)
    amount = int(_number(record, "amount"))
    cut = rng.random() < (0.35 if reason == "budget" else 0.08)
    before = int(np.round(amount / (1 - rng.uniform(0.05, 0.35)) / 500) * 500)
    haggling = reason in ("competitor", "budget")
    extra = int(rng.random() < 0.3) if won else min(int(rng.poisson(1.4 if haggling else 0.5)), 4)
    fading = reason in ("no decision", "went dark")
    missed = int(rng.random() < 0.12) if won else min(int(rng.poisson(1.0 if fading else 0.25)), 3)
    return Plan(
        deal_id=str(record["deal_id"]),
        path=tuple(
            (STAGES[s], created + timedelta(days=int(d))) for s, d in zip(path, starts, strict=True)
        ),
        end=end,
        outcome=str(record["outcome"]),
        loss_reason=reason,
        quiet_since=end - timedelta(days=quiet) if quiet else None,
        reply_rate=float(rng.uniform(0.55, 0.85) if won else rng.uniform(0.25, 0.6)),
        gap=float(rng.uniform(3.0, 5.0) if won else rng.uniform(4.0, 7.0)),
        proposals=1 + extra if 3 in path else 0,
        missed=missed if last >= 1 else 0,
        met=met,
        close_dates=_close_dates(rng, created, end + timedelta(days=int(drift)), pushes),
        amounts=(before, amount) if cut else (),
        discount=_number(record, "discount_requested"),
    )


def closed_deals(rng: np.random.Generator, n: int) -> list[tuple[Plan, Record]]:
    """``n`` closed deals, numbered D-1001 … in order of creation."""
    quality = rng.normal(size=n)
    rep = rng.integers(0, len(REPS), n)
    fields = draw_fields(rng, quality, rep)
    lift = np.array([_SOURCE_LIFT[_SOURCES.index(s)] for s in fields["lead_source"]])
    chance = 1 / (1 + np.exp(1.3 - 1.4 * quality - _REP_SKILL[rep] - lift))
    won = rng.random(n) < chance
    fields["outcome"] = np.where(won, "won", "lost")
    reasons = _loss_reasons(rng, fields)
    fields["loss_reason"] = np.array(
        [None if w else str(r) for w, r in zip(won, reasons, strict=True)]
    )
    last = np.where(won, 4, rng.choice(5, n, p=[0.2, 0.27, 0.2, 0.23, 0.1]))
    records = _records(rng, fields, 0)
    plans = [_closed_plan(rng, r, int(k)) for r, k in zip(records, last, strict=True)]
    order = sorted(range(n), key=lambda i: plans[i].path[0][1])
    out = []
    for number, i in enumerate(order, start=1001):
        deal_id = f"D-{number}"
        out.append((replace(plans[i], deal_id=deal_id), {**records[i], "deal_id": deal_id}))
    return out


def ordinary_open_deals(
    rng: np.random.Generator, n: int, first_id: int
) -> list[tuple[Plan, Record]]:
    """``n`` open deals moving like deals that go on to win, numbered from ``first_id``."""
    quality = rng.normal(0.9, 0.5, n)
    rep = rng.integers(0, len(REPS), n)
    fields = draw_fields(rng, quality, rep)
    fields["outcome"] = np.full(n, "open")
    current = rng.choice(5, n, p=[0.2, 0.25, 0.2, 0.2, 0.15])
    records = _records(rng, fields, first_id)
    plans = []
    for record, stage in zip(records, current, strict=True):
        days = np.maximum(1, np.round(rng.gamma(2.5, STAGE_DAYS[: stage + 1] / 2.5)))
        days[-1] = rng.integers(1, STAGE_DAYS[stage] + 1)
        created = SAMPLE_AS_OF - timedelta(days=int(days.sum()))
        starts = np.concatenate([[0], np.cumsum(days[:-1])])
        plans.append(
            Plan(
                deal_id=str(record["deal_id"]),
                path=tuple(
                    (STAGES[s], created + timedelta(days=int(d))) for s, d in enumerate(starts)
                ),
                end=SAMPLE_AS_OF,
                reply_rate=float(rng.uniform(0.6, 0.85)),
                gap=float(rng.uniform(3.0, 5.0)),
                proposals=1 if stage >= 3 else 0,
                close_dates=(SAMPLE_AS_OF + timedelta(days=int(rng.integers(20, 100))),),
                discount=_number(record, "discount_requested"),
            )
        )
    return list(zip(plans, records, strict=True))

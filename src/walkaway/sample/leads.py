"""Lead funnels: many weak columns and a leak, or two text columns and nothing numeric.

- :func:`lead_funnel`: a B2C lead funnel, ~9,200 leads created over six months, each
  converted or not within a month, 34 extra columns: many weak or constant ones (lead
  origin and source, do-not-email and do-not-call flags, eleven yes/no columns nearly
  always "No", country with 33 values, specialisation, occupation, city, the
  Asymmetrique indices and scores, ...), ``time_on_site_seconds`` (whole seconds dense
  over 0-2,300 with some 1,400 distinct values: it looks like a running number, and it
  predicts), and two columns written after the outcome, on every row of the export:
  ``tags``, the sales team's note, drawn from a distribution per outcome so that it
  alone tells converted from not with an AUC of about 0.94
  (:data:`~walkaway.sample.shapes.AFTER_OUTCOME`), and ``lead_quality``, filled after
  qualification, a mild leak (AUC about 0.6: :data:`~walkaway.sample.shapes.MILD_LEAK`).
- :func:`mql_funnel`: marketing-qualified leads, ~8,000 over a year, one stage, the
  same amount on every lead and two text columns (``origin``, 8 values, and
  ``landing_page``, 30) with a weak signal: no numeric column at all.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from walkaway.sample.draws import (
    Table,
    attributes_json,
    days_later,
    drawn_outcome,
    emptied,
    fixed,
    levels,
    on_days,
    shape_of,
)
from walkaway.sample.shapes import AFTER_OUTCOME, MILD_LEAK, Shape

YES_NO_NOISE = (
    "search",
    "magazine",
    "newspaper_article",
    "x_education_forums",
    "newspaper",
    "digital_advertisement",
    "through_recommendations",
    "receive_more_updates",
    "update_me_on_supply_chain_content",
    "get_updates_on_dm_content",
    "agree_to_pay_by_cheque",
)
# P(tag | converted), P(tag | not converted); None: left empty.
TAGS: Table = {
    "Will revert after reading the email": (0.56, 0.03),
    "Closed by Horizzon": (0.13, 0.002),
    "Lost to EINS": (0.05, 0.003),
    "Busy": (0.02, 0.02),
    "Want to take admission but has financial problems": (0.004, 0.003),
    "Still Thinking": (0.003, 0.003),
    "Shall take in the next coming month": (0.002, 0.001),
    "Ringing": (0.01, 0.24),
    "Interested in other courses": (0.004, 0.09),
    "Already a student": (0.002, 0.08),
    "Switched off": (0.003, 0.04),
    "Not doing further education": (0.001, 0.03),
    "Interested in full time MBA": (0.003, 0.02),
    "Graduation in progress": (0.004, 0.02),
    "Lost to competitor": (0.002, 0.02),
    "Invalid number": (0.001, 0.015),
    "Diploma holder (Not Eligible)": (0.001, 0.011),
    "Wrong number given": (0.001, 0.008),
    "Number not provided": (0.0, 0.005),
    None: (0.08, 0.36),
}
LEAD_QUALITY: Table = {
    "High in Relevance": (0.10, 0.04),
    "Might be": (0.22, 0.14),
    "Not Sure": (0.12, 0.12),
    "Low in Relevance": (0.07, 0.05),
    "Worst": (0.01, 0.05),
    None: (0.48, 0.60),
}


def lead_funnel(n: int = 9200, *, seed: int = 28) -> Shape:
    """The B2C lead funnel of the module docstring."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    effects: list[np.ndarray] = []

    def add(name: str, table: Table) -> np.ndarray:
        columns[name], effect = fixed(rng, table, n)
        effects.append(effect)
        return columns[name]

    add(
        "lead_origin",
        {
            "Landing Page Submission": (0.52, 0.0),
            "API": (0.38, -0.3),
            "Lead Add Form": (0.08, 2.0),
            "Lead Import": (0.015, -0.5),
            "Quick Add Form": (0.005, 1.0),
        },
    )
    add(
        "lead_source",
        {
            "Google": (0.31, 0.0),
            "Direct Traffic": (0.28, -0.2),
            "Olark Chat": (0.19, -0.4),
            "Organic Search": (0.12, 0.0),
            "Reference": (0.06, 1.5),
            "Welingak Website": (0.015, 2.0),
            "Referral Sites": (0.013, -0.3),
            "Facebook": (0.006, -0.5),
            "bing": (0.001, 0.0),
            "Click2call": (0.001, 0.5),
            "Live Chat": (0.001, 0.5),
            None: (0.004, 0.0),
        },
    )
    add("do_not_email", {"No": (0.92, 0.0), "Yes": (0.08, -0.9)})
    add("do_not_call", {"No": (0.9998, 0.0), "Yes": (0.0002, 0.0)})
    _engagement(rng, n, columns, effects)
    _activity(rng, n, columns, effects)
    _profile(rng, n, columns, effects)
    for name in YES_NO_NOISE:
        yes = rng.choice([0.0, 0.0, 0.0002, 0.001, 0.002])
        add(name, {"No": (1.0 - yes, 0.0), "Yes": (yes, 0.0)})
    add("free_copy_of_mastering_the_interview", {"No": (0.69, 0.0), "Yes": (0.31, -0.1)})
    p, won = drawn_outcome(rng, -0.7 + np.sum(effects, axis=0))
    columns["tags"] = _after_outcome(rng, TAGS, won)
    columns["lead_quality"] = _after_outcome(rng, LEAD_QUALITY, won)
    created = on_days(rng, n, datetime(2024, 7, 1), 182)
    length = rng.uniform(0.5, 30.0, n) * np.where(won, 0.8, 1.0)
    deals = pl.DataFrame(
        {
            "deal_id": [f"L{660000 + i}" for i in range(n)],
            "stage": ["Lead"] * n,
            "amount": rng.choice([900.0, 1200.0, 1500.0], size=n),
            "created_at": created,
            "closed_at": days_later(created, length),
            "outcome": np.where(won, "won", "lost"),
            "attributes": attributes_json(columns),
        }
    )
    traps = {"tags": AFTER_OUTCOME, "lead_quality": MILD_LEAK}
    return shape_of("lead-funnel", deals, p, won, traps)


def _engagement(
    rng: np.random.Generator, n: int, columns: dict[str, np.ndarray], effects: list[np.ndarray]
) -> None:
    """Time on the site in whole seconds (0 for a quarter who never visited; up to about
    2,300, dense over its range), visits and page views: one engagement drives them, and
    the time on the site predicts."""
    engaged = rng.normal(0.0, 1.0, n)
    visited = rng.random(n) > 0.24
    seconds = np.clip(np.round(np.exp(5.9 + 0.7 * engaged + rng.normal(0, 0.3, n))), 1, 2300)
    seconds = np.where(visited, seconds, 0).astype(np.int64)
    visits = np.where(visited, rng.poisson(np.exp(1.0 + 0.3 * engaged)) + 1, 0)
    views = np.where(visited, np.round(np.minimum(rng.lognormal(0.8, 0.5, n), visits + 1), 2), 0)
    missing = rng.random(n) < 0.015
    columns["total_visits"] = emptied(visits, missing)
    columns["time_on_site_seconds"] = seconds
    columns["page_views_per_visit"] = emptied(views, missing)
    effects.append(np.where(visited, 1.2 * engaged + 0.2 * (seconds - 500) / 500, 0.0))


def _activity(
    rng: np.random.Generator, n: int, columns: dict[str, np.ndarray], effects: list[np.ndarray]
) -> None:
    """The last activity (a strong honest column) and the last notable one (mostly the same)."""
    table = {
        "Email Opened": (0.37, 0.3),
        "SMS Sent": (0.30, 1.3),
        "Olark Chat Conversation": (0.105, -1.2),
        "Page Visited on Website": (0.07, -0.3),
        "Converted to Lead": (0.046, -1.0),
        "Email Bounced": (0.035, -1.3),
        "Email Link Clicked": (0.03, 0.0),
        "Form Submitted on Website": (0.013, 0.0),
        "Unreachable": (0.01, 0.0),
        "Unsubscribed": (0.007, -0.5),
        "Had a Phone Conversation": (0.003, 1.5),
        None: (0.011, 0.0),
    }
    last, effect = fixed(rng, table, n)
    effects.append(effect)
    columns["last_activity"] = last
    known = pl.Series(last.tolist()).is_not_null().to_numpy()
    columns["last_notable_activity"] = np.where((rng.random(n) < 0.8) & known, last, "Modified")


def _profile(
    rng: np.random.Generator, n: int, columns: dict[str, np.ndarray], effects: list[np.ndarray]
) -> None:
    """Country (33 values), specialisation, occupation and the rest of the lead's form."""
    others = [f"Country {i + 1}" for i in range(32)]
    share = 0.05 * rng.dirichlet(np.full(32, 3.0))
    country = {"India": (0.70, 0.0), None: (0.25, 0.0)} | {
        c: (float(s), float(rng.normal(0.0, 0.4))) for c, s in zip(others, share, strict=True)
    }
    specialisations = [
        "Finance Management",
        "Human Resource Management",
        "Marketing Management",
        "Operations Management",
        "Business Administration",
        "IT Projects Management",
        "Supply Chain Management",
        "Banking, Investment And Insurance",
        "Travel and Tourism",
        "Media and Advertising",
        "International Business",
        "Healthcare Management",
        "Hospitality Management",
        "E-COMMERCE",
        "Retail Management",
        "Rural and Agribusiness",
        "E-Business",
        "Services Excellence",
    ]
    weights = rng.dirichlet(np.full(len(specialisations), 2.0)) * 0.64
    specialisation = {"Select": (0.21, 0.0), None: (0.15, -0.3)} | {
        s: (float(w), float(rng.normal(0.0, 0.25)))
        for s, w in zip(specialisations, weights, strict=True)
    }
    form_skipped = rng.random(n) < 0.29
    occupation, e_occupation = fixed(
        rng,
        {
            "Unemployed": (0.86, 0.0),
            "Working Professional": (0.105, 2.0),
            "Student": (0.03, -0.2),
            "Other": (0.002, 0.0),
            "Housewife": (0.0015, 2.0),
            "Businessman": (0.0015, 0.5),
        },
        n,
    )
    columns["occupation"] = emptied(occupation, form_skipped)
    matters = ["Better Career Prospects", "Flexibility & Convenience", "Other"]
    chosen = rng.choice(matters, size=n, p=[0.998, 0.001, 0.001])
    columns["what_matters_most"] = emptied(chosen, form_skipped)
    effects.append(np.where(form_skipped, -0.8, e_occupation))
    tables: dict[str, Table] = {
        "country": country,
        "specialization": specialisation,
        "how_did_you_hear": {
            "Select": (0.55, 0.0),
            None: (0.24, 0.0),
            "Online Search": (0.09, 0.0),
            "Word Of Mouth": (0.04, 0.0),
            "Student of SomeSchool": (0.03, 0.0),
            "Other": (0.02, 0.0),
            "Multiple Sources": (0.02, 0.0),
            "Advertisements": (0.008, 0.0),
            "Social Media": (0.007, 0.0),
            "Email": (0.003, 0.0),
            "SMS": (0.002, 0.0),
        },
        "lead_profile": {
            "Select": (0.45, 0.0),
            None: (0.29, 0.0),
            "Potential Lead": (0.17, 1.2),
            "Other Leads": (0.05, 0.0),
            "Student of SomeSchool": (0.026, -2.0),
            "Lateral Student": (0.002, 1.0),
            "Dual Specialization Student": (0.002, 1.0),
        },
        "city": {
            "Mumbai": (0.35, 0.0),
            "Select": (0.24, 0.0),
            None: (0.15, 0.0),
            "Thane & Outskirts": (0.08, 0.0),
            "Other Cities": (0.07, 0.0),
            "Other Cities of Maharashtra": (0.05, 0.1),
            "Other Metro Cities": (0.04, 0.0),
            "Tier II Cities": (0.008, -0.2),
        },
    }
    for name, table in tables.items():
        columns[name], effect = fixed(rng, table, n)
        effects.append(effect)
    scored = rng.random(n) > 0.46  # the Asymmetrique indices and scores: filled together
    activity = rng.integers(7, 19, n)
    profile = rng.integers(11, 21, n)
    index = np.array(["03.Low", "02.Medium", "01.High"])
    columns["asymmetrique_activity_index"] = emptied(index[(activity - 7) // 4], ~scored)
    columns["asymmetrique_profile_index"] = emptied(index[(profile - 11) // 4], ~scored)
    columns["asymmetrique_activity_score"] = emptied(activity, ~scored)
    columns["asymmetrique_profile_score"] = emptied(profile, ~scored)
    effects.append(np.where(scored, 0.15 * (activity - 13), 0.0))


def _after_outcome(rng: np.random.Generator, table: Table, won: np.ndarray) -> np.ndarray:
    """A column written once the outcome is known: each row's value drawn from the
    table's distribution for its outcome (converted, or not)."""
    values = np.array(list(table), dtype=object)
    out = np.empty(won.size, dtype=object)
    for side, column in ((True, 0), (False, 1)):
        share = np.array([table[v][column] for v in table])
        rows = won == side
        out[rows] = values[rng.choice(len(values), size=int(rows.sum()), p=share / share.sum())]
    return out


# -- marketing-qualified leads ------------------------------------------------------


def mql_funnel(n: int = 8000, *, seed: int = 29) -> Shape:
    """The marketing-qualified-lead funnel of the module docstring."""
    rng = np.random.default_rng(seed)
    origins = (
        "organic_search",
        "paid_search",
        "social",
        "unknown",
        "direct_traffic",
        "email",
        "referral",
        "display",
    )
    origin, e_origin = levels(rng, origins, 0.35, 2.0, n)
    pages = [f"lp-{rng.integers(0, 16**6):06x}" for _ in range(30)]
    page, e_page = levels(rng, pages, 0.4, 0.5, n)
    p, won = drawn_outcome(rng, -2.2 + e_origin + e_page)
    created = on_days(rng, n, datetime(2017, 6, 1), 365)
    length = rng.uniform(1.0, 60.0, n)
    deals = pl.DataFrame(
        {
            "deal_id": [f"MQL{i:05d}" for i in range(n)],
            "stage": ["MQL"] * n,
            "amount": [1000.0] * n,
            "created_at": created,
            "closed_at": days_later(created, length),
            "outcome": np.where(won, "won", "lost"),
            "attributes": attributes_json({"origin": origin, "landing_page": page}),
        }
    )
    return shape_of("mql-funnel", deals, p, won, {})

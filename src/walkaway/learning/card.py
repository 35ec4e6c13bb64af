"""The model card: what a win-probability model learned from, and how far to trust it.

Stored with the model and printed by ``walkaway model``: which of the three a model is
(the prior alone; the prior calibrated on the history because the learned model earned
no weight; their stack), how it was validated, the candidates tried, the weight the
learned part earned, which qualification facts the team's history confirms, what was
left out and why, and the walk-away line set from the history with its trade-off curve.
``verdict`` says in plain words how far to trust it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from walkaway.learning.calibration import (
    PRIOR_ALONE_LABEL,
    STACKED_LABEL,
    CalibrationBin,
    Scores,
    calibration_error,
)
from walkaway.learning.features import Exclusion
from walkaway.models import ModelKind

PRIOR, CALIBRATED, STACK = ModelKind.PRIOR, ModelKind.CALIBRATED, ModelKind.STACK
PRIOR_ALONE, STACKED = PRIOR_ALONE_LABEL, STACKED_LABEL
WEAK_AUC, MODEST_AUC, STRONG_AUC = 0.6, 0.7, 0.8
MIN_DEALS, MIN_EACH = 20, 5  # closed deals, and won and lost each: learning starts here


@dataclass(frozen=True)
class CurvePoint:
    """Walking away below ``floor`` (where the economics say so too), over the history."""

    floor: float
    wins_sacrificed: float  # share of the won deals that would have been walked away from
    effort_saved: float  # share of the effort on lost deals after the walk-away
    precision: float | None  # share of the walk-aways that were lost anyway
    walked: int  # deals walked away from


@dataclass(frozen=True)
class WalkAwayLine:
    """The probability floor a walk-away needs, set so that on the team's history no
    more than ``max_wins_sacrificed`` of the won deals would have been walked away from."""

    floor: float
    max_wins_sacrificed: float
    point: CurvePoint  # where the policy sits
    effort: str  # "hours" (logged) or "days" (to the close) when no hours are logged
    deals: int  # closed deals in the history it was set on
    curve: tuple[CurvePoint, ...] = ()
    capped: bool = False  # the floor is the history's win rate: the economics allowed more

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WalkAwayLine:
        return cls(
            floor=float(data["floor"]),
            max_wins_sacrificed=float(data["max_wins_sacrificed"]),
            point=CurvePoint(**data["point"]),
            effort=str(data["effort"]),
            deals=int(data["deals"]),
            curve=tuple(CurvePoint(**p) for p in data["curve"]),
            capped=bool(data.get("capped", False)),
        )


@dataclass(frozen=True)
class ModelCard:
    """A trained win-probability model, described."""

    kind: ModelKind  # PRIOR, CALIBRATED or STACK
    trained_at: datetime
    until: datetime  # learned from deals closed before this moment
    won_deals: int
    lost_deals: int
    learned_share: float  # the learned part's share of the log-odds' spread
    training_looks: int = 0
    distinct_looks: int = 0
    looked_deals: int = 0  # closed deals that were open at one look at least
    features: tuple[str, ...] = ()
    excluded: tuple[Exclusion, ...] = ()
    scorer: str | None = None  # the candidate chosen
    trees: int | None = None
    tried: tuple[tuple[str, float, float | None], ...] = ()  # label, log loss, AUC
    scheme: str | None = None  # how it was validated
    stack: tuple[float, float, float] | None = None  # a (prior), b (learned), c
    skill: Mapping[str, Any] | None = None  # walkaway.learning.stack.Skill as data
    validation: Scores | None = None
    validation_looks: int = 0
    validation_from: datetime | None = None  # close dates of the validation deals
    validation_to: datetime | None = None
    top_features: tuple[tuple[str, float], ...] = field(default_factory=tuple)
    facts: tuple[Mapping[str, Any], ...] = ()  # walkaway.signals.facts.facts_frame rows
    line: WalkAwayLine | None = None
    # the last outcome learned from: the model is valid as of any moment after it
    horizon: datetime | None = None
    not_learned: str | None = None  # why nothing was learned, when it was not
    in_force: str | None = None  # the row of ``tried`` whose probabilities are used
    suspect: float | None = None  # the held-out AUC that was too good to be true

    @property
    def valid_from(self) -> datetime:
        """The model may assess deals as of any moment after this one."""
        return self.horizon if self.horizon is not None else self.until

    @property
    def closed_deals(self) -> int:
        return self.won_deals + self.lost_deals

    @property
    def base_rate(self) -> float | None:
        return self.won_deals / self.closed_deals if self.closed_deals else None

    @property
    def verdict(self) -> str:
        """How far to trust the probabilities, in one sentence."""
        if self.kind == PRIOR:
            return _prior_verdict(self)
        if self.suspect is not None:
            leaned = ", ".join(f"{name} ({share:.0%})" for name, share in self.top_features[:3])
            return (
                f"suspect: the learned model validated at AUC {self.suspect:.2f}, better than "
                "any honest sales column allows — a column recorded after the outcome is "
                f"likely{f' (it leaned most on {leaned})' if leaned else ''}; it gets no "
                "weight: the prior, calibrated on your history, is used"
            )
        if self.kind == CALIBRATED:
            skill = self.skill or {}
            learned = _row(self, self.scorer)
            shown = f"AUC {learned[2]:.2f}" if learned and learned[2] is not None else "no AUC"
            return (
                f"the learned model did not beat the prior on the held-out looks ({shown}; "
                f"log loss {skill.get('stack_log_loss', 0):.3f} with it against "
                f"{skill.get('prior_log_loss', 0):.3f} without): it gets no weight — the "
                "prior, calibrated on your history, is used"
            )
        return _stack_verdict(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``verdict``, ``base_rate`` and ``closed_deals`` are included."""
        data = asdict(self)
        data["trained_at"] = self.trained_at.isoformat()
        data["until"] = self.until.isoformat()
        for key in ("validation_from", "validation_to"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value else None
        data["excluded"] = [{"name": e.name, "reason": e.reason} for e in self.excluded]
        data["top_features"] = [{"feature": n, "share": s} for n, s in self.top_features]
        data["tried"] = [{"model": m, "log_loss": ll, "auc": a} for m, ll, a in self.tried]
        data["facts"] = [dict(f) for f in self.facts]
        data["line"] = self.line.to_dict() if self.line is not None else None
        data["horizon"] = self.horizon.isoformat() if self.horizon else None
        data["valid_from"] = self.valid_from.isoformat()
        if self.validation is not None:
            data["validation"]["calibration_error"] = calibration_error(self.validation.calibration)
        data.update(closed_deals=self.closed_deals, base_rate=self.base_rate, verdict=self.verdict)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelCard:
        """The card back from :meth:`to_dict` (derived fields are recomputed)."""
        dates = {
            key: datetime.fromisoformat(data[key]) if data.get(key) else None
            for key in ("validation_from", "validation_to")
        }
        stack = data.get("stack")
        return cls(
            kind=ModelKind.read(data["kind"]),
            trained_at=datetime.fromisoformat(data["trained_at"]),
            until=datetime.fromisoformat(data["until"]),
            won_deals=int(data["won_deals"]),
            lost_deals=int(data["lost_deals"]),
            learned_share=float(data.get("learned_share", data.get("blend_weight", 0.0))),
            training_looks=int(data["training_looks"]),
            distinct_looks=int(data.get("distinct_looks") or 0),
            looked_deals=int(data["looked_deals"]),
            features=tuple(data["features"]),
            excluded=tuple(Exclusion(e["name"], e["reason"]) for e in data["excluded"]),
            scorer=data.get("scorer"),
            trees=data.get("trees"),
            tried=tuple((t["model"], float(t["log_loss"]), t["auc"]) for t in data["tried"]),
            scheme=data.get("scheme"),
            stack=None if stack is None else (float(stack[0]), float(stack[1]), float(stack[2])),
            skill=_skill_read(data.get("skill")),
            validation=_scores(data.get("validation")),
            validation_looks=int(data.get("validation_looks") or 0),
            top_features=tuple((t["feature"], float(t["share"])) for t in data["top_features"]),
            facts=tuple(data.get("facts") or ()),
            line=WalkAwayLine.from_dict(data["line"]) if data.get("line") else None,
            horizon=datetime.fromisoformat(data["horizon"]) if data.get("horizon") else None,
            not_learned=data.get("not_learned"),
            in_force=data.get("in_force"),
            suspect=data.get("suspect"),
            **dates,
        )

    def to_text(self) -> str:
        """The card as a rep or manager reads it."""
        lines = _header(self)
        if self.validation is not None:
            lines += _validation_lines(self, self.validation)
        if self.top_features:
            lines.append("What the learned model leans on most (share of its weight):")
            lines += [f"  {name:<32} {share:>5.0%}" for name, share in self.top_features]
        lines += _fact_lines(self)
        if self.excluded:
            lines.append("Left out:")
            grouped: dict[str, list[str]] = {}
            for e in self.excluded:
                grouped.setdefault(e.reason, []).append(e.name)
            lines += [f"  {', '.join(names)} — {reason}" for reason, names in grouped.items()]
        lines += describe_line(self.line)
        return "\n".join(lines)


def _prior_verdict(card: ModelCard) -> str:
    enough = card.closed_deals >= MIN_DEALS and min(card.won_deals, card.lost_deals) >= MIN_EACH
    if enough:
        why = card.not_learned or "no won and lost deals were open at a look"
        return f"nothing learned: {why} — the prior is used"
    return (
        f"not enough history yet: {card.closed_deals} closed deals ({card.won_deals} won, "
        f"{card.lost_deals} lost); learning starts at {MIN_DEALS} closed deals with at least "
        f"{MIN_EACH} won and {MIN_EACH} lost — the prior is used"
    )


def _row(card: ModelCard, label: str | None) -> tuple[str, float, float | None] | None:
    """The validation table's row of a model (``tried``), if it has one."""
    return next((row for row in card.tried if row[0] == label), None)


def _stack_verdict(card: ModelCard) -> str:
    scores, base = card.validation, card.base_rate or 0.0
    if scores is None or scores.auc is None:
        return "no validation: the held-out looks all ended the same way — treat with care"
    auc = scores.auc
    if auc < WEAK_AUC:
        said = (
            f"weak validation: AUC {auc:.2f} — treat probabilities as close to the base "
            f"rate ({base:.0%})"
        )
    elif auc < MODEST_AUC:
        said = f"modest validation: AUC {auc:.2f} — ranks deals better than chance, not by much"
    elif auc < STRONG_AUC:
        said = f"useful validation: AUC {auc:.2f} — ranks deals clearly better than chance"
    else:
        said = f"strong validation: AUC {auc:.2f} — ranks deals well"
    return (
        f"{said} on {card.validation_looks:,} held-out looks; the learned model carries "
        f"{card.learned_share:.0%} of the weight"
    )


def _header(card: ModelCard) -> list[str]:
    base = f"{card.base_rate:.0%}" if card.base_rate is not None else "—"
    title = {
        PRIOR: "Win probability: the prior (stage win rates, qualification facts, red flags, time)",
        CALIBRATED: "Win probability: the prior, calibrated on this team's closed deals",
        STACK: "Win probability: learned from this team's closed deals, stacked on the prior",
    }[card.kind]
    lines = [
        title,
        f"  verdict          {card.verdict}",
        f"  trained at       {card.trained_at:%Y-%m-%d %H:%M} UTC",
        f"  learned from     deals closed before {card.until:%Y-%m-%d %H:%M}"
        + (f" (the last on {card.horizon:%Y-%m-%d})" if card.horizon else ""),
        f"  valid            for reviews as of any date after {card.valid_from:%Y-%m-%d}",
        f"  closed deals     {card.closed_deals:,} ({card.won_deals:,} won, "
        f"{card.lost_deals:,} lost; base rate {base})",
    ]
    if card.kind == PRIOR:
        return lines
    a, b, c = card.stack or (1.0, 0.0, 0.0)
    lines += [
        f"  training looks   {card.training_looks:,} snapshots of {card.looked_deals:,} closed "
        f"deals while they were open; {card.distinct_looks:,} distinct (a deal's identical "
        "looks are one)",
        f"  validated        {card.scheme}",
        f"  stack            p = sigmoid({a:.2f} × prior log-odds + {b:.2f} × learned score "
        f"{c:+.2f}); the learned part's share {card.learned_share:.0%}",
    ]
    if card.kind == STACK:
        trees = f", {card.trees} trees" if card.trees else ""
        lines.append(
            f"  learned model    {card.scorer}{trees}; {len(card.features)} features, "
            f"{len(card.excluded)} left out"
        )
    return lines


def _validation_lines(card: ModelCard, scores: Scores) -> list[str]:
    period = ""
    if card.validation_from and card.validation_to:
        period = f" (closed {card.validation_from:%Y-%m-%d} to {card.validation_to:%Y-%m-%d})"
    low, mid, high = scores.spread
    lines = [
        f"Validation on {card.validation_looks:,} looks no model was fitted on{period};",
        "every model below is measured on these same looks (lower log loss is better):",
        f"  {'model':<46} {'AUC':>6} {'log loss':>9}",
    ]
    for label, loss, auc in card.tried:
        mark = "  <- in force" if label == card.in_force else ""
        shown = "—" if auc is None else f"{auc:.3f}"
        lines.append(f"  {label:<46} {shown:>6} {loss:>9.3f}{mark}")
    lines += [
        f"The model in force there: Brier {scores.brier:.3f} (always the base rate: "
        f"{scores.brier_base_rate:.3f}), calibration error "
        f"{calibration_error(scores.calibration):.3f};",
        f"  won share of the looks {scores.base_rate:.1%}; predictions 10th-50th-90th "
        f"percentile {low:.0%} / {mid:.0%} / {high:.0%}",
        "  calibration     predicted   observed    looks",
    ]
    for b in scores.calibration:
        predicted = f"{b.mean_predicted:.1%}" if b.mean_predicted is not None else "—"
        observed = f"{b.observed:.1%}" if b.observed is not None else "—"
        lines.append(
            f"  {b.low:>4.0%}–{b.high:<4.0%}      {predicted:>8}   {observed:>8}  {b.count:>7,}"
        )
    return lines


def _fact_lines(card: ModelCard) -> list[str]:
    return facts_text(card.facts)


def facts_text(facts: tuple[Mapping[str, Any], ...]) -> list[str]:
    """The qualification facts' lines of the card (``facts_frame`` rows)."""
    recorded = [f for f in facts if f["deals"] > 0]
    if not facts:
        return []
    if not recorded:
        return [
            "Qualification facts: none recorded on the closed deals — the evidence's weights "
            "stand (docs/model.md)"
        ]
    lines = [
        "Qualification facts (log-odds against unknown: the evidence's, the one in force, "
        "and what this team's history says; values no closed deal has are left out):"
    ]
    for f in recorded:
        team = "" if f.get("team") is None else f"  win lift here {f['team']:+.2f}"
        lines.append(
            f"  {f['field']:<21} {f['value']:<15} {f['evidence']:+.2f} -> {f['weight']:+.2f}  "
            f"{f['deals']:>5,} deals{team}  {f['verdict']}"
        )
    return lines


def describe_line(line: WalkAwayLine | None) -> list[str]:
    """The walk-away line's lines of the card: the floor, why, and its trade-off curve."""
    if line is None:
        return ["Walk-away line: the policy's k alone (no history to set a probability floor on)"]
    point = line.point
    capped = (
        " (the history's win rate: a deal likelier than the average is never walked away from)"
        if line.capped
        else ""
    )
    lines = [
        f"Walk-away line: only below a win probability of {line.floor:.1%}{capped} — on the "
        f"{line.deals:,} closed deals of the history that gives up {point.wins_sacrificed:.1%} "
        f"of the wins (at most {line.max_wins_sacrificed:.0%}) and saves "
        f"{point.effort_saved:.0%} of the {line.effort} spent on lost deals",
        "  trade-off       floor   wins sacrificed   effort saved   walk-aways lost anyway",
    ]
    for p in line.curve:
        mark = "  <- the policy" if p.floor == line.floor else ""
        precision = "—" if p.precision is None else f"{p.precision:.0%}"
        lines.append(
            f"  {'':14}{p.floor:>6.1%}   {p.wins_sacrificed:>15.1%}   {p.effort_saved:>12.0%}"
            f"   {precision:>22}{mark}"
        )
    return lines


def _skill_read(data: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The skill as stored (cards stored before the word was "stack" say "blend")."""
    if not data or "blend_log_loss" not in data:
        return data
    renamed = {k: v for k, v in data.items() if k != "blend_log_loss"}
    return {**renamed, "stack_log_loss": data["blend_log_loss"]}


def _scores(data: Mapping[str, Any] | None) -> Scores | None:
    if not data:
        return None
    bins = tuple(CalibrationBin(**b) for b in data["calibration"])
    low, mid, high = data["spread"]
    return Scores(
        auc=data["auc"],
        brier=data["brier"],
        brier_base_rate=data["brier_base_rate"],
        log_loss=data["log_loss"],
        base_rate=data["base_rate"],
        calibration=bins,
        spread=(low, mid, high),
    )

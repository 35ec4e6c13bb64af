"""The model card: what a win-probability model learned from, and how far to trust it.

Stored with the model and printed by ``walkaway model``. ``verdict`` says in plain
words how good the validation was, e.g. "weak validation: AUC 0.55 — treat
probabilities as close to the base rate (63%)" when the AUC is below 0.6.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from walkaway.learning.calibration import CalibrationBin, Scores, calibration_error
from walkaway.learning.features import Exclusion

PRIOR, BLEND = "prior", "blend"
WEAK_AUC, MODEST_AUC, STRONG_AUC = 0.6, 0.7, 0.8


@dataclass(frozen=True)
class ColdStart:
    """The documented amounts of history (see :mod:`walkaway.learning.blend`)."""

    min_deals: int
    min_each: int
    minority_factor: float
    half_weight: float


@dataclass(frozen=True)
class ModelCard:
    """A trained win-probability model, described."""

    kind: str  # "prior" (not enough history) or "blend" (learned, blended with the prior)
    trained_at: datetime
    until: datetime  # learned from deals closed before this moment
    won_deals: int
    lost_deals: int
    blend_weight: float  # w in p = w * learned + (1 - w) * prior
    cold_start: ColdStart
    training_looks: int = 0
    looked_deals: int = 0  # closed deals that were open at one look at least
    features: tuple[str, ...] = ()
    excluded: tuple[Exclusion, ...] = ()
    calibration_method: str | None = None
    trees: int | None = None
    validation: Scores | None = None
    validation_looks: int = 0
    validation_from: datetime | None = None  # close dates of the validation deals
    validation_to: datetime | None = None
    top_features: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    @property
    def closed_deals(self) -> int:
        return self.won_deals + self.lost_deals

    @property
    def base_rate(self) -> float | None:
        return self.won_deals / self.closed_deals if self.closed_deals else None

    @property
    def verdict(self) -> str:
        """How far to trust the probabilities, in one sentence."""
        cs = self.cold_start
        enough = self.closed_deals > cs.min_deals and min(self.won_deals, self.lost_deals) > (
            cs.min_each
        )
        if self.kind == PRIOR and enough:
            return (
                "nothing to learn from yet: no won and lost deals were open at a weekly look "
                "(they closed within a day) — the prior is used"
            )
        if self.kind == PRIOR:
            return (
                f"not enough history yet: {self.closed_deals} closed deals ({self.won_deals} "
                f"won, {self.lost_deals} lost); learning starts after {cs.min_deals} closed "
                f"deals with at least {cs.min_each} won and {cs.min_each} lost — the prior is used"
            )
        scores, base = self.validation, self.base_rate or 0.0
        if scores is None or scores.auc is None:
            said = "no validation: the latest closed deals all ended the same way"
            return f"{said} — treat probabilities with care"
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
        if self.blend_weight < 0.5:
            said += f"; the prior still carries {1 - self.blend_weight:.0%} of each probability"
        return said

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
        data["features"] = list(self.features)
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
        return cls(
            kind=data["kind"],
            trained_at=datetime.fromisoformat(data["trained_at"]),
            until=datetime.fromisoformat(data["until"]),
            won_deals=int(data["won_deals"]),
            lost_deals=int(data["lost_deals"]),
            blend_weight=float(data["blend_weight"]),
            cold_start=ColdStart(**data["cold_start"]),
            training_looks=int(data["training_looks"]),
            looked_deals=int(data["looked_deals"]),
            features=tuple(data["features"]),
            excluded=tuple(Exclusion(e["name"], e["reason"]) for e in data["excluded"]),
            calibration_method=data.get("calibration_method"),
            trees=data.get("trees"),
            validation=_scores(data.get("validation")),
            validation_looks=int(data.get("validation_looks") or 0),
            top_features=tuple((t["feature"], float(t["share"])) for t in data["top_features"]),
            **dates,
        )

    def to_text(self) -> str:
        """The card as a rep or manager reads it."""
        lines = _header(self)
        if self.validation is not None:
            lines += _validation_lines(self, self.validation)
        if self.top_features:
            lines.append("What the model leans on most (share of its splits' gain):")
            lines += [f"  {name:<32} {share:>5.0%}" for name, share in self.top_features]
        if self.excluded:
            lines.append("Left out:")
            grouped: dict[str, list[str]] = {}
            for e in self.excluded:
                grouped.setdefault(e.reason, []).append(e.name)
            lines += [f"  {', '.join(names)} — {reason}" for reason, names in grouped.items()]
        return "\n".join(lines)


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


def _header(card: ModelCard) -> list[str]:
    cs = card.cold_start
    base = f"{card.base_rate:.0%}" if card.base_rate is not None else "—"
    title = {
        PRIOR: "Win probability: the prior (stage win rates, red flags, time in stage)",
        BLEND: "Win probability: learned from this team's closed deals, blended with the prior",
    }[card.kind]
    lines = [
        title,
        f"  verdict          {card.verdict}",
        f"  trained at       {card.trained_at:%Y-%m-%d %H:%M} UTC",
        f"  learned from     deals closed before {card.until:%Y-%m-%d %H:%M}",
        f"  closed deals     {card.closed_deals:,} ({card.won_deals:,} won, "
        f"{card.lost_deals:,} lost; base rate {base})",
        f"  blend            p = {card.blend_weight:.2f} × learned + "
        f"{1 - card.blend_weight:.2f} × prior   (w = s / (s + {cs.half_weight:g}), "
        f"s = max(0, min(n − {cs.min_deals}, {cs.minority_factor:g} × (fewer of won/lost "
        f"− {cs.min_each}))))",
    ]
    if card.kind == BLEND:
        lines += [
            f"  training looks   {card.training_looks:,} (snapshots of {card.looked_deals:,} "
            "closed deals while they were open)",
            f"  features         {len(card.features)} used, {len(card.excluded)} left out",
            f"  model            LightGBM, {card.trees} trees; {card.calibration_method} "
            "calibration",
        ]
    return lines


def _validation_lines(card: ModelCard, scores: Scores) -> list[str]:
    period = ""
    if card.validation_from and card.validation_to:
        period = f" closed {card.validation_from:%Y-%m-%d} to {card.validation_to:%Y-%m-%d}"
    auc = f"{scores.auc:.3f}" if scores.auc is not None else "—"
    low, mid, high = scores.spread
    lines = [
        f"Validation: the latest fifth of the closed deals{period}, "
        f"{card.validation_looks:,} looks, never trained on",
        f"  AUC {auc}   Brier {scores.brier:.3f} (always the base rate: "
        f"{scores.brier_base_rate:.3f})   log loss {scores.log_loss:.3f}",
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

"""The team's policy: stages and exit criteria, red-flag thresholds, economics.

The policy is TOML. ``default_policy_text()`` is the fully commented default; a team
file only holds the keys it changes and is laid over the default, so an unknown or
misspelt key is refused with one line naming it (:class:`PolicyError`). The result is
a tree of frozen dataclasses that the core reads; ``Policy.to_toml()`` writes it back.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, Final, Literal

from walkaway.errors import PolicyError
from walkaway.models import Severity, Tone
from walkaway.policy import toml as policy_toml

_FRACTION: Final = {"min": 0.0, "max": 1.0}
_POSITIVE: Final = {"min": 1e-9}
_NON_NEGATIVE: Final = {"min": 0.0}

# Placeholders an exit-message template may use (messages.py fills them).
MESSAGE_PLACEHOLDERS: Final = frozenset({"buyer", "deal", "reasons", "revisit_on", "sender"})

Operator = Literal[">", ">=", "<", "<=", "==", "!="]


@dataclass(frozen=True)
class StagePolicy:
    """One stage of the sales process; numbers left out fall back to ``unknown_stage``."""

    name: str
    limit_days: float | None = field(default=None, metadata=_POSITIVE)
    win_rate: float | None = field(default=None, metadata=_FRACTION)
    hours_needed: float | None = field(default=None, metadata=_NON_NEGATIVE)
    exit_criteria: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return stage_key(self.name)


@dataclass(frozen=True)
class StageDefaults:
    """Numbers for a stage the policy does not name (or leaves out)."""

    limit_days: float = field(metadata=_POSITIVE)
    win_rate: float = field(metadata=_FRACTION)
    hours_needed: float = field(metadata=_NON_NEGATIVE)


@dataclass(frozen=True)
class Requirements:
    """Stages from which a fact must hold ("" switches the requirement off)."""

    decision_maker_by: str
    budget_by: str


@dataclass(frozen=True)
class EconomicsPolicy:
    hourly_cost: float = field(metadata=_NON_NEGATIVE)
    default_margin: float = field(metadata=_FRACTION)
    yield_per_hour: float = field(metadata=_NON_NEGATIVE)
    yield_window_months: int = field(metadata={"min": 1})
    walk_away_factor: float = field(metadata=_FRACTION)
    expansion_high: float = field(metadata=_NON_NEGATIVE)
    expansion_medium: float = field(metadata=_NON_NEGATIVE)
    expansion_low: float = field(metadata=_NON_NEGATIVE)
    min_hours_needed: float = field(metadata=_POSITIVE)


@dataclass(frozen=True)
class HistoryPolicy:
    min_deals: int = field(metadata={"min": 1})


@dataclass(frozen=True)
class ProbabilityPolicy:
    prior_strength: float = field(metadata=_NON_NEGATIVE)
    odds_info: float = field(metadata=_POSITIVE)
    odds_warning: float = field(metadata=_POSITIVE)
    odds_critical: float = field(metadata=_POSITIVE)
    decay_per_p90: float = field(metadata={"min": 1e-9, "max": 1.0})
    decay_min_days: float = field(metadata=_POSITIVE)
    max_fact_log_odds: float = field(metadata=_POSITIVE)
    fact_spread: float = field(metadata=_POSITIVE)
    facts: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def odds(self, severity: Severity) -> float:
        return {
            Severity.INFO: self.odds_info,
            Severity.WARNING: self.odds_warning,
            Severity.CRITICAL: self.odds_critical,
        }[severity]


@dataclass(frozen=True)
class DecisionPolicy:
    requalify_days: int = field(metadata={"min": 1})
    revisit_months: int = field(metadata={"min": 1})
    requalify_on: tuple[str, ...] = ()
    max_wins_sacrificed: float = field(default=0.05, metadata=_FRACTION)
    min_pursue_probability: float = field(default=0.1, metadata=_FRACTION)


@dataclass(frozen=True)
class RuleSettings:
    """A built-in rule: on or off, how bad, and its thresholds (the table's other keys)."""

    enabled: bool
    severity: Severity
    hard_stop: bool
    params: Mapping[str, float] = field(default_factory=dict, metadata={"rest": True})


@dataclass(frozen=True)
class Condition:
    """``signal op value``, e.g. ``days_since_inbound > 30``."""

    signal: str
    op: Operator
    value: bool | float | str


@dataclass(frozen=True)
class CustomRule:
    """A team rule: a flag raised when every condition holds."""

    code: str
    severity: Severity
    when: tuple[Condition, ...]
    evidence: str
    question: str
    hard_stop: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class MessageTemplates:
    """``string.Template`` texts of the exit message, by tone."""

    warm: str
    direct: str


@dataclass(frozen=True)
class Policy:
    """A team's whole policy. Build it with :func:`load_policy`."""

    currency: str
    custom_rules: tuple[CustomRule, ...]
    stages: tuple[StagePolicy, ...]
    unknown_stage: StageDefaults
    requirements: Requirements
    economics: EconomicsPolicy
    history: HistoryPolicy
    probability: ProbabilityPolicy
    decision: DecisionPolicy
    rules: Mapping[str, RuleSettings]
    messages: MessageTemplates

    def stage(self, name: str | None) -> StagePolicy | None:
        """The policy's stage of that name (any case), or None when it has none."""
        key = stage_key(name or "")
        return next((s for s in self.stages if s.key == key), None)

    def stage_index(self, name: str | None) -> int | None:
        """Position of the stage in the policy's order (0 = first), or None."""
        key = stage_key(name or "")
        return next((i for i, s in enumerate(self.stages) if s.key == key), None)

    def limit_days(self, name: str | None) -> float:
        stage = self.stage(name)
        known = stage.limit_days if stage else None
        return known if known is not None else self.unknown_stage.limit_days

    def win_rate(self, name: str | None) -> float:
        stage = self.stage(name)
        known = stage.win_rate if stage else None
        return known if known is not None else self.unknown_stage.win_rate

    def hours_needed(self, name: str | None) -> float:
        stage = self.stage(name)
        known = stage.hours_needed if stage else None
        return known if known is not None else self.unknown_stage.hours_needed

    def rule(self, code: str) -> RuleSettings:
        return self.rules[code]

    def threshold(self, code: str, name: str) -> float:
        """A built-in rule's threshold; a missing one is a bug in the default policy."""
        return self.rules[code].params[name]

    def is_enabled(self, code: str) -> bool:
        return code in self.rules and self.rules[code].enabled

    def to_toml(self) -> str:
        """The whole policy as TOML (without the default file's comments)."""
        return policy_toml.dump(self)


def stage_key(name: str) -> str:
    """How stage names are compared: trimmed, any case."""
    return name.strip().lower()


def default_policy_text() -> str:
    """The default policy, fully commented: what ``walkaway policy init`` writes."""
    return resources.files("walkaway.policy").joinpath("default.toml").read_text("utf-8")


# A policy is a few kB and nests tables in arrays a level or two: past these it is
# refused in one line (a parser recursing through 1,000 nested arrays would crash).
MAX_POLICY_CHARACTERS = 256 * 1024
MAX_POLICY_DEPTH = 16


def load_policy(text: str | None = None) -> Policy:
    """The policy in ``text`` laid over the default (no text: the default itself)."""
    base = _parse(default_policy_text(), "the default policy")
    table = policy_toml.overlay(base, _parse(text, "the policy")) if text else base
    policy = policy_toml.build(Policy, table)
    _check(policy)
    return policy


def read_policy(path: Path) -> Policy:
    """The policy in a TOML file."""
    return load_policy(read_policy_text(path))


def read_policy_text(path: Path) -> str:
    """A policy file's text: refused in one line when it cannot be read, is not UTF-8,
    or is past the size a policy may have (before it is read whole)."""
    what = f"the policy file {path}"
    try:
        size = path.stat().st_size
        if size > 4 * MAX_POLICY_CHARACTERS:  # UTF-8: at most 4 bytes a character
            raise PolicyError(
                f"{what} has {size:,} bytes; a policy may have at most "
                f"{MAX_POLICY_CHARACTERS:,} characters"
            )
        return path.read_bytes().decode("utf-8")
    except OSError as error:
        raise PolicyError(f"cannot read {what}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise PolicyError(f"{what} is not UTF-8 text (byte {error.start})") from None


def _parse(text: str, what: str) -> dict[str, Any]:
    if len(text) > MAX_POLICY_CHARACTERS:
        raise too_big(what, len(text))
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{what} is not valid TOML: {error}") from None
    except RecursionError:  # the parser recurses once per level
        raise too_deep(what) from None
    if _depth(table) > MAX_POLICY_DEPTH:
        raise too_deep(what)
    return table


def too_big(what: str, size: int) -> PolicyError:
    return PolicyError(
        f"{what} has {size:,} characters; a policy may have at most {MAX_POLICY_CHARACTERS:,}"
    )


def too_deep(what: str) -> PolicyError:
    return PolicyError(
        f"{what} nests arrays or tables more than {MAX_POLICY_DEPTH} levels deep; "
        "a policy needs a few"
    )


def _depth(value: object) -> int:
    """How deeply tables and arrays nest in ``value`` (a scalar: 0)."""
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _check(policy: Policy) -> None:
    """What the types alone cannot say: names that must match, templates that must fill."""
    keys = [s.key for s in policy.stages]
    for i, stage in enumerate(policy.stages):
        if not stage.key:
            raise PolicyError(f"policy key 'stages[{i}].name': expected a stage name, got \"\"")
        if stage.key in keys[:i]:
            raise PolicyError(f"policy key 'stages[{i}].name': stage '{stage.name}' is twice")
    for name in ("decision_maker_by", "budget_by"):
        stage = getattr(policy.requirements, name)
        if stage and policy.stage(stage) is None:
            raise policy_toml.fail(f"requirements.{name}", 'a stage of the policy or ""', stage)
    _check_custom_rules(policy)
    codes = set(policy.rules) | {r.code for r in policy.custom_rules}
    for i, code in enumerate(policy.decision.requalify_on):
        if code not in codes:
            raise policy_toml.fail(f"decision.requalify_on[{i}]", "a rule code", code)
    for tone in Tone:
        _check_template(getattr(policy.messages, tone), f"messages.{tone}")


def _check_custom_rules(policy: Policy) -> None:
    seen: set[str] = set()
    for i, rule in enumerate(policy.custom_rules):
        where = f"custom_rules[{i}].code"
        if not rule.code.replace("_", "").isalnum() or not rule.code.islower():
            raise policy_toml.fail(where, "a lower-case code of letters, digits and _", rule.code)
        if rule.code in policy.rules or rule.code in seen:
            raise policy_toml.fail(where, "a code no other rule uses", rule.code)
        if not rule.when:
            raise PolicyError(f"policy key 'custom_rules[{i}].when': expected a condition")
        seen.add(rule.code)


def _check_template(text: str, path: str) -> None:
    template = Template(text)
    if not template.is_valid():
        raise policy_toml.fail(path, "a template with $name placeholders ($$ for $)", "...")
    unknown = set(template.get_identifiers()) - MESSAGE_PLACEHOLDERS
    if unknown:
        known = ", ".join(f"${p}" for p in sorted(MESSAGE_PLACEHOLDERS))
        raise PolicyError(f"policy key '{path}': unknown placeholder ${min(unknown)}; use {known}")

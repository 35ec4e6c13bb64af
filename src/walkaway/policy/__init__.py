"""The team's policy: stages and their exit criteria, flag thresholds, economics, messages.

Owns the TOML the team edits (``default.toml`` is the commented default) and the tree of
frozen dataclasses the core reads (:mod:`walkaway.policy.schema`), with the strict
TOML reader and writer behind it (:mod:`walkaway.policy.toml`).

May import: ``walkaway.models`` and ``walkaway.errors`` only. Every stage of the
pipeline reads a :class:`Policy`; the policy knows none of them.
"""

from walkaway.policy.schema import (
    MAX_POLICY_CHARACTERS,
    MESSAGE_PLACEHOLDERS,
    Condition,
    CustomRule,
    DecisionPolicy,
    EconomicsPolicy,
    HistoryPolicy,
    MessageTemplates,
    Policy,
    ProbabilityPolicy,
    Requirements,
    RuleSettings,
    StageDefaults,
    StagePolicy,
    default_policy_text,
    load_policy,
    read_policy,
    read_policy_text,
    stage_key,
)

__all__ = [
    "MAX_POLICY_CHARACTERS",
    "MESSAGE_PLACEHOLDERS",
    "Condition",
    "CustomRule",
    "DecisionPolicy",
    "EconomicsPolicy",
    "HistoryPolicy",
    "MessageTemplates",
    "Policy",
    "ProbabilityPolicy",
    "Requirements",
    "RuleSettings",
    "StageDefaults",
    "StagePolicy",
    "default_policy_text",
    "load_policy",
    "read_policy",
    "read_policy_text",
    "stage_key",
]

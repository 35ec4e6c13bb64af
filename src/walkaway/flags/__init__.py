"""Flags: the red-flag rulebook, signals in, flags out, each with evidence and a question.

Owns what a rule is (:mod:`~walkaway.flags.spec`), the built-in rules on qualification
and on momentum (:mod:`~walkaway.flags.qualification`, :mod:`~walkaway.flags.momentum`),
the team's own rules from the policy (:mod:`~walkaway.flags.custom`) and the rulebook
that applies them to a signals frame (:mod:`~walkaway.flags.rulebook`). A new built-in
flag is a function in ``qualification`` or ``momentum`` plus its ``RuleSpec``.

May import: ``walkaway.signals`` and what it may import. It never reads probabilities,
the learned model or decisions.
"""

from walkaway.flags.rulebook import (
    RULES,
    SEVERITY_RANK,
    empty_flags,
    find_flags,
    find_flags_frame,
    flag_title,
    flags_by_deal,
)

__all__ = [
    "RULES",
    "SEVERITY_RANK",
    "empty_flags",
    "find_flags",
    "find_flags_frame",
    "flag_title",
    "flags_by_deal",
]

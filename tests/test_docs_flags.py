"""The flag reference (docs/flags.md) must keep up with the rulebook."""

from __future__ import annotations

from pathlib import Path

import pytest

from walkaway.flags.rulebook import RULES
from walkaway.signals.frame import SIGNALS

DOC = (Path(__file__).resolve().parents[1] / "docs" / "flags.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_flag_is_documented_with_its_threshold(rule: object) -> None:
    code, threshold = rule.code, rule.threshold  # type: ignore[attr-defined]
    row = next((line for line in DOC.splitlines() if line.startswith(f"| `{code}` |")), None)
    assert row is not None, f"docs/flags.md has no row for the flag {code}"
    assert threshold in row, f"docs/flags.md states an old threshold for {code}"


@pytest.mark.parametrize(
    "signal", [s for s in SIGNALS if not s.startswith("tracks_") and s != "deal_id"]
)
def test_every_signal_a_custom_rule_can_use_is_documented(signal: str) -> None:
    assert f"| `{signal}` |" in DOC

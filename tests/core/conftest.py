"""Fixtures of the core tests; the factories themselves live in core_factories.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from core_factories import Row, build_activity, build_deal, build_pipeline

from walkaway.models import Pipeline
from walkaway.policy import Policy, load_policy


@pytest.fixture
def make_deal() -> Callable[..., Row]:
    return build_deal


@pytest.fixture
def make_activity() -> Callable[..., Row]:
    return build_activity


@pytest.fixture
def make_pipeline() -> Callable[..., Pipeline]:
    return build_pipeline


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def plain_policy(policy: Policy) -> Policy:
    """The default policy with every qualification fact weighing 0, for tests of the
    arithmetic around the probability (flags, time, economics, the call): the prior of a
    deal without flags is then exactly its stage rate. The facts have tests of their own."""
    facts = {
        field: dict.fromkeys(values, 0.0) for field, values in policy.probability.facts.items()
    }
    return replace(policy, probability=replace(policy.probability, facts=facts))

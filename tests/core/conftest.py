"""Fixtures of the core tests; the factories themselves live in core_factories.py."""

from __future__ import annotations

from collections.abc import Callable

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

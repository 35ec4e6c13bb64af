"""Walkaway: deal by deal, keep pursuing, re-qualify or walk away."""

__version__ = "0.1.0"

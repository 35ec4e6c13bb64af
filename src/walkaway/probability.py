"""The bounds every probability keeps: no call claims certainty either way.

A leaf with no imports, so that the prior (on ``walkaway show``'s path) can keep its
probabilities within them without loading NumPy for the logistic fit that shares them
(:mod:`walkaway.logistic`).
"""

FLOOR, CEILING = 0.001, 0.999

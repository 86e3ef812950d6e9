"""Hypothesis runs the same examples on every machine: derandomized, bounded, no deadline.

A property test that found a defect once must find it again in CI, and a slow shared machine
must not turn a correct run into a failure, so examples come from a fixed seed, no example has
a time limit and no example database is written into the checkout; `max_examples` keeps the
whole property suite well under a minute.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "vpsorg-ci",
    derandomize=True,
    database=None,
    max_examples=150,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("vpsorg-ci")

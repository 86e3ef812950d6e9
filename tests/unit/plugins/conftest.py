"""Hypothesis runs the same examples on every machine: derandomized, bounded, no deadline.

A property test that found a defect once must find it again in CI, and a slow shared machine
must not turn a correct run into a failure, so examples come from a fixed seed, no example has
a time limit and no example database is written into the checkout; `max_examples` keeps the
whole property suite well under a minute. Mutation testing runs the suite once per mutant, so
`make mutation` chooses a smaller example budget (VPSORG_HYPOTHESIS_PROFILE=vpsorg-mutation).
"""

from __future__ import annotations

import os

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
settings.register_profile("vpsorg-mutation", parent=settings.get_profile("vpsorg-ci"), max_examples=25)
settings.load_profile(os.environ.get("VPSORG_HYPOTHESIS_PROFILE", "vpsorg-ci"))

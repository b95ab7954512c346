"""Shared test settings: the hypothesis profile of the property and fuzz tests.

The ``tncost`` profile is loaded by default. It derandomizes hypothesis, so
every run draws the same examples and a failure reproduces on any machine. It
bounds the examples per test, so that all property and fuzz tests together
take about a minute on two cores. It turns off the per-example deadline,
because the first example of a test pays for imports and caches.
Set ``HYPOTHESIS_PROFILE=tncost-long`` for a longer, randomized search.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "tncost",
    derandomize=True,
    max_examples=80,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "tncost-long",
    derandomize=False,
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "tncost"))

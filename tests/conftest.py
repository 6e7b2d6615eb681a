"""Hypothesis profiles: a quick one by default, the full one in CI (HYPOTHESIS_PROFILE=ci).

The bad-input contract (tests/test_input_contract.py) takes ten times the
profile's examples: 250 by default, 2,000 in CI.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

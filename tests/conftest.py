"""Shared fixtures: the cite marker, hypothesis profiles, the throwaway PostgreSQL server."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI machines have 2 shared, noisy cores: no per-example deadline, a fixed seed and a
# bounded number of examples, so that a slow moment never fails a run.
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

pytest_plugins = ["tests.postgres"]

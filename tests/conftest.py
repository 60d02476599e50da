"""Test-suite settings shared by every test module."""

from __future__ import annotations

import os

from hypothesis import settings

# CI must not fail on an example no developer run has seen: there the properties run
# derandomized (the same examples every run). Locally they keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

"""Property tests run the same examples on every run (``derandomize``): CI must not fail or
pass by luck. ``HYPOTHESIS_PROFILE=explore`` searches fresh examples (run it when the pacing
maths change)."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

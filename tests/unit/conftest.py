"""A Hypothesis profile for mutation runs (``--hypothesis-profile=mutation``).

Under mutmut every call goes through a trampoline, so examples run several times slower than
usual and the default deadline would fail clean code. Derandomized, each mutant meets the
same examples, so a mutant killed once is killed on every run.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "mutation",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

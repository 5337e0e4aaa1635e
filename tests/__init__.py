"""Demo Bank tests.

A regular package (not a namespace one), because the isomdoc 0.0.5 wheel (a dev dependency)
installs its own top-level `tests` package into site-packages, which otherwise shadows this
directory and breaks `from tests.helpers import ...`.
"""

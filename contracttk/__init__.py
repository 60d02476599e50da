"""contracttk: contract testing and fixture generation for Stripe-like /v1/tokens APIs.

Kept import-light on purpose: the pytest plugin and the CLI import this package on
every run, so heavy libraries are imported only by the modules that need them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

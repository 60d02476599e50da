"""Default keys and ports shared by the reference server, the fuzz engine and the plugin.

Kept dependency-free so the pytest plugin can import it at no cost. The keys are
placeholders of contracttk's own reference server, not Stripe credentials.
"""

from __future__ import annotations

DEFAULT_PORT = 12111
DEFAULT_SECRET_KEY = "sk_test_contracttk_secret"
DEFAULT_PUBLISHABLE_KEY = "pk_test_contracttk_publishable"
# Live-mode placeholders: the reference server knows them so live-mode rules can be tested;
# `contracttk fuzz` still refuses live keys unless --allow-live-keys is given.
DEFAULT_LIVE_SECRET_KEY = "sk_live_placeholder_contracttk"
DEFAULT_LIVE_PUBLISHABLE_KEY = "pk_live_placeholder_contracttk"
DEFAULT_KEYS = (
    DEFAULT_SECRET_KEY,
    DEFAULT_PUBLISHABLE_KEY,
    DEFAULT_LIVE_SECRET_KEY,
    DEFAULT_LIVE_PUBLISHABLE_KEY,
)

# A key no target issued, sent by the auth items to test the "unknown key" answer. It is
# public (documented here), so reports print it and their curl lines reproduce.
UNKNOWN_TEST_KEY = "sk_test_contracttkUnknownKey0000"

# Exit codes of every contracttk command (the README lists them).
EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_TARGET = 3
EXIT_INTERRUPTED = 130

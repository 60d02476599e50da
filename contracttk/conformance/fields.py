"""The conformance run's raw settings: names, meanings, metavars. Standard library only.

Its own module so that the pytest entry plugin, loaded on every pytest run in a user's
repository, reads the option list without importing the engine.
"""

from __future__ import annotations

__all__ = ["FIELDS", "METAVARS"]

FIELDS: dict[str, str] = {
    "url": "base URL of the /v1/tokens API to test",
    "api_key": "secret API key (default: the reference server's test key)",
    "publishable_key": "publishable key (enables the publishable-key items)",
    "live_key": "live secret key (enables the live-mode items; needs live keys allowed)",
    "allow_live_keys": "accept sk_live_/pk_live_/rk_live_ keys",
    "seed": "integer seed, or 'last' to rerun the previous run's seed",
    "max_examples": "generated cases per generated item; bounds every phase",
    "timeout": "seconds for one whole request (connect + complete answer)",
    "max_response_bytes": "largest answer read (larger: a finding)",
    "kind": "token kinds to test, comma-separated (default: all six)",
    "include_check": "only these checks or check groups, comma-separated",
    "exclude_check": "not these checks or check groups, comma-separated",
    "max_time": "stop generating new cases after this many seconds",
    "max_failures": "stop after this many hard failures",
    "report": "write the JSON report here",
    "junit_xml": "write a JUnit XML file here (one test case per finding)",
    "baseline": "a previous JSON report: fail only on findings it does not have",
}
"""Every raw setting and what it means (front ends derive their help texts from this)."""

METAVARS: dict[str, str] = {
    "url": "URL",
    "api_key": "KEY",
    "publishable_key": "KEY",
    "live_key": "KEY",
    "seed": "SEED",
    "max_examples": "N",
    "timeout": "SECONDS",
    "max_response_bytes": "BYTES",
    "kind": "KINDS",
    "include_check": "CHECKS",
    "exclude_check": "CHECKS",
    "max_time": "SECONDS",
    "max_failures": "N",
    "report": "PATH",
    "junit_xml": "PATH",
    "baseline": "PATH",
}
"""The placeholder of each valued setting in help texts (``allow_live_keys`` is a flag)."""

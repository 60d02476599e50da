"""Helpers shared by the test modules (importable as ``support``: see ``pythonpath`` in pyproject).

Only helpers that more than one test package needs live here; a helper used by one module
stays in that module.
"""

from __future__ import annotations

from .proc import CLI, PYTEST, Child, clean_env, free_port, run_cli, run_pytest, spawn
from .reports import report_problems
from .secrets import luhn_runs

__all__ = [
    "CLI",
    "PYTEST",
    "Child",
    "clean_env",
    "free_port",
    "luhn_runs",
    "report_problems",
    "run_cli",
    "run_pytest",
    "spawn",
]

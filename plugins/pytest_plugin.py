"""contracttk's pytest plugin (entry point ``contracttk``); filled in by the conformance engine."""

from __future__ import annotations

"""Keep schemathesis's global Hypothesis patches out of the user's own tests.

schemathesis, when its pytest plugin loads (every pytest run where it is installed),
swaps Hypothesis's ``RepresentationPrinter`` for one that prints nothing (a failing
``@given`` test then shows ``params=,  # or any other generated value``), raises
Hypothesis's buffer size, wraps ``register_random`` and caches a reflection helper. Those
are tuned for schemathesis's own runs. When a pytest session collects no schemathesis
test, :func:`restore_hypothesis` puts Hypothesis back as it ships, so installing
``contracttk[conformance]`` changes nothing in other tests. contracttk's own conformance
items count as no schemathesis test: they need none of the patches (they print no
examples and size their own generation).
"""

from __future__ import annotations

import ast
import inspect
from functools import cache
from typing import Any

__all__ = ["hypothesis_patched", "restore_hypothesis", "schemathesis_item"]


@cache
def _shipped_buffer_size() -> int | None:
    """``BUFFER_SIZE`` as Hypothesis's engine module defines it (read from its source)."""
    try:
        from hypothesis.internal.conjecture import engine

        tree = ast.parse(inspect.getsource(engine))
    except (OSError, TypeError, SyntaxError, ImportError):
        return None
    for node in tree.body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(target, ast.Name) and target.id == "BUFFER_SIZE" and node.value is not None:  # type: ignore[attr-defined]
            try:
                return int(eval(compile(ast.Expression(node.value), "<BUFFER_SIZE>", "eval"), {}))  # type: ignore[attr-defined]
            except Exception:
                return None
    return None


def hypothesis_patched() -> bool:
    """True when Hypothesis's printer is not the one it ships (someone swapped it)."""
    import sys

    core = sys.modules.get("hypothesis.core")
    if core is None:
        return False
    from hypothesis.vendor import pretty

    return core.RepresentationPrinter is not pretty.RepresentationPrinter  # type: ignore[attr-defined]


def restore_hypothesis() -> bool:
    """Undo schemathesis's global patches of Hypothesis; True if anything was restored."""
    import sys

    if "hypothesis.core" not in sys.modules:
        return False
    import hypothesis
    from hypothesis import core as root_core
    from hypothesis.internal import entropy, reflection
    from hypothesis.internal.conjecture import engine
    from hypothesis.strategies._internal import collections
    from hypothesis.strategies._internal import core as strategies_core
    from hypothesis.vendor import pretty

    changed = False
    if root_core.RepresentationPrinter is not pretty.RepresentationPrinter:  # type: ignore[attr-defined]
        root_core.RepresentationPrinter = pretty.RepresentationPrinter  # type: ignore[attr-defined,misc]
        changed = True
    size = _shipped_buffer_size()
    if size is not None:
        for module in (root_core, engine, collections):
            if getattr(module, "BUFFER_SIZE", size) != size:
                module.BUFFER_SIZE = size  # type: ignore[attr-defined]
                changed = True
    original_register = getattr(hypothesis, "register_random", None)
    if original_register is not None and entropy.register_random is not original_register:
        entropy.register_random = original_register
        changed = True
    original_reflect = reflection.is_first_param_referenced_in_function
    if strategies_core.is_first_param_referenced_in_function is not original_reflect:
        strategies_core.is_first_param_referenced_in_function = original_reflect
        changed = True
    if changed:
        _mark_unpatched()
    return changed


def _mark_unpatched() -> None:
    """Let schemathesis patch again if one of its own runs starts later in this process."""
    try:
        from schemathesis.generation import hypothesis as st_hypothesis
    except ImportError:
        return
    setup: Any = getattr(st_hypothesis, "setup", None)
    if setup is not None and getattr(setup, "_is_patched", False):
        setup._is_patched = False


def schemathesis_item(item: Any) -> bool:
    """True for a test item schemathesis built (it relies on its patches)."""
    cls = type(item)
    if cls.__module__.startswith("schemathesis"):
        return True
    obj = getattr(item, "obj", None)
    return any(
        getattr(obj, attr, None) is not None
        for attr in ("_schemathesis_test", "_schema", "__schemathesis_test__")
    )

"""Which parameter names an answer may quote: names, not values posted as names.

A client can send anything as a parameter name: a JSON document posted as a form, a
malformed key holding a card number (``card[4242424242424242=1``). Stripe's answers quote
unknown parameter names ([DOC: changelog 2015-10-12], [ISSUE: stripe/stripe-cli#722]: a
stray top-level ``currency``); every observed case is a plain name. So a name is shown (and
an answer's ``param`` naming it is asserted) only when each segment looks like a name;
otherwise only its name-like leading part is shown, and what ``param`` a real server gives
for it is not established. The reference server and the oracle both use this rule.
"""

from __future__ import annotations

import re

__all__ = ["HIDDEN", "is_name_like", "shown_key"]

HIDDEN = "…"
_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,100}\Z")
# Three digits: a CVC has three, real parameter names at most one or two.
_DIGIT_RUN_RE = re.compile(r"[0-9]{3,}")
_KEYISH_RE = re.compile(r"(?:sk|pk|rk)_(?:test|live)_", re.IGNORECASE)
_GROUP_RE = re.compile(r"\[([^\[\]]*)\]")


def is_name_like(segment: str) -> bool:
    """One segment of a name that looks like a parameter name, not like a value."""
    return (
        _NAME_RE.match(segment) is not None
        and _DIGIT_RUN_RE.search(segment) is None
        and _KEYISH_RE.match(segment) is None
    )


def shown_key(key: str) -> tuple[str, str | None]:
    """``(display, known_prefix)`` for a parameter name or bracket path sent by a client.

    ``display`` is ``key`` itself when every segment looks like a name; otherwise the
    name-like leading segments followed by ``…`` (``card[…]`` for ``card[4242…]``, ``…``
    for a JSON document). ``known_prefix`` is the bracket path of the kept segments, or
    None when nothing was kept (it is what an error's ``param`` may name).
    """
    base_end = key.find("[")
    base = key if base_end < 0 else key[:base_end]
    if not is_name_like(base):
        return HIDDEN, None
    kept = base
    pos = len(base)
    while pos < len(key):
        group = _GROUP_RE.match(key, pos)
        if group is None:
            # Unbalanced or trailing text: keep the shape hint ("card[…") but not the text.
            return kept + ("[" + HIDDEN if key.startswith("[", pos) else HIDDEN), kept
        if not is_name_like(group.group(1)):
            return f"{kept}[{HIDDEN}]", kept
        kept = key[: group.end()]
        pos = group.end()
    return key, key

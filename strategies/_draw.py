"""Hypothesis plumbing: the builders' picker over ``draw``, and violation-first exploration.

:class:`DrawPicker` makes every builder choice a Hypothesis draw (pool values through
``st.sampled_from``, optional fields through ``st.booleans()`` gates), so a failing example
shrinks to a minimal payload.

:func:`draw_walk` draws the thing a payload is mostly about *before* the payload: the
catalogue entry of an invalid payload, the test card or bank account of a valid one. So it
is the first thing Hypothesis varies. That alone is not enough: 100 examples would still
reach only about 22 of the 66 card entries (and 20 of the 46 test cards), because
Hypothesis spends most of its budget on mutations of examples it already ran (copying one
draw over another of the same kind), which keep the entry, and independent draws repeat
entries anyway. So the first such draw of each example (the others draw plainly) does
three things, all through public strategies and the rules Hypothesis's engine states for
them (``ConjectureData.stop_span``, ``ConjectureRunner.generate_mutations_from``):

* a coin decides between the *walk* (False, the simplest) and *free draws*;
* right after the entry comes a discarded filter attempt. Hypothesis prunes its tree of
  explored examples at a discard: no novel example is generated through that point again,
  and a mutation that would pass it is skipped without running. In the walk the discard
  directly follows the entry, so each entry is taken once and the walk covers them all
  without repeats. A free draw is one wide random number (the entry and a salt in one),
  so free draws never run out and pick entries at random, evenly;
* two free draws in three are rejected (a third of all draws, before any payload is
  built, so cheaply). Without that, free draws and the walk would split the examples
  evenly; with it three valid examples in four continue the walk until it has covered
  every entry.

If a future Hypothesis drops one of these behaviours, payloads stay exactly as correct and
shrink the same way; only the number of entries per 100 examples falls back towards
independent draws (``tests/strategies`` measures it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ._build import pick_violation, weighted_index

__all__ = ["Draw", "DrawPicker", "draw_walk"]

T = TypeVar("T")
Draw = Callable[..., Any]

_BOOLEANS = st.booleans()
# sampled_from strategies per pool, keyed by the pool's id and holding the pool itself, so an
# id is never reused while its entry lives. Pools are long-lived tuples; the bound is for the
# few ad-hoc tuples builders make.
_SAMPLED: dict[int, tuple[Sequence[Any], SearchStrategy[Any]]] = {}
_SAMPLED_MAX = 4096


def _sampled(seq: Sequence[T]) -> SearchStrategy[T]:
    hit = _SAMPLED.get(id(seq))
    if hit is not None and hit[0] is seq:
        return hit[1]
    if len(_SAMPLED) >= _SAMPLED_MAX:
        _SAMPLED.clear()
    strategy = st.sampled_from(seq)
    _SAMPLED[id(seq)] = (seq, strategy)
    return strategy


class DrawPicker:
    """The builders' :class:`~._pickers.Picker` over a Hypothesis ``draw``."""

    __slots__ = ("_draw",)

    def __init__(self, draw: Draw) -> None:
        self._draw = draw

    def choice(self, seq: Sequence[T]) -> T:
        """``draw(st.sampled_from(seq))``; shrinks towards ``seq[0]``."""
        return seq[0] if len(seq) == 1 else self._draw(_sampled(seq))

    def integer(self, lo: int, hi: int) -> int:
        """``draw(st.integers(lo, hi))``; shrinks towards ``lo``."""
        return lo if lo == hi else self._draw(st.integers(lo, hi))

    def gate(self) -> bool:
        """``draw(st.booleans())``; shrinks towards False (leave the field out)."""
        return self._draw(_BOOLEANS)


def _label(name: str) -> int:
    # Span labels of their own: Hypothesis's mutator copies a draw only over another draw
    # with the same label, so the exploration draws are never swapped with payload draws.
    return int.from_bytes(hashlib.sha256(f"contracttk:{name}".encode()).digest()[:8], "big")


_MODE_LABEL = _label("explore-mode")
_ENTRY_LABEL = _label("explore-entry")
_FREE_LABEL = _label("explore-free")
_PRUNE_LABEL = _label("explore-prune")

# One marker list per example (st.shared draws give every draw of an example the same
# value): the first invalid payload drawn in an example explores, the others draw plainly.
_EXPLORED: SearchStrategy[list[bool]] = st.shared(
    st.builds(list), key="contracttk.strategies.explored"
)
_WIDE_BITS = 32
_WIDE_SIZE = 1 << _WIDE_BITS
_WIDE = st.integers(0, _WIDE_SIZE - 1)
_SCRAMBLE = 0x9E3779B1  # odd (Knuth's multiplicative hashing constant)
_NOTHING = st.builds(tuple)


@lru_cache(maxsize=256)
def _indices(count: int) -> SearchStrategy[int]:
    return st.integers(0, count - 1)


def draw_walk(draw: Draw, items: Sequence[T], weights: Sequence[int] | None = None) -> T:
    """One of ``items``, drawn first and walking them across examples (module docstring).

    ``items`` are a kind's catalogue entries (invalid payloads) or its test cards or bank
    accounts (valid ones). ``weights`` (one integer per item) weigh the free draws; the
    walk takes every item once whatever its weight.
    """
    if len(items) == 1:
        return items[0]
    marker = draw(_EXPLORED)
    if marker:
        return pick_violation(DrawPicker(draw), items, weights)
    marker.append(True)
    if not draw(_BOOLEANS, label=_MODE_LABEL):
        item = items[draw(_indices(len(items)), label=_ENTRY_LABEL)]
    else:
        # Hypothesis favours 0 and the bounds when it draws an integer (about one draw in
        # six is 0), so free draws would keep hitting the first items. Scrambling a wide
        # draw (an odd multiplier is a bijection mod 2**32) spreads them evenly instead.
        spread = draw(_WIDE, label=_FREE_LABEL) * _SCRAMBLE % _WIDE_SIZE
        if spread % 3:
            reject()
        total = sum(weights) if weights is not None else len(items)
        index = spread * total >> _WIDE_BITS
        item = items[weighted_index(weights, index) if weights is not None else index]
    _prune(draw)
    return item


def _prune(draw: Draw) -> None:
    """Make Hypothesis prune its tree here: one discarded filter attempt (no choices)."""
    calls = 0

    def second_attempt(_: object) -> bool:
        nonlocal calls
        calls += 1
        return calls > 1

    draw(_NOTHING.filter(second_attempt), label=_PRUNE_LABEL)

"""Pickers: the one thing that differs between the generator front-ends.

A builder makes every random choice through a :class:`Picker`. The Hypothesis front-end
passes one over its ``draw`` (so choices shrink), the Faker front-end a
:class:`RandomPicker` over the generator's seeded ``random.Random``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

__all__ = ["Picker", "RandomPicker"]

T = TypeVar("T")


class Picker(Protocol):
    """Makes the random choices of a payload builder."""

    def choice(self, seq: Sequence[T]) -> T:
        """One element of the non-empty ``seq``; the first one is the "simplest"."""
        ...

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``; ``lo`` is the "simplest"."""
        ...

    def gate(self) -> bool:
        """Whether to include an optional field; ``False`` is the "simplest"."""
        ...


class RandomPicker:
    """A :class:`Picker` over a ``random.Random`` (Faker's ``self.generator.random``)."""

    __slots__ = ("_random",)

    def __init__(self, rnd: Any) -> None:
        self._random = rnd

    def choice(self, seq: Sequence[T]) -> T:
        """``seq[i]`` for a uniform ``i`` (one C call to ``random()``: cheaper than ``choice``)."""
        return seq[int(self._random.random() * len(seq))]

    def integer(self, lo: int, hi: int) -> int:
        """Uniform in ``[lo, hi]``."""
        return lo + int(self._random.random() * (hi - lo + 1))

    def gate(self) -> bool:
        """A fair coin."""
        return self._random.random() < 0.5

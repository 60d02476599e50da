"""Progress of a run on the terminal: the seed first, then a live line per item.

On a terminal the line of the running item is rewritten in place (cases sent, requests
per second, distinct failures so far, elapsed time); without one (CI logs) a line is
printed every few seconds instead, so a long item never looks hung.
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["Ticker", "progress_line"]


def progress_line(text: str) -> None:
    """One progress line on stderr (flushed: CI logs show it as it happens)."""
    print(text, file=sys.stderr, flush=True)


class Ticker:
    """Live progress of an in-process item: a rewritten line on a terminal, else every 5 s."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tty = sys.stderr.isatty()
        self.started = self.last = time.monotonic()
        self.every = 0.25 if self.tty else 5.0
        self.cases = 0

    def __call__(self, result: Any) -> None:
        now = time.monotonic()
        self.cases = result.cases
        if now - self.last < self.every:
            return
        self.last = now
        elapsed = now - self.started
        rate = result.cases / elapsed if elapsed > 0 else 0.0
        text = (
            f"{self.name}: {result.cases} cases, {rate:.0f}/s, "
            f"{len(result.hard)} distinct failure(s), {elapsed:.0f} s"
        )
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + text)
            sys.stderr.flush()
        else:
            progress_line(text)

    def done(self) -> None:
        """The item ended: its final line."""
        elapsed = time.monotonic() - self.started
        text = f"{self.name}: {self.cases} cases in {elapsed:.1f} s"
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + text + "\n")
            sys.stderr.flush()
        else:
            progress_line(text)

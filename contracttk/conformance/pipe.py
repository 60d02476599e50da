"""Overlapping the client's work with the target's: one request in flight on a background thread.

While the target answers request ``i``, the runner's thread draws case ``i + 1`` and judges
``i - 1``. Over HTTP the target is another process (often another core), so the two add up
to the slower of them instead of their sum.
"""

from __future__ import annotations

from .exchange import RequestInfo, ResponseInfo
from .transport import Transport

__all__ = ["Pipe"]


class Pipe:
    """One background thread sending one request at a time (the transport is not shared;
    the pipe owns it from :meth:`stop` on).

    :meth:`swap` hands over the next request and returns the previous one's outcome, so at
    most one request is in flight and every answer comes back to the runner's own thread.
    A daemon thread: a run interrupted mid-request is not held up by it.
    """

    SWITCH_INTERVAL = 0.0005
    """While a pipe runs, Python switches threads every 0.5 ms instead of 5: an answer that
    arrived waits that long for the sender thread to read it (measured: the coverage item
    took 6.6 s at 5 ms, 5.1-5.5 s at 0.5 ms, 7-7.9 s without the pipe)."""

    def __init__(self, transport: Transport) -> None:
        import queue
        import sys
        import threading

        self.transport = transport
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, self.SWITCH_INTERVAL))
        self._todo: queue.Queue[RequestInfo | None] = queue.Queue()
        self._done: queue.Queue[tuple[RequestInfo, ResponseInfo | None, BaseException | None]] = (
            queue.Queue()
        )
        self._busy = False
        self._thread = threading.Thread(target=self._loop, name="contracttk-send", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            req = self._todo.get()
            if req is None:
                # Closed here, after the request in flight: closed from the runner's thread,
                # the transport could be reconnecting under this one's feet.
                self.transport.close()
                return
            try:
                resp = self.transport.send(req.method, req.url, list(req.headers.items()), req.body)
                self._done.put((req, resp, None))
            except BaseException as err:  # handed to the runner's thread, raised there
                self._done.put((req, None, err))

    def swap(
        self, req: RequestInfo | None
    ) -> tuple[RequestInfo, ResponseInfo | None, BaseException | None] | None:
        """Start ``req`` (if any) and return the outcome of the one before it (if any)."""
        previous = self._done.get() if self._busy else None
        self._busy = req is not None
        if req is not None:
            self._todo.put(req)
        return previous

    def stop(self) -> None:
        """End the thread once its current request (if any) is over, closing the transport
        then; restore the interval. Returns at once (a slow answer ends by its deadline)."""
        import sys

        self._todo.put(None)
        sys.setswitchinterval(self._interval)

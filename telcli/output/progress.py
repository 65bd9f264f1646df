"""A spinner on stderr while the network keeps a terminal user waiting.

Every provider request goes through ``transport.send`` inside ``Activity.waiting(provider)``
(the hook rides on the command's retry policy), so one seam covers every command: search,
buy, list, configure, pull... Nothing shows for the first 0.3 s (most answers come sooner),
and the line is wiped the moment the last request in flight ends, before the command prints
its result, asks a question or says anything else. Only on a terminal: the CLI installs it
only when stderr is a TTY. Displays of their own (``test``'s per-destination progress)
silence it with :meth:`Activity.quiet`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Activity:
    def __init__(
        self,
        stream: Callable[[], TextIO],
        *,
        delay: float = 0.3,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream  # looked up per frame: CliRunner swaps sys.stderr
        self.delay = delay
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._busy: dict[str, int] = {}  # what we wait for -> requests in flight
        self._since = 0.0
        self._quiet = 0
        self._shown = False
        self._frame = 0
        self._thread: threading.Thread | None = None

    @contextmanager
    def waiting(self, what: str) -> Iterator[None]:
        """Around one request (retries and backoff included) to ``what`` (a provider)."""
        with self._lock:
            if not self._busy:
                self._since = self._clock()
            self._busy[what] = self._busy.get(what, 0) + 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                left = self._busy[what] - 1
                if left:
                    self._busy[what] = left
                else:
                    del self._busy[what]
                if not self._busy:
                    self._clear()

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """No spinner while another display owns the terminal."""
        with self._lock:
            self._quiet += 1
            self._clear()
        try:
            yield
        finally:
            with self._lock:
                self._quiet -= 1

    def tick(self) -> None:
        """Draw the next frame when something has been in flight for ``delay`` seconds."""
        with self._lock:
            if not self._busy or self._quiet or self._clock() - self._since < self.delay:
                return
            frame = FRAMES[self._frame % len(FRAMES)]
            self._frame += 1
            stream = self._stream()
            stream.write(f"\r{frame} waiting for {', '.join(self._busy)}…\x1b[K")
            stream.flush()
            self._shown = True

    def _clear(self) -> None:  # with the lock held
        if self._shown:
            stream = self._stream()
            stream.write("\r\x1b[K")
            stream.flush()
            self._shown = False

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                if not self._busy:
                    self._thread = None
                    return
            self.tick()

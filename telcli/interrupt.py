"""Ctrl-C during bulk work: the first stops starting new work, the second exits at once.

A command that runs many requests (``test sms|call`` to many ``--to``, ``webhook replay``)
wraps the work in :func:`ctrl_c`; the service receives the :class:`Cancel` it yields and
checks it before starting each piece of work, so requests in flight finish and their ledger
rows record what really happened. Services never install signal handlers nor print: the
command passes ``on_first`` to say what happens next.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EXIT_INTERRUPTED = 130  # errors.ExitCode.INTERRUPTED (not imported: this module stays tiny)


class Cancel:
    """Set once the user asked to stop. ``sleep`` is a wait that ends early when that happens."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def __bool__(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float, sleep: Callable[[float], None] | None = None) -> bool:
        """Wait ``seconds`` (``sleep`` injected, or until set) in short steps, so the main
        thread, the only one where Python runs a signal handler, wakes for Ctrl-C even when
        the signal landed on another thread. True when stopped."""
        while seconds > 0 and not self._event.is_set():
            step = min(seconds, 0.25)
            if sleep is None:
                self._event.wait(step)
            else:
                sleep(step)
            seconds -= step
        return self._event.is_set()


def _nothing() -> None:
    pass


@contextmanager
def ctrl_c(
    on_first: Callable[[], None] = _nothing, on_second: Callable[[], None] = _nothing
) -> Iterator[Cancel]:
    """SIGINT sets the yielded :class:`Cancel` (then ``on_first`` runs); a second SIGINT ends
    the process at once with exit 130, whatever is in flight, after ``on_second`` (quick:
    e.g. mark the ledger rows still open as unknown). The previous handler comes back on
    leaving. Outside the main thread (no signal handler can be set there) Ctrl-C keeps its
    usual KeyboardInterrupt."""
    import signal

    cancel = Cancel()
    if threading.current_thread() is not threading.main_thread():
        yield cancel
        return

    def handler(_signum: int, _frame: object) -> None:
        if cancel.is_set():
            with contextlib.suppress(Exception):
                on_second()
            _exit_now()
        cancel.set()
        # a message that cannot be written must not stop the stop
        with contextlib.suppress(Exception):
            on_first()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def _exit_now() -> None:
    import os

    try:
        os.write(2, b"interrupted again: exiting now\n")
    finally:
        os._exit(EXIT_INTERRUPTED)

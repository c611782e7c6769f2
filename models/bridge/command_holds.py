"""Let this process's HA commands answer before the mirror takes the GIL.

A command's state change arrives just before its answer, and applying it
takes the GIL for milliseconds, right when the thread writing the answer (or
finishing the HTTP request) needs it. The event dispatcher waits for the
commands of its process to be answered first, for at most ``COMMAND_YIELD``
seconds: a hold that is never released expires on its own.
"""

import threading
import time

# Seconds a batch may wait for this process's HA commands to be answered.
COMMAND_YIELD = 0.05
# Seconds a hold outlives its answer: the answer still has to leave (HTTP reply
# written after the commit, caller process woken by NOTIFY).
REPLY_LINGER = 0.005


class CommandHolds:
    """HA commands of this process whose answer is still on its way."""

    def __init__(self):
        self._deadlines = {}  # token -> monotonic deadline
        self._cond = threading.Condition()
        self._last = 0

    def hold(self, seconds=COMMAND_YIELD):
        """Start a hold; returns its token for :meth:`release`."""
        with self._cond:
            self._last += 1
            self._deadlines[self._last] = time.monotonic() + seconds
            return self._last

    def release(self, token, linger=0.0):
        """End a hold now, or ``linger`` seconds from now (if sooner than its end)."""
        with self._cond:
            deadline = self._deadlines.pop(token, None)
            if deadline is not None and linger > 0:
                self._deadlines[token] = min(deadline, time.monotonic() + linger)
            self._cond.notify_all()  # waiters recompute their wait

    def wait_released(self, timeout=COMMAND_YIELD):
        """Return once no unexpired hold is left, or after ``timeout``."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                for token, deadline in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[token]
                if not self._deadlines or now >= end:
                    return
                self._cond.wait(min(end, *self._deadlines.values()) - now)


command_holds = CommandHolds()

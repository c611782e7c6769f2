"""The watched entities' changes the mirror committed, owed to the rules pass.

The mirror's transaction only records the changes of the entities some
automation rule watches (see ``ha_sync_rules``); the dispatcher hands them,
once committed, to a :class:`RuleChanges` and runs the rules on them in a
transaction of their own, ``RULES_DELAY`` seconds after the first change
waiting: the rules no longer delay the mirror's commits, and a pass serves
many batches.

Kept in memory, not in a table: a crash between the mirror's commit and the
rules pass loses the firings of at most that window, the very window whose
mirror commits a crash may lose too (the mirror commits without waiting for
the WAL flush); a table would cost every such batch an insert for a
guarantee the states themselves do not have.
"""

import time

# The key of the changes recorded in a transaction, in its precommit data.
PENDING_KEY = "ha.rule_changes"
RULES_DELAY = 0.15  # seconds a committed change may wait for its rules


def take_pending(cr):
    """The rule changes recorded on ``cr`` (before its commit), cleared."""
    return cr.precommit.data.pop(PENDING_KEY, None) or []


class RuleChanges:
    """Committed changes waiting for the rules pass, in commit order."""

    def __init__(self):
        self._changes = []
        self._due = None  # monotonic time of the next pass

    def __bool__(self):
        return bool(self._changes)

    def add(self, changes):
        if changes:
            self._changes.extend(changes)
            if self._due is None:
                self._due = time.monotonic() + RULES_DELAY

    def wait(self):
        """Seconds until the pass is due (None: nothing waits)."""
        if self._due is None:
            return None
        return max(0.0, self._due - time.monotonic())

    def take(self, now=False):
        """The changes to run the rules on (``[]`` if not due, unless ``now``)."""
        if not self._changes or not (now or self.wait() == 0.0):
            return []
        changes, self._changes, self._due = self._changes, [], None
        return changes

"""The automation rules on the mirror's committed changes, in a thread of their own.

The mirror's transaction only records the changes of the entities some
automation rule watches (see ``ha_sync_rules``); the dispatcher hands them,
once committed, to its :class:`RulesRunner`, which runs the rules on them
``RULES_DELAY`` seconds after the first one waiting, in one transaction of
its own, in commit order. The dispatcher never waits for a rule: its next
batch is written meanwhile, on its own connection.

Kept in memory, not in a table: a crash between the mirror's commit and the
rules pass loses the firings of at most that window, the very window whose
mirror commits a crash may lose too (the mirror commits without waiting for
the WAL flush); a table would cost every such batch an insert for a
guarantee the states themselves do not have.
"""

import logging
import random
import threading
import time
from contextlib import closing

import odoo
from odoo import SUPERUSER_ID, api
from odoo.service.model import (
    MAX_TRIES_ON_CONCURRENCY_FAILURE,
    PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
)

from .command_holds import command_holds

_logger = logging.getLogger(__name__)

# The key of the changes recorded in a transaction, in its precommit data.
PENDING_KEY = "ha.rule_changes"
# The context of the dispatcher's transactions: mirrored rows carry HA's
# changes (no chatter message, no tracking) and their rules run after the
# commit. A rule inherits none of it (see ha_sync_rules).
MIRROR_CONTEXT = {
    "ha_rules_deferred": True,
    "from_ha_sync": True,
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
}
RULES_DELAY = 0.5  # seconds a committed change may wait for its rules
STOP_TIMEOUT = 10.0


def rounds(changes):
    """``changes`` (``[(ha.entity id, old, new)]``, in order) as rounds: the
    first change of each entity, then the second, etc."""
    result, depth = [], {}
    for change in changes:
        level = depth[change[0]] = depth.get(change[0], -1) + 1
        if level == len(result):
            result.append([])
        result[level].append(change)
    return result


def take_pending(cr):
    """The rule changes recorded on ``cr`` (before its commit), cleared."""
    return cr.precommit.data.pop(PENDING_KEY, None) or []


class RulesRunner(threading.Thread):
    """Runs the rules on committed changes, batched, in commit order; started
    with the first change (a database without rules never has one)."""

    def __init__(self, dbname):
        super().__init__(name=f"odoo_ha_addon.rules.{dbname}", daemon=True)
        self.dbname = dbname
        self._changes = []
        self._due = None  # monotonic time of the next pass
        self._quit = False
        self._launched = False
        self._cond = threading.Condition()

    def __bool__(self):
        return bool(self._changes)

    def add(self, changes):
        """Owe the rules ``changes`` (committed), from the dispatcher."""
        if not changes:
            return
        with self._cond:
            self._changes.extend(changes)
            if self._due is None:
                self._due = time.monotonic() + RULES_DELAY
                self._cond.notify()
            if not self._launched:
                self._launched = True
                self.start()

    def stop(self, timeout=STOP_TIMEOUT):
        """Run what is owed, then end."""
        with self._cond:
            self._quit = True
            self._cond.notify()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def take(self, now=False):
        """The changes to run the rules on (``[]`` if not due, unless ``now``)."""
        with self._cond:
            due = self._due is not None and self._due <= time.monotonic()
            if not self._changes or not (now or due):
                return []
            changes, self._changes, self._due = self._changes, [], None
            return changes

    def run(self):
        threading.current_thread().dbname = self.dbname
        while True:
            with self._cond:
                while not self._quit and (
                    self._due is None or self._due > time.monotonic()
                ):
                    wait = None if self._due is None else self._due - time.monotonic()
                    self._cond.wait(wait)
                quit_ = self._quit
            self.run_rules(self.take(now=quit_))
            if quit_:
                return

    def run_rules(self, changes):
        """The rules on ``changes``, in transactions that each end after the
        first round (see :func:`rounds`) on which a rule ran: the rows a rule
        writes stay locked (the mirror's next write on them waiting) for the
        rest of that round only, and the other threads get the interpreter
        between two transactions."""
        while changes:
            changes = self._run_chunk(changes)
            if changes:
                time.sleep(0)

    def _run_chunk(self, changes):
        """Run the rules on the first rounds of ``changes``; the changes left."""
        command_holds.wait_released()
        for attempt in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
            try:
                return self._transaction(
                    lambda env: env["ha.sync"]._ha_run_rules(changes, until_fired=True)
                )
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # A rule's write met the mirror's (REPEATABLE READ): again.
                if attempt < MAX_TRIES_ON_CONCURRENCY_FAILURE:
                    time.sleep(random.uniform(0.0, 0.05 * 2**attempt))
                    continue
                self._dropped(changes)
            except Exception:  # noqa: BLE001 - the thread must live on
                self._dropped(changes)
            return []

    def _dropped(self, changes):
        _logger.exception(
            "HA automation rules of %s: %d changes dropped", self.dbname, len(changes)
        )

    def _transaction(self, work):
        registry = odoo.modules.registry.Registry(self.dbname)
        with closing(registry.cursor()) as cr, registry.manage_changes(), cr:
            # The mirror keeps writing the watched rows meanwhile: a rule's
            # write on one (REPEATABLE READ, Odoo's level) would fail on the
            # newer state. READ COMMITTED waits for the row and writes on it
            # (the rule writes its own fields, not the mirrored ones).
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return work(api.Environment(cr, SUPERUSER_ID, {}))

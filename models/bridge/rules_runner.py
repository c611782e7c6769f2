"""The automation rules on the mirror's committed changes, in a thread of their own.

The mirror's transaction only records the changes of the entities some
automation rule watches (see ``ha_sync_rules``); the dispatcher hands them,
once committed, to its :class:`RulesRunner`, which screens them (the rules'
"before" and "after" filters) ``RULES_DELAY`` seconds after the first one
waiting, in a transaction of its own, in commit order, and queues what
matched for Odoo's cron (``ha.rule.firing``): the actions run there, in a
process of their own in a prefork deployment. The dispatcher never waits
for a rule: its next batch is written meanwhile, on its own connection.
The screening shares the interpreter with the mirror's threads, so it is
paced: it takes at most ``RULES_SHARE`` of it.

The changes are kept in memory until screened, not in a table: a crash
between the mirror's commit and the screening loses at most that window,
the very window whose mirror commits a crash may lose too (the mirror
commits without waiting for the WAL flush); a table would cost every such
batch an insert for a guarantee the states themselves do not have. A
firing, once queued, outlives a crash.
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
# A pass goes by rounds of at most ROUND_SIZE entities (well under a
# millisecond each) and sleeps between two, so as to take at most RULES_SHARE
# of the interpreter: the mirror's threads share it, and a pass run at once
# would hold up the events that arrive meanwhile.
ROUND_SIZE = 25
RULES_SHARE = 0.1
# Changes owed beyond which a pass runs unpaced: rules that need more than
# their share must not fall behind for ever.
BACKLOG = 10000
STOP_TIMEOUT = 10.0


def rounds(changes, size=None):
    """``changes`` (``[(ha.entity id, old, new)]``, in order) as rounds: the
    first change of each entity, then the second, etc.; each round cut in
    rounds of at most ``size`` changes."""
    result, depth = [], {}
    for change in changes:
        level = depth[change[0]] = depth.get(change[0], -1) + 1
        if level == len(result):
            result.append([])
        result[level].append(change)
    if not size:
        return result
    return [batch[i : i + size] for batch in result for i in range(0, len(batch), size)]


class Pacer:
    """Called between two rounds of work: sleeps so that the work takes at
    most ``share`` of this thread's time (its CPU time since the last call)."""

    def __init__(self, share):
        self.factor = (1 - share) / share
        self.mark = time.thread_time()

    def __call__(self):
        time.sleep((time.thread_time() - self.mark) * self.factor)
        self.mark = time.thread_time()


def _screen(env, changes, pause):
    firings, _left = env["ha.sync"]._ha_screen_rules(
        changes, size=ROUND_SIZE, pause=pause, through=True
    )
    env["ha.rule.firing"]._ha_queue(firings)


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
        """Screen ``changes`` by rounds, in one transaction that queues what
        matched for the cron (see ``ha.rule.firing``): the actions run there,
        not here. Paced (see ``RULES_SHARE``) unless it is behind, or the
        runner is stopping (its stop waits for what is owed)."""
        if not changes:
            return
        pacer = Pacer(RULES_SHARE) if len(changes) < BACKLOG else None
        pause = pacer and (lambda: self._quit or pacer())
        command_holds.wait_released()
        for attempt in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
            try:
                self._transaction(lambda env: _screen(env, changes, pause))
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if attempt < MAX_TRIES_ON_CONCURRENCY_FAILURE:
                    time.sleep(random.uniform(0.0, 0.05 * 2**attempt))
                    continue
                self._dropped(changes)
            except Exception:  # noqa: BLE001 - the thread must live on
                self._dropped(changes)
            return

    def _dropped(self, changes):
        _logger.exception(
            "HA automation rules of %s: %d changes dropped", self.dbname, len(changes)
        )

    def _transaction(self, work):
        registry = odoo.modules.registry.Registry(self.dbname)
        with closing(registry.cursor()) as cr, registry.manage_changes(), cr:
            # The mirror keeps writing the watched rows meanwhile; the
            # screening writes none of them, and needs no snapshot older
            # than each of its statements.
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return work(api.Environment(cr, SUPERUSER_ID, {}))

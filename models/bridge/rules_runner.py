"""The automation rules on the mirror's committed changes, in a thread of their own.

The mirror's transaction only records the changes of the entities some
automation rule watches (see ``ha_sync_rules``); the dispatcher hands them,
once committed, to its :class:`RulesRunner`, which looks at them
``RULES_DELAY`` seconds after the first one waiting, in commit order, on
their own values only: the changes a rule may fire on (candidates, see
``ha.sync._ha_candidates``) are queued for Odoo's cron
(``ha.rule.firing``), which applies the rest of the rules' filters and runs
their actions, in a process of its own in a prefork deployment. Most
changes cross nothing: when the rules' filters are literals (see
``ha.sync._ha_rule_prescreens``), the runner drops those without a
transaction, and opens one only to queue candidates. The dispatcher never
waits for a rule: its next batch is written meanwhile, on its own
connection. The runner shares the interpreter with the mirror's threads, so
it is paced: it takes at most ``RULES_SHARE`` of it.

The changes are kept in memory until screened, not in a table: a crash
between the mirror's commit and the screening loses at most that window,
the very window whose mirror commits a crash may lose too (the mirror
commits without waiting for the WAL flush); a table would cost every such
batch an insert for a guarantee the states themselves do not have. A
candidate, once queued, outlives a crash.
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

from ..ha_rule_values import candidates
from .command_holds import command_holds

_logger = logging.getLogger(__name__)

# The keys of the changes recorded in a transaction, and of the rules'
# filters they may be screened by without one, in its precommit data.
PENDING_KEY = "ha.rule_changes"
PRESCREENS_KEY = "ha.rule_prescreens"
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
# A pass screens CHUNK changes at a time (a fraction of a millisecond) and
# sleeps between two, so as to take at most RULES_SHARE of the interpreter:
# the mirror's threads share it, and a pass run at once would hold up the
# events that arrive meanwhile.
CHUNK = 50
RULES_SHARE = 0.1
# Changes owed beyond which a pass runs unpaced: rules that need more than
# their share must not fall behind for ever.
BACKLOG = 10000
STOP_TIMEOUT = 10.0


class Pacer:
    """Called between two rounds of work: sleeps so that the work takes at
    most ``share`` of this thread's time (its CPU time since the last call)."""

    def __init__(self, share):
        self.factor = (1 - share) / share
        self.mark = time.thread_time()

    def __call__(self):
        time.sleep((time.thread_time() - self.mark) * self.factor)
        self.mark = time.thread_time()


def _queue_candidates(env, changes, found):
    # ``found``: the candidates already screened out of ``changes``, if any.
    sync = env["ha.sync"]
    if found is None:
        found = sync._ha_candidates(changes)
    else:
        found = sync._ha_without_echoes(found)
    env["ha.rule.firing"]._ha_queue(found)


def take_pending(cr):
    """The rule changes recorded on ``cr`` (before its commit), cleared."""
    return cr.precommit.data.pop(PENDING_KEY, None) or []


def take_prescreens(cr):
    """The rules' filters recorded with them (see ``_ha_rule_prescreens``)."""
    return cr.precommit.data.pop(PRESCREENS_KEY, None)


class RulesRunner(threading.Thread):
    """Runs the rules on committed changes, batched, in commit order; started
    with the first change (a database without rules never has one)."""

    def __init__(self, dbname):
        super().__init__(name=f"odoo_ha_addon.rules.{dbname}", daemon=True)
        self.dbname = dbname
        self._owed = []  # [prescreens, changes], in commit order
        self._due = None  # monotonic time of the next pass
        self._quit = False
        self._launched = False
        self._cond = threading.Condition()

    def __bool__(self):
        return bool(self._owed)

    def add(self, changes, prescreens=None):
        """Owe the rules ``changes`` (committed), from the dispatcher, with
        the rules' filters that may screen them without a transaction
        (None: none may, see ``take_prescreens``)."""
        if not changes:
            return
        with self._cond:
            if self._owed and self._owed[-1][0] is prescreens:
                self._owed[-1][1].extend(changes)
            else:
                self._owed.append([prescreens, list(changes)])
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
        """``[[prescreens, changes]]`` to run the rules on (``[]`` if not
        due, unless ``now``), in commit order."""
        with self._cond:
            due = self._due is not None and self._due <= time.monotonic()
            if not self._owed or not (now or due):
                return []
            owed, self._owed, self._due = self._owed, [], None
            return owed

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
            self.run_owed(now=quit_)
            if quit_:
                return

    def run_owed(self, now=False):
        """Run the rules on what is owed, if due (see :meth:`take`)."""
        for prescreens, changes in self.take(now):
            self.run_rules(changes, prescreens)

    def run_rules(self, changes, prescreens=None):
        """Queue for the cron the candidates among ``changes`` (see
        ``ha.sync._ha_candidates``): the filters that need records, and the
        actions, run there, not here. With ``prescreens`` (literal filters),
        the candidates are found without a transaction, and a pass that
        finds none opens none.
        Paced (see ``RULES_SHARE``) unless it is behind, or the runner is
        stopping (its stop waits for what is owed)."""
        pacer = Pacer(RULES_SHARE) if len(changes) < BACKLOG else None
        pause = pacer and (lambda: self._quit or pacer())
        try:
            found = None
            if prescreens is not None:
                found = self._prescreened(changes, prescreens, pause)
                if not found:
                    return
            self._queue(changes, found)
        except Exception:  # noqa: BLE001 - the thread must live on
            self._dropped(changes)

    def _prescreened(self, changes, prescreens, pause):
        """The candidates among ``changes`` by their own values (see
        ``ha_rule_values.candidates``), ``CHUNK`` changes at a time,
        ``pause()`` between two."""
        found = []
        for start in range(0, len(changes), CHUNK):
            if pause and start:
                pause()
            found += candidates(prescreens, changes[start : start + CHUNK])
        return found

    def _queue(self, changes, found):
        command_holds.wait_released()
        for attempt in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
            try:
                self._transaction(lambda env: _queue_candidates(env, changes, found))
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if attempt < MAX_TRIES_ON_CONCURRENCY_FAILURE:
                    time.sleep(random.uniform(0.0, 0.05 * 2**attempt))
                    continue
                raise
            return

    def _dropped(self, changes):
        _logger.exception(
            "HA automation rules of %s: %d changes dropped", self.dbname, len(changes)
        )

    def _transaction(self, work):
        registry = odoo.modules.registry.Registry(self.dbname)
        with closing(registry.cursor()) as cr, registry.manage_changes(), cr:
            # The mirror keeps writing the watched rows meanwhile; the
            # runner writes none of them, and needs no snapshot older than
            # each of its statements.
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return work(api.Environment(cr, SUPERUSER_ID, {}))

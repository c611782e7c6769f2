"""Leadership of instances: PostgreSQL session-level advisory locks.

For each active, configured ``ha.instance`` the processes of every Odoo server
on the database compete for ``pg_try_advisory_lock(LOCK_NAMESPACE, id)`` on
their control connection. The holder (the *leader*) keeps the HA WebSocket
open; the others stand by and retry every ``LOCK_RETRY`` seconds. A dead
process loses its session and so its locks: failover needs nobody.

Leadership is balanced: every process that may lead holds a *presence* lock
``(PRESENCE_NAMESPACE, backend pid)``, so any process can count the live ones. A
process takes a new instance only while it leads no more than its fair share
(configured instances ÷ live processes, rounded up) and hands over what it
leads beyond that share + 1 (a process joined): the share + 1 bound leaves
room for rounding, so two processes never trade an instance back and forth.

Caveat: session-level advisory locks need a real session; PgBouncer in
transaction pooling mode breaks them (point Odoo at PostgreSQL directly).
"""

import math

# pg_try_advisory_lock(LOCK_NAMESPACE, instance_id): visible in pg_locks as
# classid = LOCK_NAMESPACE, objid = instance id, objsubid = 2.
LOCK_NAMESPACE = 0x48415344  # "HASD"
PRESENCE_NAMESPACE = 0x48415350  # "HASP": objid = the session's backend pid
LOCK_RETRY = 2.0  # seconds between two tries of a standby for a lock

# The locks of a namespace granted to any session of the current database.
_GRANTED = """
    SELECT objid FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND objsubid = 2
       AND database = (SELECT oid FROM pg_database
                        WHERE datname = current_database())
       AND classid = %s::oid
"""
HELD_LOCKS_SQL = _GRANTED + " AND objid = ANY(%s::oid[])"


def fair_share(instances, processes):
    """How many instances one of ``processes`` live processes should lead."""
    return math.ceil(instances / max(1, processes))


class LeaderLocks:
    """The presence lock and the instance locks one control connection holds."""

    def __init__(self):
        self.conn = None  # set by the database worker on every (re)connect
        self.held = set()  # instance ids

    def announce(self):
        """Take this process's presence lock (on every new session)."""
        with self.conn.cursor() as cr:
            # Keyed by the session's backend pid: unique on the PostgreSQL
            # server, whatever host the Odoo process runs on.
            cr.execute(
                "SELECT pg_advisory_lock(%s, pg_backend_pid())", (PRESENCE_NAMESPACE,)
            )

    def withdraw(self):
        """Give up the presence lock and every instance lock: leaving."""
        with self.conn.cursor() as cr:
            cr.execute("SELECT pg_advisory_unlock_all()")
        self.held.clear()

    def live_processes(self):
        """How many processes (of every server) may lead on this database."""
        with self.conn.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM (" + _GRANTED + ") AS presence",
                (PRESENCE_NAMESPACE,),
            )
            return cr.fetchone()[0]

    def led_elsewhere(self, instance_ids):
        """The ids among ``instance_ids`` whose lock another session holds."""
        with self.conn.cursor() as cr:
            return held_locks(cr, instance_ids) - self.held

    def try_lock(self, instance_id):
        """Take the instance's lock if free; True when this session holds it."""
        if instance_id in self.held:
            return True
        with self.conn.cursor() as cr:
            cr.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, instance_id)
            )
            locked = cr.fetchone()[0]
        if locked:
            self.held.add(instance_id)
        return locked

    def unlock(self, instance_id):
        if instance_id not in self.held:
            return
        self.held.discard(instance_id)
        with self.conn.cursor() as cr:
            cr.execute(
                "SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, instance_id)
            )

    def forget(self):
        """The session ended (its locks with it)."""
        self.held.clear()
        self.conn = None


def held_locks(cr, instance_ids):
    """The ids among ``instance_ids`` whose lock some session holds now."""
    ids = [i for i in instance_ids if isinstance(i, int)]
    if not ids:
        return set()
    cr.execute(HELD_LOCKS_SQL, (LOCK_NAMESPACE, ids))
    return {int(row[0]) for row in cr.fetchall()}

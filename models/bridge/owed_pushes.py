"""The bus messages live changes owe, and when they leave.

Live state changes are committed right away; an instance's bus messages
leave at most every ``NOTIFY_DELAY`` seconds (``STORM_DELAY`` in a storm): a
push costs the recipients query, the bus rows and an ``imbus`` wake-up (see
:mod:`.bus_wakeups`), which at one event per transaction tripled the time to
commit a row. A batch arriving when an instance's push is due carries its
owed messages in the same transaction (an isolated change reaches browsers
at once); changes applied before that wait for the next batch or, at the
latest, for one transaction that sends every instance's due messages
``PUSH_GRACE`` after the delay (see :mod:`.event_dispatcher`).
"""

import time

NOTIFY_DELAY = 0.1  # seconds a live state change may wait for its bus message
# After a push of STORM_CHANGES changes or more (an event storm), the next push
# of that instance waits STORM_DELAY instead: every viewer's websocket is sent
# every change of a push, and the longer wait merges the changes of each entity
# (the latest state wins), so a storm costs the server less per viewer. The
# first change after a calm push still leaves at once. At 0.5 s, twenty viewers
# of a 1,000-entity storm cost the mirror 6-7 ms of p95 lag on 2 cores; at 1 s,
# about 3 ms (bench_ingest --users 300 --online 20).
STORM_CHANGES = 200
STORM_DELAY = 1.0
# Seconds owed messages may wait beyond NOTIFY_DELAY for a batch to carry them
# (under a steady flow, that spares the push a transaction of its own).
PUSH_GRACE = 0.02


class OwedPush:
    """Bus messages owed for committed live changes (the latest per entity)."""

    def __init__(self):
        self.changes = {}  # ha.entity id -> latest bus change
        self.archived = set()
        self.history = set()
        self.history_count = 0

    def __bool__(self):
        return bool(self.changes or self.archived or self.history)

    def duplicate(self):
        other = OwedPush()
        other.changes = dict(self.changes)
        other.archived = set(self.archived)
        other.history = set(self.history)
        other.history_count = self.history_count
        return other

    def add(self, result):
        """Owe the bus messages of one ``_ha_apply_state_events`` result."""
        for change in result["changes"]:
            self.changes[change["id"]] = change
            self.archived.discard(change["id"])
        for entity_id in result["archived"]:
            self.changes.pop(entity_id, None)
            self.archived.add(entity_id)
        self.history.update(result["history"])
        self.history_count += result.get("history_count") or 0

    def send(self, instance):
        """Send what is owed, in ``instance``'s transaction."""
        if not self:
            return
        notifier = instance.env["ha.realtime.update"]
        changes = list(self.changes.values())
        changes += [{"id": i, "removed": True} for i in sorted(self.archived)]
        if changes:
            notifier.notify_entity_state_change(instance.id, changes)
        if self.history:
            notifier.notify_history_update(
                instance.id, sorted(self.history), self.history_count
            )


class InstanceState:
    """What the dispatcher remembers of one led instance between batches."""

    def __init__(self):
        self.applied_digests = {}  # registry list -> digest of the last applied
        self.pending = OwedPush()
        self.last_push = float("-inf")  # monotonic time of the last bus push
        self.delay = NOTIFY_DELAY  # before the next push (see STORM_DELAY)
        self.history_gap = None  # (start, entity ids) read when connecting
        # Every event of the connection applied, in order, since its full
        # sync: an event's old_state is the stored state (see
        # ha.sync._ha_apply_state_events). Lost on a new connection, or a
        # batch dropped.
        self.in_step = False

    def push_due(self, now=None):
        return (now or time.monotonic()) - self.last_push >= self.delay

    def pushed(self, push, at):
        """``push`` (an :class:`OwedPush`) left at ``at``."""
        self.pending = OwedPush()
        self.last_push = at
        self.delay = STORM_DELAY if len(push.changes) >= STORM_CHANGES else NOTIFY_DELAY

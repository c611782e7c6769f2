"""The producer side of the mirror: what an instance's leader pushes to.

``push_*`` are cheap and never block; the items are applied by the
database's :class:`.event_dispatcher.DatabaseDispatcher`.
"""

STOP = "stop"  # queue kind: forget an instance (its leader stopped)


class InstanceFeed:
    """What an instance's leader hands its HA events to (from any thread)."""

    def __init__(self, dispatcher, instance_id):
        self.dispatcher = dispatcher
        self.instance_id = instance_id

    def push_event(self, event):
        self.dispatcher.put(self.instance_id, "event", event)

    def push_full_sync(self, snapshot, catch_up=None):
        """A (re)connect's full picture. ``catch_up(start, entity_ids)``, if
        given, is called (from the dispatcher) when the mirror's recorded
        history may miss changes made while no process was connected (see
        ``DatabaseDispatcher._status``)."""
        self.dispatcher.put(self.instance_id, "full_sync", (snapshot, catch_up))

    def push_history(self, rows, start):
        """``history/history_during_period`` rows since ``start``: the gap
        opened then is filled."""
        self.dispatcher.put(self.instance_id, "history", (rows, start))

    def push_registries(self, lists):
        self.dispatcher.put(self.instance_id, "registries", lists)

    def push_status(self, status):
        status = (status.state, status.message, status.ha_version, status.code)
        self.dispatcher.put(self.instance_id, "status", status)

    def push_status_error(self, message):
        self.dispatcher.put(
            self.instance_id, "status", ("error", message, None, "crashed")
        )

    def stop(self):
        """Forget the instance; returns at once (its leader stopped).

        What is still queued for it is left unapplied: whoever leads it next
        (another process, or this one again) starts with a full sync and a
        history catch-up that bring the same changes. Waiting for the queue
        would keep the instance's lock, and so its next leader, waiting for
        every other instance's backlog; applied after the handover it would
        race the next leader's writes. Statuses and owed bus messages still
        go out.
        """
        self.dispatcher.discard([self.instance_id])
        self.dispatcher.put(self.instance_id, STOP, None)
